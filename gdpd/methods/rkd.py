"""RKD: Park et al., "Relational Knowledge Distillation", CVPR 2019."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gdpd.config import DistillationSettings, setting
from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Outputs

DISTANCE_WEIGHT, ANGLE_WEIGHT = 25.0, 50.0


@dataclass(frozen=True)
class RKDSettings(DistillationSettings):
    """The weights of RKD's distance and angle terms, the original paper's 25 and 50 by default."""

    distance_weight: float = setting(DISTANCE_WEIGHT, "the weight of RKD's distance term")
    angle_weight: float = setting(ANGLE_WEIGHT, "the weight of RKD's angle term")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.distance_weight < 0 or self.angle_weight < 0:
            raise ValueError(f"RKD's term weights must be >= 0, got distance_weight={self.distance_weight}, "
                             f"angle_weight={self.angle_weight}")


def _normalised_distances(features: Tensor, eps: float = 1e-12) -> Tensor:
    """Pairwise Euclidean distances ``(B, B)``, divided by their mean over off-diagonal pairs; zero diagonal."""
    squared = features.pow(2).sum(1)
    gram = features @ features.t()
    distances = (squared[:, None] + squared[None, :] - 2 * gram).clamp(min=eps).sqrt()
    off_diagonal = ~torch.eye(len(features), dtype=torch.bool, device=features.device)
    distances = distances * off_diagonal  # the diagonal's clamped sqrt(eps) would otherwise leak a gradient
    return distances / distances[off_diagonal].mean()


def _angles(features: Tensor) -> Tensor:
    """Cosines of the angles ``e_i - e_j, e_k - e_j`` over all triplets, flattened to ``B^3`` values."""
    differences = F.normalize(features[None, :, :] - features[:, None, :], p=2, dim=2)
    return torch.bmm(differences, differences.transpose(1, 2)).flatten()


def rkd_loss(student_features: Tensor, teacher_features: Tensor, distance_weight: float = DISTANCE_WEIGHT,
             angle_weight: float = ANGLE_WEIGHT) -> Tensor:
    """``w_D * smoothL1(psi_D(s), psi_D(t)) + w_A * smoothL1(psi_A(s), psi_A(t))`` over the batch's features.

    ``psi_D`` are pairwise distances normalised by their mean, ``psi_A`` cosines of triplet angles; both are
    invariant to scaling the features, and neither compares a student channel with a teacher channel, so the
    widths may differ. The weights ``w_D = 25`` and ``w_A = 50`` are the original paper's.
    """
    distance = F.smooth_l1_loss(_normalised_distances(student_features), _normalised_distances(teacher_features))
    angle = F.smooth_l1_loss(_angles(student_features), _angles(teacher_features))
    return distance_weight * distance + angle_weight * angle


class RKD(Distiller):
    """``L = CE(s, y) + lambda * (w_D * L_distance + w_A * L_angle)`` on the features, ``w_D = 25``, ``w_A = 50``."""

    name = "rkd"
    label = "RKD"
    description = "relations: the distances and angles among a batch's features"
    citation = 'Park et al., "Relational Knowledge Distillation", CVPR 2019'
    Settings = RKDSettings

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return rkd_loss(student.feature, teacher.feature, self.settings.distance_weight, self.settings.angle_weight)
