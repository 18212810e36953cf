"""DKD: Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gdpd.config import SoftTargetSettings, setting
from gdpd.methods.distiller import Batch, Distiller, Stage
from gdpd.models import Outputs

ALPHA, BETA, WARMUP_EPOCHS = 1.0, 8.0, 20


@dataclass(frozen=True)
class DKDSettings(SoftTargetSettings):
    """The weights of DKD's two terms, the original paper's ``alpha = 1`` and ``beta = 8`` by default."""

    alpha: float = setting(ALPHA, "the weight alpha of the target-class term TCKD")
    beta: float = setting(BETA, "the weight beta of the non-target-class term NCKD")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alpha < 0 or self.beta < 0:
            raise ValueError(f"DKD's alpha and beta must be >= 0, got alpha={self.alpha}, beta={self.beta}")


def _binary_log_probs(logits: Tensor, target_mask: Tensor) -> Tensor:
    """``log [p_target, p_non-target]`` of ``softmax(logits)``, shape ``(B, 2)``."""
    log_p = F.log_softmax(logits, dim=1)
    log_target = (log_p * target_mask).sum(1)
    log_other = torch.logsumexp(log_p.masked_fill(target_mask, float("-inf")), dim=1)
    return torch.stack([log_target, log_other], dim=1)


def dkd_loss(student_logits: Tensor, teacher_logits: Tensor, y: Tensor, temperature: float, alpha: float = ALPHA,
             beta: float = BETA) -> Tensor:
    """``alpha * TCKD + beta * NCKD``, both ``T^2 * KL(teacher || student)`` averaged over the batch.

    TCKD compares the binary target / non-target probabilities, NCKD the distributions among the non-target classes
    (the target logit pushed down by 1000 before the softmax, as in mdistiller). The original's ``alpha = 1``,
    ``beta = 8`` by default.
    """
    target_mask = F.one_hot(y, student_logits.shape[1]).bool()
    s, t = student_logits / temperature, teacher_logits / temperature
    tckd = F.kl_div(_binary_log_probs(s, target_mask), _binary_log_probs(t, target_mask),
                    reduction="batchmean", log_target=True)
    nckd = F.kl_div(F.log_softmax(s - 1000.0 * target_mask, dim=1), F.log_softmax(t - 1000.0 * target_mask, dim=1),
                    reduction="batchmean", log_target=True)
    return temperature**2 * (alpha * tckd + beta * nckd)


def warmup_factor(epoch: int) -> float:
    """mdistiller's linear ramp ``min(epoch / 20, 1)`` of the DKD term (our epochs count from 0)."""
    return min(epoch / WARMUP_EPOCHS, 1.0)


class DKD(Distiller):
    """``L = CE(s, y) + lambda * min(epoch / 20, 1) * (alpha * TCKD + beta * NCKD)`` with ``T = 2``, ``alpha = 1``,
    ``beta = 8``."""

    name = "dkd"
    label = "DKD"
    description = "decoupled soft targets: the target-class and non-target-class terms of KD, weighted apart"
    citation = 'Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022'
    Settings = DKDSettings

    def losses(self, student: Outputs, batch: Batch, stage: Stage) -> dict[str, Tensor]:
        assert batch.teacher is not None
        settings = self.settings
        weight = settings.weight * warmup_factor(stage.epoch)
        term = dkd_loss(student.logits, batch.teacher.logits, batch.y, settings.temperature, settings.alpha,
                        settings.beta)
        return {**self.task_loss(student.logits, batch.y), "dkd": weight * term}
