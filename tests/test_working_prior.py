"""gdpd.working_prior sets the working-prior arm beside released GDPD, Base-KD and Base on the same blocks."""

from dataclasses import replace

import pandas as pd
import pytest

from gdpd.presets import get_preset
from gdpd.report import read_paper
from gdpd.store import ResultStore
from gdpd.working_prior import (PAIRS, WORKING, arm_margins, census_summary, comparison_frame, paper_with_arm,
                                prior_census)

REFERENCE = replace(get_preset("smoke"), name="toy-reference", methods=("base", "kd", "fitnets", "gdpd"),
                    seeds=(1, 24))
ARM = replace(REFERENCE, name="toy-arm", methods=("gdpd",), method_settings={"prior_updates": 4})


def _record(config, auc_prc, diffusion_end=1.0):
    """A stored run scoring ``auc_prc`` on test (and on validation); a GDPD run's warm-up ends at ``diffusion_end``."""
    epochs, warmup = config.train.epochs, config.train.warmup_epochs
    gdpd = config.method == "gdpd"
    history = [{"epoch": float(e), "val_loss": 1.0, "val_accuracy": 0.5, "hint_accuracy": 0.8 if gdpd else 0.0,
                **({"diffusion": 2.0 if e < warmup - 1 else diffusion_end} if gdpd and e < warmup else {})}
               for e in range(epochs)]
    return {"key": config.key(), "config": config.to_dict(), "history": history,
            "metrics": {"auc_prc": auc_prc, "val_auc_prc": auc_prc, "accuracy": auc_prc},
            "training": {"best_epoch": epochs - 1, "epochs_run": epochs, "seconds_per_epoch": 1.0,
                         "train_seconds": float(epochs)},
            "provenance": {"device": "cpu:x86_64"}}


def _fill(store, arm_scores, skip=()):
    """Reference runs score base 0.5, kd 0.6, fitnets 0.4, gdpd 0.55; the arm ``arm_scores[seed]``."""
    scores = {"base": 0.5, "kd": 0.6, "fitnets": 0.4, "gdpd": 0.55}
    for config in REFERENCE.grid():
        if (config.dataset, config.seed, config.method) not in skip:
            store.put(_record(config, scores[config.method]))
    for config in ARM.grid():
        store.put(_record(config, arm_scores[config.seed], diffusion_end=0.3))


def test_comparison_frame_keeps_blocks_with_all_four(tmp_path):
    store = ResultStore(tmp_path)
    _fill(store, {1: 0.7, 24: 0.65}, skip={("UnitTest", 24, "kd")})
    frame = comparison_frame(store, ARM, REFERENCE)
    assert set(frame["method"]) == {"base", "kd", "gdpd", WORKING}  # FitNets is not in the comparison
    blocks = set(zip(frame["dataset"], frame["seed"]))
    # seed 24 of UnitTest lacks Base-KD: its block leaves, and seed 1 is the only complete seed of the reference
    assert ("UnitTest", 24) not in blocks and ("GunPoint", 1) in blocks
    assert frame.groupby(["dataset", "seed"])["method"].nunique().eq(4).all()


def test_arm_margins_golden_values(tmp_path):
    store = ResultStore(tmp_path)
    _fill(store, {1: 0.7, 24: 0.65})
    table = arm_margins(comparison_frame(store, ARM, REFERENCE), read_paper(), n_resamples=200)
    pooled = table[table["earliness"] == "all"].set_index("rival")
    # arm mean over datasets and seeds: (70 + 65) / 2 = 67.5; released GDPD 55, Base-KD 60, Base 50
    assert pooled.loc["gdpd", "estimate"] == pytest.approx(12.5)
    assert pooled.loc["kd", "estimate"] == pytest.approx(7.5)
    assert pooled.loc["base", "estimate"] == pytest.approx(17.5)
    assert [p.rival for p in PAIRS] == list(pooled.index)
    # held to the paper's margins for GDPD: against released GDPD the target is no effect
    assert pooled.loc["gdpd", "target"] == 0.0 and pooled.loc["kd", "paper"] == pytest.approx(
        pooled.loc["kd", "target"])


def test_paper_with_arm_repeats_gdpd():
    paper = pd.DataFrame({"earliness": [0.2, 0.2], "method": ["gdpd", "kd"], "mean": [80.0, 76.0]})
    both = paper_with_arm(paper).set_index("method")
    assert both.loc[WORKING, "mean"] == 80.0 and len(both) == 3


def test_prior_census_reads_both_priors(tmp_path):
    store = ResultStore(tmp_path)
    _fill(store, {1: 0.7, 24: 0.65})
    census = prior_census(store, comparison_frame(store, ARM, REFERENCE), ARM, REFERENCE)
    by_method = census.groupby("method")
    assert by_method["diffusion_end"].median().to_dict() == pytest.approx({"gdpd": 1.0, WORKING: 0.3})
    assert census.groupby("method")["clearly_learned"].all().to_dict() == {"gdpd": False, WORKING: True}
    summary = census_summary(census)
    assert summary.loc[(WORKING, 0.4), "clearly_learned_share"] == 100.0
    assert summary.loc[("gdpd", 0.4), "learned_share"] == 0.0  # ends exactly at the trivial loss: not below it


def test_mechanism_ending_reads_the_numbers(tmp_path):
    from gdpd.findings.mechanism import mechanism_ending

    store = ResultStore(tmp_path)
    _fill(store, {1: 0.7, 24: 0.65})
    frame = comparison_frame(store, ARM, REFERENCE)
    text = mechanism_ending(arm_margins(frame, read_paper(), n_resamples=200),
                            prior_census(store, frame, ARM, REFERENCE), 4, len(ARM.grid()), len(ARM.grid()))
    assert "The arm's prior (4 prior updates per warm-up batch) ends its warm-up at a median L_diff of 0.30" in text
    assert "released GDPD's at 1.00" in text
    assert "+12.50" in text and "+7.50" in text  # against released GDPD and Base-KD
    assert "2 datasets and 2 seeds so far" in text and "earliness 0.4 only" in text
    empty = mechanism_ending(pd.DataFrame(), frame.iloc[:0], 4, 0, 100)
    assert empty.startswith("**Nothing to conclude yet.**") and "0 of the arm's 100 cells" in empty


def test_the_ledger_row_is_untestable_until_a_block_holds_the_arm_then_reads_its_margin_over_base_kd(tmp_path):
    from gdpd.findings.ledger import Source, mechanism_row
    from gdpd.prior_fit import prior_fit
    from gdpd.results import select_analysis

    def source(store, preset):
        return Source(preset, select_analysis(store, preset), prior_fit(store, preset))

    store = ResultStore(tmp_path)
    for config in REFERENCE.grid():
        store.put(_record(config, 0.5))
    empty = mechanism_row(store, source(store, ARM), source(store, REFERENCE), n_resamples=200)
    assert empty["kind"] == "untestable" and "0 of the arm's 4 cells stored" in empty["caveat"]
    _fill(store, {1: 0.7, 24: 0.65})
    row = mechanism_row(store, source(store, ARM), source(store, REFERENCE), n_resamples=200)
    assert row["kind"] == "effect" and row["estimate"] == pytest.approx(7.5)  # the arm 67.5 against Base-KD 60
    assert row["target"] == pytest.approx(row["paper"]) and row["n_datasets"] == 2
    assert "prior clearly learned in 4 of 4 arm runs (released GDPD: 0 of 4)" in row["detail"]
