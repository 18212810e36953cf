"""Replaying shorter budgets on long training curves follows the trainer's own selection rule, and the book's budget is
the one the rule picks on the committed probe."""

from __future__ import annotations

import math

import pytest

from gdpd.budget import (
    budget_summary,
    choose_budget,
    mark_under_trained,
    probe_records,
    probe_replay,
    replay,
    replay_budgets,
)
from gdpd.presets import BOOK_STUDENT, get_preset
from gdpd.store import COMMITTED_ROOT, ResultStore
from gdpd.train import Split, TrainConfig, fit


def test_replay_keeps_the_lowest_loss_after_warmup_and_stops_on_patience():
    curve = [0.1, 0.9, 0.8, 0.5, 0.6, 0.7, 0.8, 0.3, 0.2]
    assert replay(curve, 9, warmup=2, patience=None) == (8, 9)
    assert replay(curve, 9, warmup=2, patience=3) == (3, 7)
    assert replay(curve, 4, warmup=2, patience=None) == (3, 4)
    with pytest.raises(ValueError, match="fewer than the budget"):
        replay(curve, 10, warmup=2, patience=None)


def test_replay_agrees_with_fit(monkeypatch):
    import torch

    import gdpd.train as train_module
    from gdpd.methods import build_distiller
    from gdpd.models import LSTMClassifier

    losses = [1.0, 0.9, 0.95, 0.7, 0.8, 0.85, 0.9, 0.6, 0.65, 0.66]
    script = iter(losses)
    monkeypatch.setattr(train_module, "validation_scores", lambda distiller, val: (next(script), 0.5, None))
    torch.manual_seed(0)
    x, y = torch.randn(8, 1, 5), torch.arange(8) % 2
    distiller = build_distiller("base", LSTMClassifier(1, 2, hidden=3, layers=1), 3)
    result = fit(distiller, Split(x, y), Split(x, y), TrainConfig(epochs=10, warmup_epochs=2, patience=3,
                                                                    batch_size=4, lr_schedule="constant"), seed=0)
    assert replay(losses, 10, 2, 3) == (result.best_epoch, result.epochs_run)


def record(dataset: str, ce: list[float], val: list[float], earliness: float = 0.2) -> dict:
    """A probe run with the given training and validation curves (cross-entropy per epoch)."""
    return {"config": {"dataset": dataset, "earliness": earliness, "seed": 1},
            "training": {"seconds_per_epoch": 0.5},
            "history": [{"ce": c, "val_loss": v} for c, v in zip(ce, val, strict=True)]}


LN2 = math.log(2)


def fits_at(epoch: int, epochs: int = 40) -> list[float]:
    return [LN2 if e < epoch else 0.1 * LN2 for e in range(epochs)]


def fitted_val(epoch: int, epochs: int = 40) -> list[float]:
    """A validation curve that dips slightly (by less than the shortfall) once the training prefixes are fitted."""
    return [0.5 if e < epoch else 0.48 for e in range(epochs)]


def test_signs_of_under_training():
    falling = [1.0 - e / 100 for e in range(40)]
    runs = [
        record("A", fits_at(5), falling),                  # still improving at every budget
        record("B", fits_at(25), fitted_val(25)),          # fits only from epoch 25
        record("C", [LN2] * 40, [0.5] * 40),               # never fits: no budget is blamed for it
        record("D", fits_at(0), [0.9] * 20 + [0.4] * 20),  # validation drops by 0.5 (> 0.1 ln 2) after 20 epochs
    ]
    marked = mark_under_trained(replay_budgets(runs, [10, 20, 40], {d: 2 for d in "ABCD"})).set_index(
        ["dataset", "budget"])
    assert marked.loc[("A", 40), "improving"] and marked.loc[("A", 40), "under_trained"]
    assert marked.loc[("B", 20), "unfitted"] and not marked.loc[("B", 40), "under_trained"]
    assert not marked.xs("C", level="dataset")["under_trained"].any()
    assert marked.loc[("D", 20), "short"] and not marked.loc[("D", 40), "short"]


def test_no_budget_is_blamed_for_overfitting_or_for_gains_below_the_tolerance():
    overfits = record("A", fits_at(0), [0.3] * 15 + [0.9] * 25)  # best epochs before a long budget's warm-up
    converged = record("B", fits_at(0), [0.05 - e / 1000 for e in range(40)])  # still falling, but within 0.1 ln 2
    marked = mark_under_trained(replay_budgets([overfits, converged], [10, 20, 40], {"A": 2, "B": 2}))
    assert not marked["under_trained"].any()
    assert marked[marked["dataset"] == "B"]["last"].all()


def test_budget_summary_costs_and_choice():
    runs = [record("A", fits_at(5), fitted_val(5)), record("B", fits_at(25), fitted_val(25))]
    replayed = replay_budgets(runs, [10, 20, 40], {"A": 2, "B": 2}, patiences=(None, 3))
    summary = budget_summary(replayed)
    assert summary.loc[(10, 0), "fitted"] == 0.5 and summary.loc[(40, 0), "fitted"] == 1.0
    assert summary.loc[(40, 0), "under_trained"] == 0.0 and summary.loc[(20, 0), "under_trained"] == 0.5
    assert summary.loc[(20, 0), "hours"] == pytest.approx(2 * 20 * 0.5 / 3600)
    # patience 3 stops B's flat start 3 epochs after the warm-up of 20, before it fits at 25
    assert summary.loc[(40, 3), "median_epochs_run"] == 24 and summary.loc[(40, 3), "under_trained"] == 0.5
    assert choose_budget(summary) == (40, None)
    assert choose_budget(summary, under_trained=0.5) == (10, 3)
    assert choose_budget(summary.assign(under_trained=1.0)) is None


def test_the_book_budget_is_the_probes_choice():
    store = ResultStore(COMMITTED_ROOT)
    assert len(probe_records(store)) == len(get_preset("budget-probe").grid()), "the probe is incomplete"
    chosen = choose_budget(budget_summary(probe_replay(store)))
    assert chosen == (BOOK_STUDENT.epochs, BOOK_STUDENT.patience)
    assert BOOK_STUDENT.warmup_epochs == BOOK_STUDENT.epochs // 2
