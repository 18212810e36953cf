"""The Table 1 claims, their effects and paired tests equal plain aggregations of a frame built by hand; the verdict
rule on hand-made cases; and every row of the claims ledger, built from a toy store, has the verdict its own numbers
give by the rule the ledger page states."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_ind_from_stats, wilcoxon

from gdpd.claims import (FAILS, HOLDS, UNKNOWN, control_tests, friedman_tests, margins, paired_tests, read_released,
                         released_agreement_note, released_comparison, verdict)
from gdpd.report import read_paper

METHODS = ("base", "kd", "fitnets", "gdpd")
DATASETS = tuple(f"D{i}" for i in range(6))


def frame(gdpd_gain: float, seeds=(1, 24), rng_seed=0) -> pd.DataFrame:
    """Runs of every method on six datasets at two earliness levels; GDPD scores ``gdpd_gain`` above Base."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for dataset in DATASETS:
        for earliness in (0.2, 0.8):
            for seed in seeds:
                base = rng.uniform(0.4, 0.8)
                for offset, method in zip((0.0, 0.01, -0.01, gdpd_gain), METHODS):
                    rows.append({"dataset": dataset, "earliness": earliness, "seed": seed, "method": method,
                                 "auc_prc": base + offset + rng.normal(0, 0.001), "accuracy": base,
                                 "fidelity": 0.5})
    return pd.DataFrame(rows)


def test_paired_tests_are_wilcoxon_over_dataset_seed_pairs():
    runs = frame(0.05)
    table = paired_tests(runs)
    row = table[(table["earliness"] == 0.2) & (table["rival"] == "Base")].iloc[0]
    at = runs[runs["earliness"] == 0.2].pivot_table(index=["dataset", "seed"], columns="method", values="auc_prc")
    diff = (at["gdpd"] - at["base"]) * 100
    assert row["n_pairs"] == 12 and row["wins"] == 12
    assert row["mean_difference"] == pytest.approx(diff.mean())
    assert row["p_wilcoxon"] == pytest.approx(wilcoxon(diff).pvalue)
    pooled = table[(table["earliness"] == "all") & (table["rival"] == "FitNets")].iloc[0]
    assert pooled["n_pairs"] == 24


def test_margins_are_the_differences_of_table1_means_with_the_paper_beside_them():
    runs = frame(0.15)
    table = margins(runs, read_paper(), n_resamples=500).set_index(["method", "rival", "earliness"])
    at = runs[runs["earliness"] == 0.2].groupby(["method", "dataset"])["auc_prc"].mean().mul(100)
    row = table.loc[("gdpd", "base", 0.2)]
    assert row["estimate"] == pytest.approx((at["gdpd"] - at["base"]).mean())
    assert row["low"] <= row["estimate"] <= row["high"] and row["n_datasets"] == 6
    assert row["paper"] == pytest.approx(73.83 - 63.64) and row["target"] == row["paper"]
    pooled = table.loc[("gdpd", "kd", "all")]
    assert pooled["paper"] == pytest.approx(((73.83 - 69.23) + (89.02 - 84.78)) / 2)  # the paper at 0.2 and 0.8
    assert table.loc[("kd", "base", "all"), "target"] == 0  # every distiller beats Base: a direction
    # GDPD 15 points above Base, 14 above Base-KD, 16 above FitNets: beyond the paper's margins, with tight intervals.
    assert (table.xs("gdpd", level="method")["verdict"] == HOLDS).all()
    assert table.loc[("kd", "base", "all"), "verdict"] == HOLDS
    assert table.loc[("fitnets", "base", "all"), "verdict"] == FAILS  # one point below Base on every run
    losing = margins(frame(-0.05), read_paper(), n_resamples=500)
    assert (losing[losing["method"] == "gdpd"]["verdict"] == FAILS).all()


