"""Replaying shorter budgets on long training curves follows the trainer's own selection rule."""

from __future__ import annotations

import math

import pytest

from gdpd.budget import budget_summary, choose_budget, replay, replay_budgets
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
    monkeypatch.setattr(train_module, "validation_scores", lambda distiller, val: (next(script), 0.5))
    torch.manual_seed(0)
    x, y = torch.randn(8, 1, 5), torch.arange(8) % 2
    distiller = build_distiller("base", LSTMClassifier(1, 2, hidden=3, layers=1), 3)
    result = fit(distiller, Split(x, y), Split(x, y), TrainConfig(epochs=10, warmup_epochs=2, patience=3,
                                                                    batch_size=4, lr_schedule="constant"), seed=0)
    assert replay(losses, 10, 2, 3) == (result.best_epoch, result.epochs_run)


def record(dataset: str, fit_at: int, epochs: int = 40) -> dict:
    """A probe run whose training loss falls below half ln 2 at ``fit_at`` and whose validation loss keeps falling."""
    ce = [math.log(2) if e < fit_at else 0.1 for e in range(epochs)]
    return {"config": {"dataset": dataset, "earliness": 0.2, "seed": 1},
            "training": {"seconds_per_epoch": 0.5},
            "history": [{"ce": c, "val_loss": 1.0 - e / 100} for e, c in enumerate(ce)]}


def test_budget_summary_and_choice():
    records = [record("A", 5), record("B", 25)]
    replayed = replay_budgets(records, [10, 20, 40], {"A": 2, "B": 2}, patience=None)
    summary = budget_summary(replayed)
    assert summary.loc[10, "fitted"] == 0.5 and summary.loc[40, "fitted"] == 1.0
    assert summary.loc[40, "still_improving"] == 1.0  # the validation curve falls to the end
    assert summary.loc[20, "hours"] == pytest.approx(2 * 20 * 0.5 / 3600)
    assert choose_budget(summary) is None
    assert choose_budget(summary, fitted=0.5, still_improving=1.0) == 10
