"""DT2W: soft-DTW alignment of hidden sequences (Cuturi & Blondel, "Soft-DTW: a Differentiable Loss Function for
Time-Series", ICML 2017), used as a distillation loss between the student's and the teacher's hidden sequences."""

from __future__ import annotations

import torch
from torch import Tensor

from gdpd.config import MethodSettings
from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Classifier, Outputs

GAMMA = 1.2
# A finite stand-in for the DP's infinite border: inf would turn logsumexp's backward into NaN in masked cells.
_FAR = 1e10


def soft_dtw(x: Tensor, y: Tensor, gamma: float = GAMMA) -> Tensor:
    """Soft-DTW ``R[n, m]`` between ``x (B, n, D)`` and ``y (B, m, D)`` with squared Euclidean costs, shape ``(B,)``.

    ``R[i, j] = c(x_i, y_j) + softmin_gamma(R[i-1, j-1], R[i-1, j], R[i, j-1])``, ``R[0, 0] = 0``, with
    ``softmin_gamma(a) = -gamma log sum exp(-a / gamma)``; it tends to DTW as ``gamma -> 0``. The DP runs over
    anti-diagonals ``i + j = d`` (each a vector over ``i``), so ``n + m`` vectorised steps fill the table.
    """
    cost = (x.pow(2).sum(-1)[:, :, None] + y.pow(2).sum(-1)[:, None, :] - 2 * x @ y.transpose(1, 2)).clamp(min=0)
    batch, n, m = cost.shape
    i = torch.arange(n + 1, device=x.device)
    d = torch.arange(2, n + m + 1, device=x.device)[:, None]
    j = d - i
    inside = (i >= 1) & (j >= 1) & (j <= m)
    # Costs regrouped by anti-diagonal in one gather; unbind keeps the backward a single stack, not n + m scatters.
    costs = cost[:, (i - 1).clamp(0, n - 1).expand_as(j), (j - 1).clamp(0, m - 1)].unbind(1)
    border = cost.new_full((batch, 1), _FAR)
    before_last = torch.cat([cost.new_zeros(batch, 1), cost.new_full((batch, n), _FAR)], dim=1)  # d = 0: R[0, 0]
    last = cost.new_full((batch, n + 1), _FAR)  # d = 1: R[0, 1], R[1, 0]
    for cost_d, inside_d in zip(costs, inside):
        diagonal = torch.cat([border, before_last[:, :-1]], dim=1)  # R[i-1, j-1]
        up = torch.cat([border, last[:, :-1]], dim=1)  # R[i-1, j]
        softmin = -gamma * torch.logsumexp(torch.stack([diagonal, up, last]) / -gamma, dim=0)  # last: R[i, j-1]
        before_last, last = last, torch.where(inside_d, cost_d + softmin, _FAR)
    return last[:, n]


class DT2W(Distiller):
    """Warm-up: CE only; then ``L = CE(s, y) + lambda * mean_b SDTW_gamma(h_s, h_t[:, :, S])``, ``gamma = 1.2``.

    ``S`` is a fixed random subset of the teacher's channels of the student's width, drawn once from torch's global
    generator at construction (sorted, so equal widths keep the teacher's order) and stored as a buffer. Soft-DTW
    aligns sequences of different lengths itself, so under the ``truncate`` prefix the student's short sequence is
    matched against the teacher's full one rather than cut to it.
    """

    name = "dt2w"
    label = "DT2W"
    description = "soft-DTW alignment of the student's hidden sequence with a channel subset of the teacher's"
    citation = ('soft-DTW: Cuturi & Blondel, "Soft-DTW: a Differentiable Loss Function for Time-Series", '
                "ICML 2017")

    def __init__(self, student: Classifier, teacher_dim: int, settings: MethodSettings) -> None:
        super().__init__(student, teacher_dim, settings)
        if teacher_dim < student.feature_dim:
            raise ValueError(
                f"dt2w subsamples the teacher's {teacher_dim} channels to the student's {student.feature_dim}; "
                "it needs a teacher at least as wide as the student"
            )
        self.register_buffer("teacher_channels", torch.randperm(teacher_dim)[: student.feature_dim].sort().values)

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor | None:
        if stage.warmup:
            return None
        return soft_dtw(student.sequence, teacher.sequence[:, :, self.teacher_channels]).mean()
