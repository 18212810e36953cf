"""TeKAP: Hossain et al., "Teacher Knowledge Augmentation via Perturbation", 2025."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gdpd.config import SoftTargetSettings, setting
from gdpd.methods.distiller import Distiller, Stage
from gdpd.methods.kd import hinton_kd
from gdpd.models import Outputs

PERTURBED_TEACHERS, PERTURBED_WEIGHT, TEACHER_SHARE, NOISE_SHARE = 3, 0.8, 0.9, 0.1


@dataclass(frozen=True)
class TeKAPSettings(SoftTargetSettings):
    """The perturbed teachers: how many, their weight, and how each mixes the teacher's logits with noise."""

    perturbed_teachers: int = setting(PERTURBED_TEACHERS, "the number K of perturbed teachers")
    perturbed_weight: float = setting(PERTURBED_WEIGHT, "the weight of each perturbed teacher's KD term")
    teacher_share: float = setting(TEACHER_SHARE, "the teacher logits' share in a perturbed teacher")
    noise_share: float = setting(NOISE_SHARE, "the Gaussian noise's share in a perturbed teacher")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.perturbed_teachers < 0 or self.perturbed_weight < 0:
            raise ValueError(f"TeKAP needs perturbed_teachers >= 0 and perturbed_weight >= 0, got "
                             f"{self.perturbed_teachers} and {self.perturbed_weight}")


def tekap_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    temperature: float,
    perturbed_teachers: int = PERTURBED_TEACHERS,
    perturbed_weight: float = PERTURBED_WEIGHT,
    teacher_share: float = TEACHER_SHARE,
    noise_share: float = NOISE_SHARE,
) -> Tensor:
    """``KD(s, t) + w * sum_{k=1..K} KD(s, a t + b eps_k)``, ``eps_k ~ N(0, I)`` drawn afresh on each call.

    ``KD`` is Hinton's ``T^2 * KL(softmax(t/T) || softmax(s/T))``; the perturbed teachers augment the one teacher
    into several views of its logits. The original's ``K = 3``, ``w = 0.8``, ``a = 0.9``, ``b = 0.1`` by default.
    """
    loss = hinton_kd(student_logits, teacher_logits, temperature)
    for _ in range(perturbed_teachers):
        perturbed = teacher_share * teacher_logits + noise_share * torch.randn_like(teacher_logits)
        loss = loss + perturbed_weight * hinton_kd(student_logits, perturbed, temperature)
    return loss


class TeKAP(Distiller):
    """``L = CE(s, y) + lambda * [KD(s, t) + w * sum_k KD(s, t_k)]`` over ``K`` perturbed teachers, ``T = 2``."""

    name = "tekap"
    label = "TeKAP"
    description = "soft targets from the teacher and from noise-perturbed copies of its logits"
    citation = 'Hossain et al., "Teacher Knowledge Augmentation via Perturbation", 2025'
    Settings = TeKAPSettings

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        s = self.settings
        return tekap_loss(student.logits, teacher.logits, s.temperature, s.perturbed_teachers, s.perturbed_weight,
                          s.teacher_share, s.noise_share)