def test_the_verdict_rule_on_hand_made_cases():
    six = {"n_datasets": 6}
    assert verdict("effect", 5, 4, 6, target=3, **six) == HOLDS  # above 0 and reaching the paper's 3
    assert verdict("effect", 1, 0.5, 2, target=3, **six) == FAILS  # ahead, but short of the paper's margin
    assert verdict("effect", 0, -1, 4, target=3, **six) == UNKNOWN  # holds both no effect and the paper's margin
    assert verdict("effect", 0, -1, 1, target=0, **six) == UNKNOWN  # a direction claim whose interval holds 0
    assert verdict("effect", 5, 4, 6, target=3, n_datasets=5) == UNKNOWN  # too few datasets for any verdict
    # An average rank among 4 (no effect 2.5), lower is better: the paper's 1.1.
    assert verdict("effect", 1.2, 1.0, 1.4, target=1.1, null=2.5, better="lower", **six) == HOLDS
    assert verdict("effect", 2.0, 1.5, 3.0, target=1.1, null=2.5, better="lower", **six) == FAILS
    assert verdict("bound", 0.03, 0.01, 0.05, target=0.24, better="lower", **six) == HOLDS
    assert verdict("bound", 0.5, 0.3, 0.7, target=0.24, better="lower", **six) == FAILS
    assert verdict("bound", 0.2, 0.1, 0.3, target=0.24, better="lower", **six) == UNKNOWN
    assert verdict("test", 1.0, np.nan, np.nan, p_value=0.01, **six) == HOLDS
    assert verdict("test", -1.0, np.nan, np.nan, p_value=0.01, **six) == FAILS
    assert verdict("test", 1.0, np.nan, np.nan, p_value=0.2, **six) == UNKNOWN
    assert verdict("untestable", np.nan, np.nan, np.nan, **six) == UNKNOWN
    with pytest.raises(ValueError, match="unknown kind"):
        verdict("guess", 1, 0, 2, **six)


def test_dataset_level_tests_count_datasets_not_runs():
    runs = frame(0.05)
    tests = friedman_tests(runs).set_index("earliness")
    assert list(tests.index) == [0.2, 0.8, "all"]
    assert (tests["n_datasets"] == 6).all() and (tests["n_methods"] == 4).all()
    assert tests.loc["all", "smallest_wilcoxon_p"] == pytest.approx(1 / 32)
    control = control_tests(runs).set_index(["earliness", "rival"])
    row = control.loc[(0.2, "Base")]
    assert row["n_datasets"] == 6 and row["above"] == 6 and row["p_wilcoxon"] == pytest.approx(1 / 32)
    assert row["p_holm"] == pytest.approx(3 / 32) and not row["significant"]  # Holm over 3 rivals: out of reach


def test_released_comparison_averages_our_seeds_where_all_are_stored():
    released = read_released()
    runs = frame(0.0, seeds=(1, 24)).replace({"dataset": {"D0": "GunPoint"}, "earliness": {0.2: 0.4}})
    table = released_comparison(runs, released)
    ours = runs[(runs["dataset"] == "GunPoint") & (runs["earliness"] == 0.4)]
    base_1 = 100 * ours[(ours["method"] == "base") & (ours["seed"] == 1)]["auc_prc"].mean()
    assert table.loc[("Base", "1"), ("auc_prc", "ours")] == pytest.approx(base_1)
    assert table.loc[("Base", "1"), ("auc_prc", "released")] == 87.83
    assert np.isnan(table.loc[("Base", "1 24 300"), ("auc_prc", "ours")])  # seed 300 not stored



def test_released_agreement_note_tells_seed_noise_from_a_gap_and_waits_for_two_seeds():
    released = read_released()  # GunPoint e = 0.4, three seeds: Base 85.80 ± 1.77, GDPD 83.85 ± 1.88 (x100)
    rows = [{"dataset": "GunPoint", "earliness": 0.4, "seed": seed, "method": method, "auc_prc": score / 100,
             "accuracy": 0.7, "fidelity": 0.6}
            for seed, shift in ((1, -1.0), (24, 1.0))
            for method, score in (("base", 85.80 + shift), ("kd", 84.14 + shift), ("fitnets", 86.61 + shift),
                                  ("gdpd", 70.0 + shift))]
    note = released_agreement_note(pd.DataFrame(rows), released)
    # Base: ours 85.80 against 85.80, a zero difference; GDPD: 70.00 against 83.85, 13.85 points below
    assert "2 seeds against its 3" in note and "Base +0.00 (p = 1: within it)" in note
    p = ttest_ind_from_stats(70.0, np.sqrt(2), 2, 83.85, 1.88, 3, equal_var=False).pvalue
    assert f"GDPD -13.85 (p = {p:.2g}: beyond it)" in note and p < 0.05
    assert note.endswith("`02_teacher_and_prior` retrains GDPD on this cell with the teacher chosen as released, to "
                         "tell whether that choice is why.")
    assert "retrains" not in released_agreement_note(pd.DataFrame([r for r in rows if r["method"] != "gdpd"]), released)
    low_base = [{**r, "auc_prc": r["auc_prc"] - 0.2} if r["method"] == "base" else r for r in rows]
    assert "Base has no teacher, so the teacher is not why it differs." in released_agreement_note(
        pd.DataFrame(low_base), released)
    one_seed = released_agreement_note(pd.DataFrame(rows[:4]), released)
    assert one_seed.startswith("**Within seed noise?** Not yet told") and "1 analysed seed" in one_seed
    assert "not among the analysed runs" in released_agreement_note(pd.DataFrame(rows).assign(earliness=0.8), released)

