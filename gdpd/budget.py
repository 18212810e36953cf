"""Choosing the book protocol's training budget from convergence evidence on training and validation data.

The `budget-probe` preset trains Base students for many epochs at the book's constant rate, with no early stopping,
and stores every epoch's training and validation cross-entropy. A shorter budget of ``N`` epochs with the book's rule
(warm-up ``N / 2``, then the lowest validation loss, stopping ``patience`` epochs after the last improvement) can then
be *replayed* on those curves without training again: :func:`replay` gives the epoch such a budget would keep, whether
it is the last epoch it may reach (the run was still improving), and the training cross-entropy there. No test score
enters.

A run is *under-trained* by a (budget, patience) pair when training longer would have helped, judged against the
pairs probed on the same run that train for more epochs (a longer budget, or the same budget with more patience;
:func:`mark_under_trained`):

* it is still improving: the kept epoch is the last the budget allows, and its validation cross-entropy is above
  :data:`SHORTFALL` x ln K (below that, no further gain could exceed the tolerance: a loss is never negative);
* it falls short: some longer-training pair keeps a validation cross-entropy lower by more than
  :data:`SHORTFALL` x ln K;
* it has not fitted although it could: its training cross-entropy at the kept epoch is above
  :data:`UNDERFIT_FRACTION` x ln K while some longer-training pair keeps an epoch where it is below.

A prefix that carries no class information (GunPoint's first fifth) cannot be fitted at any budget, and a run that
overfits keeps a better epoch under a short budget than under a long one (the warm-up, half the budget, moves the
first selectable epoch later): the rule blames neither on a budget. :func:`choose_budget` takes the cheapest pair
under which at most a tenth of the runs are under-trained.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from gdpd.data import load_dataset
from gdpd.presets import get_preset
from gdpd.store import ResultStore

UNDERFIT_FRACTION = 0.5
"""A run whose training cross-entropy at the kept epoch is above ``UNDERFIT_FRACTION * ln K`` has not fitted its
training prefixes (``ln K`` is the loss of predicting the class frequencies of a balanced K-class problem)."""

SHORTFALL = 0.1
"""A kept validation cross-entropy more than ``SHORTFALL * ln K`` above the best probed for the same run falls short."""

UNDER_TRAINED = 0.1
"""The largest share of under-trained runs the chosen budget may leave."""

PROBED_BUDGETS = (60, 120, 160, 200, 250, 300, 400)
"""The budgets (epochs) replayed on the probe's curves; the book's warm-up is half of each."""

PROBED_PATIENCES: tuple[int | None, ...] = (None, 30, 60)
"""The early-stopping patiences replayed with each budget (``None``: train the whole budget)."""


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
                   patiences: Sequence[int | None] = (None,)) -> pd.DataFrame:
    """One row per (record, budget, patience): the kept epoch, epochs run, whether the kept epoch is the last allowed,
    the training and validation cross-entropy there as fractions of ``ln K``, and the seconds the pair would cost.

    No patience is written as ``0`` in the ``patience`` column (a patience is at least 1), so that it can be grouped.
    """
    rows = []
    for record in records:
        config, history = record["config"], record["history"]
        val = [epoch["val_loss"] for epoch in history]
        seconds = record["training"]["seconds_per_epoch"]
        ln_k = math.log(n_classes[config["dataset"]])
        for budget in budgets:
            for patience in patiences:
                kept, run = replay(val, budget, budget // 2, patience)
                rows.append({
                    "dataset": config["dataset"], "earliness": config["earliness"], "seed": config["seed"],
                    "budget": budget, "patience": patience or 0, "kept_epoch": kept, "epochs_run": run,
                    "last": kept == budget - 1, "train_ce_over_ln_k": history[kept]["ce"] / ln_k,
                    "val_loss_over_ln_k": val[kept] / ln_k, "seconds": run * seconds,
                })
    return pd.DataFrame(rows)


def mark_under_trained(replayed: pd.DataFrame) -> pd.DataFrame:
    """``replayed`` with the three signs of under-training (module docstring) and their union, ``under_trained``."""
    fitted = replayed["train_ce_over_ln_k"] <= UNDERFIT_FRACTION
    short, unfitted = [], []
    for index, row in replayed.iterrows():
        longer = replayed[(replayed["dataset"] == row["dataset"]) & (replayed["earliness"] == row["earliness"])
                          & (replayed["seed"] == row["seed"]) & (replayed["epochs_run"] > row["epochs_run"])]
        short.append(bool((row["val_loss_over_ln_k"] - longer["val_loss_over_ln_k"] > SHORTFALL).any()))
        unfitted.append(bool(not fitted[index] and fitted[longer.index].any()))
    improving = replayed["last"] & (replayed["val_loss_over_ln_k"] > SHORTFALL)
    marked = replayed.assign(fitted=fitted, improving=improving, short=short, unfitted=unfitted)
    return marked.assign(under_trained=marked["improving"] | marked["short"] | marked["unfitted"])


def budget_summary(replayed: pd.DataFrame) -> pd.DataFrame:
    """Per (budget, patience): the share of runs fitted (training CE at most :data:`UNDERFIT_FRACTION` of ln K at the
    kept epoch), whose kept epoch is the last allowed, still improving, falling short, unfitted although they could
    fit, and under-trained (any of the three); the median kept epoch and epochs run; and the hours the probed cells
    would cost on the machine that computed the probe."""
    marked = mark_under_trained(replayed)
    grouped = marked.groupby(["budget", "patience"])
    return pd.DataFrame({
        "fitted": grouped["fitted"].mean(),
        "last": grouped["last"].mean(),
        "still_improving": grouped["improving"].mean(),
        "short": grouped["short"].mean(),
        "unfitted": grouped["unfitted"].mean(),
        "under_trained": grouped["under_trained"].mean(),
        "median_kept_epoch": grouped["kept_epoch"].median(),
        "median_epochs_run": grouped["epochs_run"].median(),
        "hours": grouped["seconds"].sum() / 3600,
    })


def choose_budget(summary: pd.DataFrame, under_trained: float = UNDER_TRAINED) -> tuple[int, int | None] | None:
    """The cheapest (budget, patience) pair, in hours, that leaves at most ``under_trained`` of the runs
    under-trained (ties: the larger budget, then no patience); ``None`` when no probed pair qualifies."""
    ok = summary[summary["under_trained"] <= under_trained].reset_index()
    if ok.empty:
        return None
    best = ok.sort_values(["hours", "budget", "patience"], ascending=[True, False, True]).iloc[0]
    return int(best["budget"]), (int(best["patience"]) or None)


def probe_records(store: ResultStore, preset: str = "budget-probe") -> list[dict[str, Any]]:
    """The stored records of the probe preset's cells, in grid order."""
    return [record for config in get_preset(preset).grid() if (record := store.get(config.dataset, config.key()))]


def probe_replay(store: ResultStore, preset: str = "budget-probe") -> pd.DataFrame:
    """Every probed (budget, patience) pair replayed on every stored probe run (:func:`replay_budgets`)."""
    records = probe_records(store, preset)
    n_classes = {name: load_dataset(name).n_classes for name in {r["config"]["dataset"] for r in records}}
    return replay_budgets(records, PROBED_BUDGETS, n_classes, PROBED_PATIENCES)
