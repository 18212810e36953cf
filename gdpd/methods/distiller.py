"""The interface every distillation method shares.

Shape after mdistiller (Zhao et al., CVPR 2022): a method is a module wrapping the student, called on a batch and
the training stage, returning a dict of named, already weighted loss terms whose sum is minimised. Each method also
names itself (``label``, ``description``, ``citation``: what ``gdpd methods`` prints and the tables show) and
declares its settings (``Settings``, a frozen :class:`gdpd.config.MethodSettings` dataclass beside its loss).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from gdpd.config import DistillationSettings, MethodSettings
from gdpd.models import Classifier, Outputs


class Batch(NamedTuple):
    """A training batch: the student's input, labels, and the frozen teacher's outputs on the full series."""

    x: Tensor
    y: Tensor
    teacher: Outputs | None


class Stage(NamedTuple):
    """Per-epoch state handed to a method: the epoch index and whether it falls in the warm-up."""

    epoch: int
    warmup: bool


class Distiller(nn.Module):
    """A student with the extra modules and the loss of one distillation method."""

    name: ClassVar[str]
    label: ClassVar[str]
    """The method's name in the paper's tables, e.g. ``Base-KD``."""
    description: ClassVar[str]
    """One line: what the method transfers."""
    citation: ClassVar[str]
    needs_teacher: ClassVar[bool] = True
    Settings: ClassVar[type[MethodSettings]] = DistillationSettings
    """The method's settings; the run key holds those away from their defaults, and nothing of other methods'."""

    def __init__(self, student: Classifier, teacher_dim: int, settings: MethodSettings) -> None:
        super().__init__()
        if not isinstance(settings, self.Settings):
            raise TypeError(
                f"method {self.name!r} reads {self.Settings.__name__}, got {type(settings).__name__}; build its "
                f"settings with METHODS[{self.name!r}].Settings(...) or the run with Preset.config"
            )
        self.student = student
        self.teacher_dim = teacher_dim
        self.settings = settings

    def task_loss(self, logits: Tensor, y: Tensor) -> dict[str, Tensor]:
        """The student's own cross-entropy on its prefix, kept by every method but FitNets' first stage."""
        return {"ce": F.cross_entropy(logits, y)}

    def forward(self, batch: Batch, stage: Stage) -> dict[str, Tensor]:
        return self.losses(self.student.outputs(batch.x), batch, stage)

    def losses(self, student: Outputs, batch: Batch, stage: Stage) -> dict[str, Tensor]:
        """Named, weighted loss terms for one batch; the trainer minimises their sum.

        By default ``CE + lambda * term``, the term named after the method; methods with stages override this.
        """
        terms = self.task_loss(student.logits, batch.y)
        extra = None if batch.teacher is None else self.term(student, batch.teacher, stage)
        if extra is not None:
            terms[self.name] = self.settings.weight * extra
        return terms

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor | None:
        """The method's distillation term before the weight lambda, or ``None`` for none at this stage."""
        return None

    def extra_losses(self, batch: Batch, stage: Stage) -> Iterator[Tensor]:
        """Losses of further optimiser steps on the same batch, each taken after the main step (none by default)."""
        return iter(())

    def diagnostics(self, batch: Batch, feature: Tensor | None = None) -> dict[str, float]:
        """Scalars worth logging once per epoch on the validation batch (none by default); ``feature`` is the
        student's eval-mode feature of ``batch.x`` where the caller has computed it already."""
        return {}
