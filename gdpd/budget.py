"""Choosing the book protocol's training budget from convergence evidence on training and validation data.

The `budget-probe` preset trains Base students for many epochs at the book's constant rate, with no early stopping,
and stores every epoch's training and validation cross-entropy. A shorter budget of ``N`` epochs with the book's rule
(warm-up ``N / 2``, then the lowest validation loss, stopping ``patience`` epochs after the last improvement) can then
be *replayed* on those curves without training again: :func:`replay` gives the epoch such a budget would keep, whether
it is the last epoch it may reach (the run was still improving: under-trained), and the training cross-entropy there.
No test score enters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

UNDERFIT_FRACTION = 0.5
"""A run whose training cross-entropy at the kept epoch is above ``UNDERFIT_FRACTION * ln K`` has not fitted its
training prefixes (``ln K`` is the loss of predicting the class frequencies of a balanced K-class problem)."""


def replay(val_loss: Sequence[float], epochs: int, warmup: int, patience: int | None) -> tuple[int, int]:
    """The epoch the book's selection rule keeps on a validation curve cut at ``epochs``, and the epochs it runs.

    The same rule as :func:`gdpd.train.fit` with ``selection="val_loss"``: from ``warmup`` on, the lowest validation
    loss; stop ``patience`` epochs after the last improvement.
    """
    if len(val_loss) < epochs:
        raise ValueError(f"the curve has {len(val_loss)} epochs, fewer than the budget of {epochs} to replay")
    best, best_epoch = math.inf, -1
    for epoch in range(warmup, epochs):
        if val_loss[epoch] < best:
            best, best_epoch = val_loss[epoch], epoch
        elif patience is not None and epoch - best_epoch >= patience:
            return best_epoch, epoch + 1
    return best_epoch, epochs


def replay_budgets(records: Iterable[dict[str, Any]], budgets: Sequence[int], n_classes: dict[str, int],
                   patience: int | None) -> pd.DataFrame:
    """One row per (record, budget): the kept epoch, epochs run, whether the kept epoch is the last allowed, the
    training cross-entropy there as a fraction of ``ln K``, and the seconds the budget would cost."""
    rows = []
    for record in records:
        config, history = record["config"], record["history"]
        val = [epoch["val_loss"] for epoch in history]
        seconds = record["training"]["seconds_per_epoch"]
        for budget in budgets:
            kept, run = replay(val, budget, budget // 2, patience)
            rows.append({
                "dataset": config["dataset"], "earliness": config["earliness"], "seed": config["seed"],
                "budget": budget, "kept_epoch": kept, "epochs_run": run, "last": kept == budget - 1,
                "train_ce_over_ln_k": history[kept]["ce"] / math.log(n_classes[config["dataset"]]),
                "val_loss": val[kept], "seconds": run * seconds,
            })
    return pd.DataFrame(rows)


def budget_summary(replayed: pd.DataFrame) -> pd.DataFrame:
    """Per budget: the share of runs fitted (training CE at most :data:`UNDERFIT_FRACTION` of ln K at the kept
    epoch), the share still improving at the last epoch, the median kept epoch, and the hours a run of each probed
    cell would cost on the machine that computed the probe."""
    grouped = replayed.groupby("budget")
    return pd.DataFrame({
        "fitted": grouped["train_ce_over_ln_k"].apply(lambda r: float((r <= UNDERFIT_FRACTION).mean())),
        "still_improving": grouped["last"].mean(),
        "median_kept_epoch": grouped["kept_epoch"].median(),
        "mean_val_loss": grouped["val_loss"].mean(),
        "hours": grouped["seconds"].sum() / 3600,
    })


def choose_budget(summary: pd.DataFrame, fitted: float = 0.9, still_improving: float = 0.1) -> int | None:
    """The smallest budget under which at least ``fitted`` of the runs have fitted and at most ``still_improving``
    are still improving at their last epoch; ``None`` when no probed budget qualifies."""
    ok = summary[(summary["fitted"] >= fitted) & (summary["still_improving"] <= still_improving)]
    return int(ok.index.min()) if len(ok) else None
