"""Small helpers for the notebooks that look inside one run: GDPD's latent space and a run's training history.

Everything here works in eval mode (BatchNorm uses its running statistics) and without gradients, and restores the
module's previous mode afterwards. Random draws use an explicit seed, so a notebook cell gives the same numbers when
it is run again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from gdpd.prior import DiffusionPrior, ddim_sample

LOSS_TERMS = ("ce", "kd", "hint", "diffusion", "reconstruction")
GDPD_DIAGNOSTICS = ("alpha", "hint_to_student", "hint_to_teacher", "hint_accuracy")


@contextmanager
def evaluating(module: nn.Module) -> Iterator[nn.Module]:
    """Put ``module`` in eval mode with gradients off for the block, then restore its previous mode."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield module
    finally:
        module.train(was_training)


def teacher_latents(autoencoder: nn.Module, teacher_feature: Tensor) -> Tensor:
    """The teacher features as the prior sees them: ``encoder(z_long)`` in eval mode."""
    with evaluating(autoencoder):
        return autoencoder.encoder(teacher_feature)


def sample_prior(prior: DiffusionPrior, n: int, seed: int, t_start: int = 999, steps: int = 50) -> Tensor:
    """``n`` unconditional samples: pure noise taken as ``z_{t_start}``, then deterministic DDIM to a clean sample."""
    width = prior.denoiser.time_embedding.embedding_dim
    noise = torch.randn(n, width, generator=torch.Generator().manual_seed(seed))
    with evaluating(prior):
        return ddim_sample(prior.denoiser, noise, prior.schedule, t_start, steps)


class HintDraw(NamedTuple):
    """Hints drawn for a batch of student features, ``per_series`` each (series-major: row ``i * per_series + j``)."""

    hint: Tensor
    alpha: Tensor
    measurement: Tensor
    series: Tensor


def draw_hints(sampler: nn.Module, student_feature: Tensor, per_series: int, seed: int) -> HintDraw:
    """Hints ``proj(DDIM(alpha trans(z_s) + (1 - alpha) eps))`` of a trained ``HintSampler``, in eval mode.

    Each series gets ``per_series`` independent noise draws; ``measurement`` is ``trans(z_s)`` (one row per hint).
    """
    if per_series < 1:
        raise ValueError(f"per_series must be >= 1, got {per_series}")
    repeated = student_feature.repeat_interleave(per_series, dim=0)
    series = torch.arange(len(student_feature)).repeat_interleave(per_series)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # the sampler draws its noise from the global generator
    try:
        with evaluating(sampler):
            hint, alpha, measurement = sampler(repeated)
    finally:
        torch.random.set_rng_state(state)
    return HintDraw(hint, alpha.squeeze(-1), measurement, series)


def nearest_distance(points: Tensor, reference: Tensor) -> Tensor:
    """Euclidean distance from each row of ``points`` to its nearest row of ``reference``."""
    return torch.cdist(points, reference).min(dim=1).values


class PCA2D(NamedTuple):
    """A two-component PCA fitted on a reference set; ``project`` maps any set into its plane."""

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray

    def project(self, points: Tensor | np.ndarray) -> np.ndarray:
        x = points.detach().cpu().numpy() if isinstance(points, Tensor) else np.asarray(points)
        return (x - self.mean) @ self.components.T


def fit_pca(reference: Tensor | np.ndarray) -> PCA2D:
    """The first two principal directions of ``reference`` and the fraction of its variance each explains."""
    x = reference.detach().cpu().numpy() if isinstance(reference, Tensor) else np.asarray(reference)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"need a (n >= 2, d >= 2) array to fit a 2-D PCA, got shape {x.shape}")
    mean = x.mean(axis=0)
    _, singular, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = singular**2
    return PCA2D(mean, vt[:2], variance[:2] / variance.sum())


def history_frame(record: Mapping[str, Any]) -> pd.DataFrame:
    """A stored record's per-epoch history as a DataFrame indexed by (integer) epoch."""
    frame = pd.DataFrame(record["history"])
    frame["epoch"] = frame["epoch"].astype(int)
    return frame.set_index("epoch")


def loss_terms(history: pd.DataFrame) -> list[str]:
    """The loss terms a history logged, in the order of :data:`LOSS_TERMS`."""
    return [term for term in LOSS_TERMS if term in history.columns]


def results_table(records: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per method: test AUC-PRC, accuracy and fidelity x100, the selected epoch and seconds per epoch."""
    rows = []
    for method, record in records.items():
        metrics, training = record["metrics"], record["training"]
        rows.append({
            "method": (labels or {}).get(method, method),
            "auc_prc": 100 * metrics["auc_prc"],
            "accuracy": 100 * metrics["accuracy"],
            "fidelity": 100 * metrics["fidelity"],
            "best_epoch": int(training["best_epoch"]),
            "epochs_run": int(training["epochs_run"]),
            "seconds_per_epoch": training["seconds_per_epoch"],
        })
    return pd.DataFrame(rows).set_index("method")