def _follows_from_its_numbers(row) -> str:
    """The verdict of a ledger row by the rule as the ledger page words it (gdpd.claims.RULE), restated here."""
    if row.kind == "untestable" or row.n_datasets < 6:  # a two-sided exact Wilcoxon test needs 6 datasets for 0.05
        return UNKNOWN

    def better(a: float, b: float) -> bool:
        return a > b if row.better == "higher" else a < b

    ends = (row.low, row.high)
    if row.kind == "test":
        return UNKNOWN if not row.p_value < 0.05 else HOLDS if better(row.estimate, row.null) else FAILS
    if all(better(row.target, end) for end in ends):  # the whole interval falls short of the paper's value
        return FAILS
    if row.kind == "effect":  # the whole interval beats no effect and reaches the paper's value
        reaches = any(not better(row.target, end) for end in ends)
        return HOLDS if all(better(end, row.null) for end in ends) and reaches else UNKNOWN
    return HOLDS if not any(better(row.target, end) for end in ends) else UNKNOWN  # bound: none of it beyond


@pytest.mark.slow
def test_every_ledger_verdict_follows_from_its_numbers_on_a_toy_store(tmp_path):
    from test_chapters import synthetic_store

    from gdpd.findings.ledger import COLUMNS, PRESETS, WHOSE, claims_ledger, open_source
    from gdpd.findings.ledger_page import headline, ledger_markdown, verdict_summary
    from gdpd.store import ResultStore

    for preset in ("paper", "ablation-samples", "ablation-warmup"):
        synthetic_store(tmp_path, preset)
    ledger = claims_ledger(ResultStore(tmp_path), {**PRESETS, "zoo": "paper", "table1": "paper"}, n_resamples=500)
    assert list(ledger.columns) == COLUMNS and ledger["id"].is_unique
    assert set(ledger["whose"]) == set(WHOSE) and set(ledger["verdict"]) <= {HOLDS, FAILS, UNKNOWN}
    for row in ledger.itertuples():
        assert row.verdict == _follows_from_its_numbers(row), row.id
    ablations = ledger[ledger["id"].str.startswith("Ablation")]
    assert (ablations["n_datasets"] == 2).all() and (ablations["verdict"] == UNKNOWN).all()
    assert ablations["detail"].str.startswith("2 datasets, fewer than the 6 a verdict needs").all()
    assert (ledger.loc[ledger["kind"] == "untestable", "verdict"] == UNKNOWN).all()
    notebooks = {p.stem for p in (Path(__file__).parents[1] / "notebooks").glob("*.ipynb")}
    assert set(ledger["chapter"]) <= notebooks
    page = ledger_markdown(ledger)
    assert sum(line.startswith("| ") and "{doc}" in line for line in page.splitlines()) == len(ledger)
    tested = ledger[(ledger["whose"] == "paper") & (ledger["kind"] != "untestable")]
    holds = (tested["verdict"] == HOLDS).sum()
    assert f"that this book can test ({len(tested)}), **{holds} hold{'s' if holds == 1 else ''}," in headline(ledger)
    source = open_source(ResultStore(tmp_path), "paper")
    summary = verdict_summary(ledger, source)
    assert "under the paper's own protocol, with this book's teacher, GDPD" in summary
    assert f"can test ({len(tested)}), {holds} hold{'s' if holds == 1 else ''}," in summary and "seeds" not in summary
    planned = source._replace(preset=replace(source.preset, seeds=(*source.preset.seeds, 7)))
    assert "the runs hold 5 of the 6 seeds the grid plans" in verdict_summary(ledger, planned)
    assert "where the prior does learn" not in summary  # no block holds the working-prior arm in this store
    mechanism = ledger["id"] == "Mechanism"
    measured = ledger.copy()
    measured.loc[mechanism, ["kind", "estimate", "low", "high", "n_datasets", "paper", "target", "verdict"]] = (
        "effect", -1.5, -2.8, -0.1, 10, 4.42, 4.42, FAILS)
    assert ("where the prior does learn (the ledger's mechanism row, 10 datasets and the seeds stored so far), "
            "GDPD's margin over Base-KD is -1.50 (95 % interval -2.80 to -0.10) against the paper's +4.42, so the "
            "margin the paper credits to its mechanism is not reached.") in verdict_summary(measured, source)
