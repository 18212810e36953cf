"""gdpd.prior_fit reads whether the prior learned during the warm-up from stored training histories."""

from dataclasses import replace

import pandas as pd
import pytest

from gdpd.presets import Variant, get_preset
from gdpd.prior_fit import COLUMNS, prior_fit, prior_fit_summary, prior_steps
from gdpd.store import ResultStore


def test_prior_steps_golden_values():
    # GunPoint: 50 training cases, 10 validate, 40 train in one batch of 64: 300 warm-up epochs are 300 steps
    assert prior_steps(50, 0.2, 64, 300) == 300
    # OSULeaf: 200 cases, 40 validate, 160 train in three batches
    assert prior_steps(200, 0.2, 64, 300) == 900
    assert prior_steps(200, 0.2, 64, 0) == 0
    # eight updates per warm-up batch
    assert prior_steps(50, 0.2, 64, 125, updates=8) == 1000


def _record(config, diffusion, best_epoch, hint_accuracy, val_accuracy):
    """A stored GDPD run whose warm-up logged ``diffusion`` (already times lambda) and whose kept epoch scored
    ``hint_accuracy`` and ``val_accuracy``; later epochs log no diffusion term."""
    epochs = config.train.epochs
    history = [{"epoch": float(epoch), "val_loss": 1.0, "val_accuracy": 0.5, "hint_accuracy": 0.5,
                **({"diffusion": diffusion[epoch]} if epoch < len(diffusion) else {})} for epoch in range(epochs)]
    history[best_epoch].update(hint_accuracy=hint_accuracy, val_accuracy=val_accuracy)
    return {"key": config.key(), "config": config.to_dict(), "metrics": {"auc_prc": 0.5},
            "training": {"best_epoch": best_epoch, "epochs_run": epochs}, "provenance": {"device": "cpu:x86_64"},
            "history": history}


def test_prior_fit_reads_the_warmup_and_the_kept_epoch(tmp_path):
    # lambda = 2: the stored terms are 2 * L_diff, and the table divides the weight out
    preset, store = replace(get_preset("smoke"), weights=(2.0,)), ResultStore(tmp_path)
    warmup = preset.student.warmup_epochs
    gunpoint = preset.config("GunPoint", 0.4, "gdpd", 1, weight=2.0)
    unittest = preset.config("UnitTest", 0.4, "gdpd", 1, weight=2.0)
    store.put(_record(gunpoint, [4.0, 3.0, 2.4][:warmup], best_epoch=4, hint_accuracy=0.6, val_accuracy=0.9))
    store.put(_record(unittest, [3.0, 1.0, 1.6][:warmup], best_epoch=5, hint_accuracy=1.0, val_accuracy=0.75))
    store.put(_record(preset.config("GunPoint", 0.4, "base", 1), [], best_epoch=4, hint_accuracy=0, val_accuracy=0))
    table = prior_fit(store, preset)
    assert list(table.columns) == COLUMNS and sorted(table["dataset"]) == ["GunPoint", "UnitTest"]
    frame = table.set_index("dataset")
    assert frame.loc["GunPoint", "diffusion_start"] == pytest.approx(2.0)
    assert frame.loc["GunPoint", "diffusion_end"] == pytest.approx(1.2) and not frame.loc["GunPoint", "learned"]
    # the last warm-up epoch decides, not the lowest: UnitTest dipped to 0.5 but ended at 0.8
    assert frame.loc["UnitTest", "diffusion_end"] == pytest.approx(0.8) and frame.loc["UnitTest", "learned"]
    assert frame.loc["GunPoint", "hint_gap"] == pytest.approx(-30.0)
    assert frame.loc["UnitTest", "hint_gap"] == pytest.approx(25.0)
    # 50 GunPoint cases leave 40 to train on: one batch of 64 per warm-up epoch
    assert frame.loc["GunPoint", "prior_steps"] == warmup
    # a run with more prior updates per batch counts them
    more = replace(preset, methods=("gdpd",), variants=(Variant("prior updates 4", {"prior_updates": 4}),))
    store.put(_record(more.config("GunPoint", 0.4, "gdpd", 1, weight=2.0, prior_updates=4), [2.0, 1.0, 0.5][:warmup],
                      best_epoch=4, hint_accuracy=0.5, val_accuracy=0.5))
    assert prior_fit(store, more).set_index("dataset").loc["GunPoint", "prior_steps"] == 4 * warmup


def test_prior_fit_is_empty_without_stored_gdpd_runs(tmp_path):
    frame = prior_fit(ResultStore(tmp_path), get_preset("smoke"))
    assert frame.empty and list(frame.columns) == COLUMNS


def test_prior_fit_summary_golden_values():
    frame = pd.DataFrame({
        "dataset": ["A", "A", "A", "B"], "prior_steps": [300, 300, 300, 900],
        "diffusion_start": [2.0, 1.8, 2.2, 2.0], "diffusion_end": [1.5, 0.9, 1.1, 1.3],
        "learned": [False, True, False, False], "hint_gap": [-10.0, 5.0, -20.0, 0.0],
    })
    summary = prior_fit_summary(frame, ["dataset"])
    assert summary.loc["A"].to_dict() == pytest.approx({
        "runs": 3, "prior_steps": 300, "diffusion_start": 2.0, "diffusion_end": 1.1, "learned_share": 100 / 3,
        "hint_gap": -25 / 3, "hints_ahead_share": 100 / 3})
    # a gap of exactly zero is not ahead
    assert summary.loc["B", "hints_ahead_share"] == 0 and summary.loc["B", "learned_share"] == 0


def test_the_working_prior_is_the_fewest_updates_that_clearly_learn_on_every_dataset():
    from gdpd.prior_fit import CLEARLY_LEARNED, working_prior_updates

    def runs(updates: int, ends: dict[str, float]) -> list[dict]:
        return [{"prior_updates": updates, "dataset": d, "diffusion_end": e} for d, e in ends.items()]

    clear, unclear = CLEARLY_LEARNED - 0.01, CLEARLY_LEARNED + 0.01
    frame = pd.DataFrame(runs(8, {"A": 0.9, "B": clear}) + runs(32, {"A": clear, "B": CLEARLY_LEARNED})
                         + runs(128, {"A": 0.1, "B": 0.1}))
    assert working_prior_updates(frame) == 32  # at the threshold counts as learned; 8 fails on A
    assert working_prior_updates(frame[frame["prior_updates"] != 32]) == 128
    assert working_prior_updates(pd.DataFrame(runs(8, {"A": unclear, "B": 0.2}))) is None
    # a setting not checked on every dataset is not chosen
    partial = pd.DataFrame(runs(8, {"A": 0.1}) + runs(32, {"A": 0.2, "B": 0.2}))
    assert working_prior_updates(partial) == 32
