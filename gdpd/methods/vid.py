"""VID: Ahn et al., "Variational Information Distillation for Knowledge Transfer", CVPR 2019."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gdpd.config import MethodSettings
from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Classifier, Outputs

INITIAL_VARIANCE, EPS = 5.0, 1e-5


def vid_loss(mean: Tensor, variance: Tensor, teacher_sequence: Tensor) -> Tensor:
    """``mean of 0.5 * (log sigma_c^2 + (t - mu)^2 / sigma_c^2)``: the Gaussian NLL of the teacher, constants dropped.

    With the ``truncate`` prefix the student's sequence is shorter; its step ``k`` is the teacher's step ``k``.
    """
    teacher_sequence = teacher_sequence[:, : mean.shape[1]]
    return 0.5 * (variance.log() + (teacher_sequence - mean).pow(2) / variance).mean()


class VID(Distiller):
    """``L = CE(s, y) + lambda * NLL(h_t | mu(h_s), sigma^2)`` on per-step hidden states.

    ``mu`` is the original's regressor read per time step (1x1 conv -> ReLU -> 1x1 conv, no biases, middle width
    the teacher's); ``sigma_c^2 = softplus(rho_c) + eps`` per teacher channel, ``rho`` set so it starts at 5.
    ``eps = 1e-5`` as in the authors' code released with CRD/RepDistiller and in mdistiller.
    """

    name = "vid"
    label = "VID"
    description = "variational information: a Gaussian likelihood of the teacher's hidden states given the student's"
    citation = 'Ahn et al., "Variational Information Distillation for Knowledge Transfer", CVPR 2019'

    def __init__(self, student: Classifier, teacher_dim: int, settings: MethodSettings) -> None:
        super().__init__(student, teacher_dim, settings)
        self.regressor = nn.Sequential(
            nn.Linear(student.feature_dim, teacher_dim, bias=False),
            nn.ReLU(),
            nn.Linear(teacher_dim, teacher_dim, bias=False),
        )
        self.rho = nn.Parameter(torch.full((teacher_dim,), math.log(math.expm1(INITIAL_VARIANCE - EPS))))

    def variance(self) -> Tensor:
        return F.softplus(self.rho) + EPS

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return vid_loss(self.regressor(student.sequence), self.variance(), teacher.sequence)
