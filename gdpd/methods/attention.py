"""Attention transfer: Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017, over time."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gdpd.methods.distiller import Distiller, Stage
from gdpd.models import Outputs


def attention_map(sequence: Tensor) -> Tensor:
    """``a = Q / ||Q||_2`` with ``Q_k = mean_c h_{k,c}^2``: one weight per time step, shape ``(B, L)``."""
    return F.normalize(sequence.pow(2).mean(-1), p=2, dim=1)


def attention_loss(student_sequence: Tensor, teacher_sequence: Tensor) -> Tensor:
    """``MSE(a_s, a_t)`` over the student's steps; the map averages channels, so the widths may differ.

    With the ``truncate`` prefix the student's step ``k`` is the teacher's step ``k``: the teacher's sequence is cut
    to the student's length *before* its map is normalised, so both maps are distributions over the same steps.
    """
    return F.mse_loss(attention_map(student_sequence), attention_map(teacher_sequence[:, : student_sequence.shape[1]]))


class Attention(Distiller):
    """``L = CE(s, y) + lambda * MSE(a_s, a_t)`` on the hidden sequences' temporal attention maps.

    The original multiplies its per-layer mean by ``beta = 1000`` (``beta / 2`` in the paper's formula); here one
    map per model and ``lambda`` alone sets the scale, so ``lambda = 1000`` reproduces the original's weighting.
    """

    name = "attention"
    label = "Attention"
    description = "attention transfer over time: the hidden sequences' normalised energy per time step"
    citation = 'Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017'

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor:
        return attention_loss(student.sequence, teacher.sequence)
