"""TTM: Zheng & Yang, "Knowledge Distillation Based on Transformed Teacher Matching", ICLR 2024."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gdpd.config import SoftTargetSettings
from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Outputs


def ttm_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float) -> Tensor:
    """``KL(p~_t || softmax(s))`` averaged over the batch, with the teacher power-transformed and the student not.

    ``p~_t = p_t^{1/T} / sum p_t^{1/T}`` equals ``softmax(t / T)``, the form computed here. No ``T^2`` factor: the
    student is not tempered.
    """
    log_p_student = F.log_softmax(student_logits, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits / temperature, dim=-1)
    return F.kl_div(log_p_student, log_p_teacher, reduction="batchmean", log_target=True)


class TTM(Distiller):
    """``L = CE(s, y) + lambda * KL(p~_t || p_s)`` with ``T = 2``; the paper's weight ``beta`` is ``lambda`` here."""

    name = "ttm"
    label = "TTM"
    description = "the student, untempered, matches the teacher's power-transformed probabilities"
    citation = 'Zheng & Yang, "Knowledge Distillation Based on Transformed Teacher Matching", ICLR 2024'
    Settings = SoftTargetSettings

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return ttm_loss(student.logits, teacher.logits, self.settings.temperature)
