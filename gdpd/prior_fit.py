"""Did GDPD's diffusion prior learn during the warm-up? Read from the training histories of stored runs.

During the warm-up the prior minimises the epsilon-prediction error (Ho et al., NeurIPS 2020)

    L_diff = E_{t, eps} mean_i (eps_i - eps_phi(sqrt(abar_t) z + sqrt(1 - abar_t) eps, t)_i)^2,

a mean over the d coordinates of the (encoded) teacher feature z with eps ~ N(0, I). The denoiser that always predicts
zero scores exactly Var(eps_i) = 1 (:data:`TRIVIAL_LOSS`), so a prior that ends its warm-up with L_diff at or above
one has learned less about the teacher manifold than that trivial denoiser knows, and what DDIM then draws from it is
not a sample near the manifold. After the warm-up GDPD gives the prior no denoising loss (paper, Sec. 3; the released
code): it moves only through the hint cross-entropy.

Every stored record's history holds, per epoch, the batch mean of lambda * L_diff (warm-up epochs only) and, from the
end-of-epoch diagnostics on the validation split, the share of hints that the student's head classifies correctly
(``hint_accuracy``) beside the student's own validation accuracy on prefixes (``val_accuracy``). The functions here
turn those into one row per run and a summary per protocol.
"""

from __future__ import annotations

import math

import pandas as pd

from gdpd.data import load_dataset
from gdpd.dataset import validation_size
from gdpd.inspection import history_frame
from gdpd.presets import Preset
from gdpd.store import ResultStore

TRIVIAL_LOSS = 1.0
"""L_diff of the denoiser that always predicts zero: the variance of the standard normal noise it should predict."""
CLEARLY_LEARNED = 0.5
"""A prior has clearly learned when its warm-up ends with L_diff at most this fraction of :data:`TRIVIAL_LOSS`: it
predicts at least half of the noise's variance, which no fluctuation of the per-epoch mean on a handful of batches
reaches from the trivial loss."""

COLUMNS = ["variant", "dataset", "earliness", "seed", "key", "lr_schedule", "warmup_epochs", "prior_updates",
           "prior_steps", "diffusion_start", "diffusion_end", "learned", "hint_accuracy", "val_accuracy", "hint_gap"]


def prior_steps(n_train: int, val_fraction: float, batch_size: int, warmup_epochs: int, updates: int = 1) -> int:
    """Optimiser steps the prior takes with its denoising loss: warm-up epochs times batches per epoch times its
    ``updates`` per batch (``GDPDSettings.prior_updates``), where a run trains on the cases left after its validation
    split (:func:`gdpd.dataset.validation_size`)."""
    fitted = n_train - validation_size(n_train, val_fraction)
    return warmup_epochs * math.ceil(fitted / batch_size) * updates


def prior_fit(store: ResultStore, preset: Preset) -> pd.DataFrame:
    """One row per stored GDPD run of ``preset`` with a warm-up: its variant, cell and key, the learning-rate schedule,
    warm-up epochs and :func:`prior_steps`, L_diff (lambda divided out) of the first and of the last warm-up epoch,
    whether the last is below :data:`TRIVIAL_LOSS` (``learned``), and at the kept epoch the hint accuracy, the
    student's validation accuracy and their difference (``hint_gap``), all x100."""
    rows, n_train = [], {}
    for variant, config in preset.labelled_grid():
        warmup = config.train.warmup_epochs
        if config.method != "gdpd" or warmup == 0:
            continue
        record = store.get(config.dataset, config.key())
        if record is None:
            continue
        if config.dataset not in n_train:
            n_train[config.dataset] = len(load_dataset(config.dataset).y_train)
        history = history_frame(record)
        weight = config.method_config.weight
        kept = history.loc[int(record["training"]["best_epoch"])]
        end = history.loc[warmup - 1, "diffusion"] / weight
        rows.append({
            "variant": variant, "dataset": config.dataset, "earliness": config.earliness, "seed": config.seed,
            "key": record["key"], "lr_schedule": config.train.lr_schedule, "warmup_epochs": warmup,
            "prior_updates": config.method_config.prior_updates,
            "prior_steps": prior_steps(n_train[config.dataset], config.val_fraction, config.train.batch_size, warmup,
                                       config.method_config.prior_updates),
            "diffusion_start": history.loc[0, "diffusion"] / weight, "diffusion_end": end,
            "learned": bool(end < TRIVIAL_LOSS), "hint_accuracy": 100 * kept["hint_accuracy"],
            "val_accuracy": 100 * kept["val_accuracy"],
            "hint_gap": 100 * (kept["hint_accuracy"] - kept["val_accuracy"]),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def prior_fit_summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group of :func:`prior_fit` rows: the number of runs, the median prior steps, the median L_diff at the
    start and at the end of the warm-up, the share (x100) of runs whose prior ends below the trivial loss, the mean
    hint gap and the share (x100) of runs whose hints are classified better than the prefixes."""
    groups = frame.groupby(by, sort=False)
    return pd.DataFrame({
        "runs": groups.size(),
        "prior_steps": groups["prior_steps"].median(),
        "diffusion_start": groups["diffusion_start"].median(),
        "diffusion_end": groups["diffusion_end"].median(),
        "learned_share": 100 * groups["learned"].mean(),
        "hint_gap": groups["hint_gap"].mean(),
        "hints_ahead_share": 100 * groups["hint_gap"].apply(lambda gap: (gap > 0).mean()),
    })


def working_prior_updates(frame: pd.DataFrame) -> int | None:
    """The fewest prior updates per batch whose every :func:`prior_fit` run ends the warm-up with L_diff at most
    :data:`CLEARLY_LEARNED` x :data:`TRIVIAL_LOSS`, on every dataset of ``frame``; ``None`` when no setting does.

    The rule that chooses the working-prior arm's setting (book chapter "Main results") from the ``prior-check``
    preset's warm-up runs: it reads the denoising loss on the training split alone, never a test score.
    """
    datasets = set(frame["dataset"])
    for updates, runs in frame.sort_values("prior_updates").groupby("prior_updates", sort=True):
        if set(runs["dataset"]) == datasets and (runs["diffusion_end"] <= CLEARLY_LEARNED * TRIVIAL_LOSS).all():
            return int(updates)
    return None
