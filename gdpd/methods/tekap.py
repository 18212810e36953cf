"""TeKAP: Hossain et al., "Teacher Knowledge Augmentation via Perturbation", 2025."""

from __future__ import annotations

import torch
from torch import Tensor

from gdpd.methods._base import Distiller, Stage, register
from gdpd.methods.kd import hinton_kd
from gdpd.models import Outputs

PERTURBED_TEACHERS, PERTURBED_WEIGHT, TEACHER_SHARE, NOISE_SHARE = 3, 0.8, 0.9, 0.1


def tekap_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float) -> Tensor:
    """``KD(s, t) + 0.8 * sum_{k=1..3} KD(s, 0.9 t + 0.1 eps_k)``, ``eps_k ~ N(0, I)`` drawn afresh on each call.

    ``KD`` is Hinton's ``T^2 * KL(softmax(t/T) || softmax(s/T))``; the perturbed teachers augment the one teacher
    into several views of its logits.
    """
    loss = hinton_kd(student_logits, teacher_logits, temperature)
    for _ in range(PERTURBED_TEACHERS):
        perturbed = TEACHER_SHARE * teacher_logits + NOISE_SHARE * torch.randn_like(teacher_logits)
        loss = loss + PERTURBED_WEIGHT * hinton_kd(student_logits, perturbed, temperature)
    return loss


@register
class TeKAP(Distiller):
    """``L = CE(s, y) + lambda * [KD(s, t) + 0.8 * sum_k KD(s, t_k)]`` with three perturbed teachers, ``T = 2``."""

    name = "tekap"
    settings = ("weight", "temperature")

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return tekap_loss(student.logits, teacher.logits, self.config.temperature)
