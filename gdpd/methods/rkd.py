"""RKD: Park et al., "Relational Knowledge Distillation", CVPR 2019."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from gdpd.methods._base import Distiller, Stage, register
from gdpd.models import Outputs

DISTANCE_WEIGHT, ANGLE_WEIGHT = 25.0, 50.0


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


def rkd_loss(student_features: Tensor, teacher_features: Tensor) -> Tensor:
    """``25 * smoothL1(psi_D(s), psi_D(t)) + 50 * smoothL1(psi_A(s), psi_A(t))`` over the batch's features.

    ``psi_D`` are pairwise distances normalised by their mean, ``psi_A`` cosines of triplet angles; both are
    invariant to scaling the features, and neither compares a student channel with a teacher channel, so the
    widths may differ. Weights 25 and 50 are the original paper's.
    """
    distance = F.smooth_l1_loss(_normalised_distances(student_features), _normalised_distances(teacher_features))
    angle = F.smooth_l1_loss(_angles(student_features), _angles(teacher_features))
    return DISTANCE_WEIGHT * distance + ANGLE_WEIGHT * angle


@register
class RKD(Distiller):
    """``L = CE(s, y) + lambda * (25 * L_distance + 50 * L_angle)`` on the features (Park et al., CVPR 2019)."""

    name = "rkd"

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return rkd_loss(student.feature, teacher.feature)
