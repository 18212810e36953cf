"""The early-classification chapter's verdict and ending (gdpd.findings.early) on small synthetic frames."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gdpd.early import harmonic_mean
from gdpd.findings.early import (
    accuracy_to_tie,
    earliness_to_tie,
    early_ending,
    early_gaps,
    early_verdict,
    seed_interval,
)
from gdpd.presets import get_preset

SEEDS = (1, 2, 3)


@pytest.mark.parametrize(("target", "earliness"), [(0.8, 0.2), (0.75, 0.3), (0.6, 0.5), (0.3, 0.1)])
def test_the_accuracy_needed_ties_the_harmonic_mean_exactly(target, earliness):
    assert harmonic_mean(accuracy_to_tie(target, earliness), earliness) == pytest.approx(target, abs=1e-12)


@pytest.mark.parametrize(("target", "accuracy"), [(0.8, 0.8), (0.75, 0.9), (0.6, 0.7), (0.3, 1.0)])
def test_the_earliness_needed_ties_the_harmonic_mean_exactly(target, accuracy):
    assert harmonic_mean(accuracy, earliness_to_tie(target, accuracy)) == pytest.approx(target, abs=1e-12)


def test_the_needed_values_golden_and_out_of_reach():
    assert accuracy_to_tie(0.75, 0.3) == pytest.approx(0.525 / 0.65)
    assert np.isnan(accuracy_to_tie(0.9, 0.5))  # would need accuracy above 1
    assert np.isnan(earliness_to_tie(0.8, 0.45))  # 2a <= HM: no earliness helps
    assert np.isnan(earliness_to_tie(0.75, 0.46))  # would need earliness below 0


def test_seed_interval_is_the_student_t_interval():
    mean, low, high = seed_interval(np.array([1.0, 2.0, 3.0]))
    half = stats.t.ppf(0.975, 2) / np.sqrt(3)  # the sample SD of 1, 2, 3 is 1
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert half == pytest.approx(4.302653 / np.sqrt(3), rel=1e-6)
    assert np.isnan(seed_interval(np.array([0.5]))[1])  # one seed: no interval


def _frame() -> pd.DataFrame:
    """Three datasets x three seeds: on A the GDPD bank is above the best peer at every seed, on B below, on C its
    seeds disagree. Accuracy and earliness per seed."""
    spec = {
        "A": {"GDPD bank": ("bank", "gdpd", (0.90, 0.91, 0.92), (0.20, 0.20, 0.21)),
              "Base bank": ("bank", "base", (0.80, 0.80, 0.81), (0.30, 0.30, 0.30)),
              "TEASER": ("peer", "teaser", (0.80, 0.81, 0.82), (0.25, 0.25, 0.25)),
              "GDPD e=0.2": ("fixed", "gdpd", (0.85, 0.85, 0.85), (0.2, 0.2, 0.2)),
              "teacher (full series)": ("teacher", "teacher", (0.95, 0.95, 0.95), (1.0, 1.0, 1.0))},
        "B": {"GDPD bank": ("bank", "gdpd", (0.70, 0.71, 0.72), (0.30, 0.30, 0.30)),
              "Base bank": ("bank", "base", (0.75, 0.75, 0.75), (0.30, 0.30, 0.30)),
              "TEASER": ("peer", "teaser", (0.80, 0.81, 0.82), (0.20, 0.21, 0.22)),
              "ProbabilityThreshold": ("peer", "probability-threshold", (0.80, 0.80, 0.80), (0.30, 0.30, 0.30)),
              "GDPD e=0.2": ("fixed", "gdpd", (0.90, 0.90, 0.90), (0.2, 0.2, 0.2)),
              "teacher (full series)": ("teacher", "teacher", (0.80, 0.80, 0.80), (1.0, 1.0, 1.0))},
        "C": {"GDPD bank": ("bank", "gdpd", (0.97, 0.64, 0.80), (0.25, 0.25, 0.25)),
              "Base bank": ("bank", "base", (0.80, 0.80, 0.80), (0.25, 0.25, 0.25)),
              "TEASER": ("peer", "teaser", (0.80, 0.80, 0.80), (0.25, 0.25, 0.25)),
              "GDPD e=0.2": ("fixed", "gdpd", (0.80, 0.80, 0.80), (0.2, 0.2, 0.2)),
              "teacher (full series)": ("teacher", "teacher", (0.95, 0.95, 0.95), (1.0, 1.0, 1.0))},
    }
    rows = []
    for dataset, classifiers in spec.items():
        for classifier, (kind, method, accuracy, earliness) in classifiers.items():
            for seed, a, e in zip(SEEDS, accuracy, earliness):
                rows.append({"dataset": dataset, "seed": seed, "classifier": classifier, "kind": kind,
                             "method": method, "accuracy": a, "earliness": e, "harmonic_mean": harmonic_mean(a, e),
                             "threshold": None})
    return pd.DataFrame(rows)


def test_early_gaps_pair_the_seeds_and_the_needed_change_ties_the_peer():
    frame = _frame()
    gaps = early_gaps(frame)
    assert list(gaps["verdict"]) == ["above", "below", "cannot tell"]
    hm = frame.pivot_table(index=["dataset", "seed"], columns="classifier", values="harmonic_mean")
    paired = (hm["GDPD bank"] - hm["TEASER"]).loc["A"].to_numpy()
    a, b = gaps.loc["A"], gaps.loc["B"]
    assert (a["difference"], a["low"], a["high"]) == pytest.approx(seed_interval(paired))
    assert a["n_seeds"] == 3 and a["low"] > 0
    assert b["peer"] == "TEASER" and b["peer_hm"] == pytest.approx(hm.loc["B", "TEASER"].mean()) and b["high"] < 0
    assert np.isnan(a["accuracy_needed"]) and np.isnan(a["earliness_needed"])
    assert harmonic_mean(b["accuracy_needed"], b["bank_earliness"]) == pytest.approx(b["peer_hm"])
    assert harmonic_mean(b["bank_accuracy"], b["earliness_needed"]) == pytest.approx(b["peer_hm"])
    assert b["first_level"] == pytest.approx(0.2)
    assert (gaps["operating_hm"] >= gaps["bank_hm"] - 1e-12).all()  # the harmonic mean is concave
    c = gaps.loc["C"]  # below the peer on average over seeds, but not at its mean operating point: nothing to tie
    assert c["difference"] < 0 <= c["operating_hm"] - c["peer_hm"] and np.isnan(c["accuracy_needed"])
    one_seed = early_gaps(frame[frame["seed"] == 1])
    assert (one_seed["verdict"] == "cannot tell").all()  # one seed gives no interval


def test_the_verdict_counts_each_dataset_once_and_names_its_caveats():
    frame = _frame()
    text = early_verdict(frame, get_preset("paper"))
    assert text.startswith("**The verdict.**")
    assert "above the best aeon early classifier's on 1 of 3 datasets, below it on 1, and its 3 seeds cannot tell" \
           " the two apart on 1." in text
    a = early_gaps(frame).loc["A"]
    assert f"above: A {100 * a['difference']:+.2f} [{100 * a['low']:+.2f}, {100 * a['high']:+.2f}] against TEASER" \
           in text
    assert "3 datasets (preset `paper`), not the paper's 12" in text
    assert "the book protocol's teacher" in text and "chosen among 5 seeds" in text
    released = early_verdict(frame, get_preset("paper-released-teacher"))
    assert "preset `paper-released-teacher`: the teacher trained as the released code trains it" in released
    empty = early_verdict(frame[frame["kind"] != "peer"], get_preset("paper"))
    assert empty.startswith("**Nothing to conclude yet.**") and "`gdpd early`" in empty


def test_the_ending_shows_the_gaps_the_other_banks_and_the_weak_teacher():
    frame = _frame()
    text = early_ending(frame)
    b = early_gaps(frame).loc["B"]
    assert "above the best aeon peer's, beyond its seeds' interval, on 1 of 3 datasets; below it on average" in text
    assert f"B: accuracy {100 * b['bank_accuracy']:.2f} → {100 * b['accuracy_needed']:.2f}" in text
    assert "GDPD − Base +" in text and "above on 1 of 3 datasets" in text
    assert "On 1 of 3 datasets (B) the full-series teacher" in text


def test_the_ending_out_of_reach_wording_and_nothing_to_conclude():
    frame = _frame()
    losing = frame[frame["dataset"] == "B"].copy()
    bank = losing["classifier"] == "GDPD bank"
    losing.loc[bank, "accuracy"] = 0.35  # 2 * 0.35 is below the peer's harmonic mean: no earliness suffices
    losing.loc[bank, "harmonic_mean"] = [harmonic_mean(0.35, e) for e in losing.loc[bank, "earliness"]]
    assert "no earliness suffices at its accuracy" in early_ending(losing)
    assert early_ending(pd.DataFrame(columns=["kind"])).startswith("**Nothing to conclude yet.**")
