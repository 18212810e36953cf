"""PKT: Passalis & Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer", ECCV 2018."""

from __future__ import annotations

from torch import Tensor

from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Outputs

EPS = 1e-7


def _conditional_probabilities(features: Tensor) -> Tensor:
    """``P_ij = K_ij / sum_j K_ij`` with the cosine kernel ``K = (cos + 1) / 2`` over the batch, shape ``(B, B)``."""
    unit = features / (features.norm(dim=1, keepdim=True) + EPS)
    kernel = (unit @ unit.t() + 1.0) / 2.0
    return kernel / kernel.sum(1, keepdim=True)


def pkt_loss(student_features: Tensor, teacher_features: Tensor) -> Tensor:
    """``mean_ij P^t_ij log((P^t_ij + eps) / (P^s_ij + eps))``, as in the authors' code (a mean over all ``B^2``
    entries, i.e. ``KL(P_t || P_s)`` summed over each row and divided by ``B^2``). Width-free and scale-invariant."""
    p_student = _conditional_probabilities(student_features)
    p_teacher = _conditional_probabilities(teacher_features)
    return (p_teacher * ((p_teacher + EPS) / (p_student + EPS)).log()).mean()


class PKT(Distiller):
    """``L = CE(s, y) + lambda * KL(P_t || P_s)`` on the features' cosine-kernel distributions."""

    name = "pkt"
    label = "PKT"
    description = "probabilistic transfer: the batch's cosine-kernel distributions over features"
    citation = ('Passalis & Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer", '
                "ECCV 2018")

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return pkt_loss(student.feature, teacher.feature)
