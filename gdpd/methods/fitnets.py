"""FitNets: Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, in its two-stage form."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from gdpd.config import MethodSettings
from gdpd.methods.distiller import Batch, Distiller, Stage
from gdpd.models import Classifier, Outputs


def hint_loss(regressed: Tensor, teacher_sequence: Tensor) -> Tensor:
    """``MSE(W h_s, h_t)`` over aligned time steps.

    With the ``truncate`` prefix the student's sequence is shorter; its step ``k`` is the teacher's step ``k``.
    """
    return F.mse_loss(regressed, teacher_sequence[:, : regressed.shape[1]])


class FitNets(Distiller):
    """Warm-up: only ``lambda * MSE(W h_s, h_t)`` on per-step hidden states (``W`` a 1x1 regressor); then CE only."""

    name = "fitnets"
    label = "FitNets"
    description = "hints: the student's hidden states regressed onto the teacher's, then trained on its task alone"
    citation = 'Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015'

    def __init__(self, student: Classifier, teacher_dim: int, settings: MethodSettings) -> None:
        super().__init__(student, teacher_dim, settings)
        self.regressor = nn.Linear(student.feature_dim, teacher_dim)
        bound = 1.0 / student.feature_dim
        nn.init.uniform_(self.regressor.weight, -bound, bound)
        nn.init.zeros_(self.regressor.bias)

    def losses(self, student: Outputs, batch: Batch, stage: Stage) -> dict[str, Tensor]:
        if not stage.warmup:
            return self.task_loss(student.logits, batch.y)
        assert batch.teacher is not None
        return {"hint": self.settings.weight * hint_loss(self.regressor(student.sequence), batch.teacher.sequence)}
