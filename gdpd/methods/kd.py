"""Base-KD: Hinton et al., "Distilling the Knowledge in a Neural Network", NeurIPS DL Workshop 2015."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gdpd.config import SoftTargetSettings
from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Outputs


def hinton_kd(student_logits: Tensor, teacher_logits: Tensor, temperature: float) -> Tensor:
    """``T^2 * KL(softmax(t / T) || softmax(s / T))``, averaged over the batch."""
    log_p_student = F.log_softmax(student_logits / temperature, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits / temperature, dim=-1)
    return temperature**2 * F.kl_div(log_p_student, log_p_teacher, reduction="batchmean", log_target=True)


class KD(Distiller):
    """``L = CE(s, y) + lambda * T^2 * KL(softmax(t/T) || softmax(s/T))`` with ``T = 2``."""

    name = "kd"
    label = "Base-KD"
    description = "soft targets: the student matches the teacher's softened class probabilities"
    citation = 'Hinton et al., "Distilling the Knowledge in a Neural Network", NeurIPS DL Workshop 2015'
    Settings = SoftTargetSettings

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return hinton_kd(student.logits, teacher.logits, self.settings.temperature)
