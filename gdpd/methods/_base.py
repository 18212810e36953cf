"""The interface every distillation method shares, and the registry that names them.

Shape after mdistiller (Zhao et al., CVPR 2022): a method is a module wrapping the student, called on a batch and
the training stage, returning a dict of named, already weighted loss terms whose sum is minimised.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from gdpd.models import Classifier, Outputs
from gdpd.prior import ddim_timesteps


class Batch(NamedTuple):
    """A training batch: the student's input, labels, and the frozen teacher's outputs on the full series."""

    x: Tensor
    y: Tensor
    teacher: Outputs | None


class Stage(NamedTuple):
    """Per-epoch state handed to a method: the epoch index and whether it falls in the warm-up."""

    epoch: int
    warmup: bool


@dataclass(frozen=True)
class MethodConfig:
    """Hyper-parameters of the distillation methods; each method reads the fields it uses.

    ``weight`` is the paper's lambda; ``samples`` (J), ``alpha`` (``None`` = learned per sample), ``hinton`` (the
    released script's extra Hinton term), ``ddim_start``, ``ddim_steps``, ``conditioning`` (``fusion``: GDPD's
    noise-fusion start; ``dps``: pure noise plus likelihood guidance of strength ``guidance_scale``) and
    ``joint_prior`` (keep training the autoencoder and prior on their own losses after the warm-up) belong to GDPD.
    """

    weight: float = 1.0
    temperature: float = 2.0
    samples: int = 1
    alpha: float | None = None
    hinton: bool = False
    ddim_start: int = 400
    ddim_steps: int = 5
    conditioning: str = "fusion"
    guidance_scale: float = 1.0
    joint_prior: bool = False

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError(f"weight (lambda) must be >= 0, got {self.weight}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if self.samples < 1:
            raise ValueError(f"samples (J) must be >= 1, got {self.samples}")
        if self.alpha is not None and not 0 <= self.alpha <= 1:
            raise ValueError(f"a fixed alpha must be in [0, 1], got {self.alpha}; pass None to learn it")
        if self.conditioning not in ("fusion", "dps"):
            raise ValueError(f"conditioning must be 'fusion' or 'dps', got {self.conditioning!r}")
        if self.conditioning == "dps" and self.alpha is not None:
            raise ValueError(
                "a fixed alpha applies to the noise-fusion start only; drop --alpha with --conditioning dps"
            )
        ddim_timesteps(self.ddim_start, self.ddim_steps)  # fail at configuration time, not epochs into training

    def unused(self, settings: tuple[str, ...]) -> list[str]:
        """The fields set away from their defaults that are not among ``settings`` (a method's own)."""
        default = MethodConfig()
        return [name for name in self.__dataclass_fields__
                if name not in settings and getattr(self, name) != getattr(default, name)]

    def restricted(self, settings: tuple[str, ...]) -> MethodConfig:
        """This configuration with every field outside ``settings`` back at its default."""
        return replace(MethodConfig(), **{name: getattr(self, name) for name in settings})


class Distiller(nn.Module):
    """A student with the extra modules and the loss of one distillation method."""

    name: ClassVar[str]
    needs_teacher: ClassVar[bool] = True
    settings: ClassVar[tuple[str, ...]] = ("weight",)
    """The :class:`MethodConfig` fields the method reads; the others stay at their defaults and out of its key."""

    def __init__(self, student: Classifier, teacher_dim: int, config: MethodConfig) -> None:
        super().__init__()
        self.student = student
        self.teacher_dim = teacher_dim
        self.config = config

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
            terms[self.name] = self.config.weight * extra
        return terms

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> Tensor | None:
        """The method's distillation term before the weight lambda, or ``None`` for none at this stage."""
        return None

    def diagnostics(self, batch: Batch) -> dict[str, float]:
        """Scalars worth logging once per epoch on the validation batch (none by default)."""
        return {}


METHODS: dict[str, type[Distiller]] = {}


def register(cls: type[Distiller]) -> type[Distiller]:
    """Class decorator adding a method to :data:`METHODS` under ``cls.name``."""
    if cls.name in METHODS:
        raise ValueError(f"method {cls.name!r} is registered twice")
    METHODS[cls.name] = cls
    return cls


def build_distiller(name: str, student: Classifier, teacher_dim: int, config: MethodConfig) -> Distiller:
    """Instantiate the registered method ``name`` around ``student``."""
    try:
        cls = METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; `gdpd methods` lists them: {', '.join(METHODS)}") from None
    return cls(student, teacher_dim, config)
