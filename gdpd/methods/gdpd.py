"""GDPD: Generative Diffusion Prior Distillation (ICLR 2026, arXiv 2605.11414).

The student feature ``z_s`` is a degraded measurement of an ideal long-context feature. A diffusion prior learned on
the teacher's features turns it into a hint ``z_hat`` sampled near the teacher's manifold, and the student is trained
so that its own head classifies the hint correctly:

    L_GDPD = E_{j=1..J} [ CE(head(z_hat_j), y) ],  z_hat_j = proj(DDIM(alpha * trans(z_s) + (1 - alpha) * eps_j)).

Warm-up epochs train the student on its task loss while the teacher autoencoder and the prior learn
``lambda * (L_diffusion + L_reconstruction)``; afterwards the prior receives no denoising loss and moves only through
the gradient of the hint loss, which flows through every sampler step into the student.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gdpd.config import SoftTargetSettings, setting
from gdpd.methods.distiller import Batch, Distiller, Stage
from gdpd.methods.kd import hinton_kd
from gdpd.models import Classifier, Outputs
from gdpd.prior import (
    AlphaAdapter,
    DiffusionPrior,
    TeacherAutoencoder,
    ddim_timesteps,
    measurement_guidance,
    noise_fusion,
)


@dataclass(frozen=True)
class GDPDSettings(SoftTargetSettings):
    """GDPD's settings beside lambda (and ``T``, which only the released script's Hinton term reads)."""

    samples: int = setting(1, "hint samples J drawn per student feature and step")
    alpha: float | None = setting(None, "a fixed fusion weight in [0, 1] instead of the learned per-sample one")
    hinton: bool = setting(False, "add the released script's Hinton KD term in both stages")
    ddim_start: int = setting(400, "the DDIM start step of the reverse process (of 1,000)")
    ddim_steps: int = setting(5, "the number of DDIM steps")
    conditioning: Literal["fusion", "dps"] = setting(
        "fusion", "fusion: start from the noise fusion of the projected student feature (the paper); dps: from pure "
        "noise with likelihood guidance (Chung et al., ICLR 2023)")
    guidance_scale: float = setting(1.0, "the guidance step size of --conditioning dps")
    joint_prior: bool = setting(False, "keep training the prior on its denoising loss after the warm-up")
    prior_updates: int = setting(
        1, "optimiser steps of the prior on its denoising loss per training batch while it learns (1: the paper; more "
        "give it the steps a small training set does not)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.samples < 1:
            raise ValueError(f"samples (J) must be >= 1, got {self.samples}")
        if self.prior_updates < 1:
            raise ValueError(f"prior_updates must be >= 1 (1: one step per batch, as the paper), got "
                             f"{self.prior_updates}")
        if self.alpha is not None and not 0 <= self.alpha <= 1:
            raise ValueError(f"a fixed alpha must be in [0, 1], got {self.alpha}; pass None to learn it")
        if self.conditioning not in ("fusion", "dps"):
            raise ValueError(f"conditioning must be 'fusion' or 'dps', got {self.conditioning!r}")
        if self.conditioning == "dps" and self.alpha is not None:
            raise ValueError(
                "a fixed alpha applies to the noise-fusion start only; drop --alpha with --conditioning dps"
            )
        ddim_timesteps(self.ddim_start, self.ddim_steps)  # fail at configuration time, not epochs into training


class HintSampler(nn.Module):
    """``z_s -> z_hat``: projection ``trans``, noise fusion with a learned (or fixed) alpha, DDIM, then ``proj``.

    With ``conditioning="dps"`` the start is pure noise and each DDIM step is guided towards ``trans(z_s)`` instead
    (Chung et al., ICLR 2023): the alternative a reviewer asked about.
    """

    def __init__(self, width: int, settings: GDPDSettings) -> None:
        super().__init__()
        self.settings = settings
        self.prior = DiffusionPrior(width)
        self.trans = nn.Linear(width, width)
        learned_alpha = settings.alpha is None and settings.conditioning == "fusion"
        self.alpha_adapter = AlphaAdapter(width) if learned_alpha else None
        self.proj = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width))

    def alpha(self, measurement: Tensor) -> Tensor:
        """Per-sample fusion weight, shape ``(B, 1)``; 0 under DPS conditioning, which starts from pure noise."""
        if self.alpha_adapter is not None:
            return self.alpha_adapter(measurement)
        fixed = 0.0 if self.settings.conditioning == "dps" else float(self.settings.alpha)
        return measurement.new_full((measurement.shape[0], 1), fixed)

    def forward(self, z_student: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The hint, the alpha used and the projected measurement ``trans(z_s)``."""
        measurement = self.trans(z_student)
        alpha = self.alpha(measurement)
        start = noise_fusion(measurement, alpha, torch.randn_like(measurement))
        guidance = None
        if self.settings.conditioning == "dps":
            guidance = measurement_guidance(measurement, self.settings.guidance_scale)
        hint = self.proj(self.prior.sample(start, self.settings.ddim_start, self.settings.ddim_steps, guidance))
        return hint, alpha, measurement


class GDPD(Distiller):
    """Warm-up: ``CE + lambda (L_diff + L_rec)``; then ``CE + lambda * mean_j CE(head(z_hat_j), y)``.

    ``settings.hinton`` adds ``lambda * T^2 KL`` in both stages, as the released main script does;
    ``settings.joint_prior`` keeps ``lambda (L_diff + L_rec)`` after the warm-up too, and ``settings.prior_updates``
    gives the prior that many steps on ``lambda * L_diff`` per batch while it learns (ablations, not the paper).
    """

    name = "gdpd"
    label = "GDPD"
    description = "hints sampled from a diffusion prior over the teacher's features, classified by the student's head"
    citation = ('"Generative Diffusion Prior Distillation for Long-Context Knowledge Transfer", ICLR 2026 '
                "(arXiv 2605.11414)")
    Settings = GDPDSettings

    def __init__(self, student: Classifier, teacher_dim: int, settings: GDPDSettings) -> None:
        super().__init__(student, teacher_dim, settings)
        width = student.feature_dim
        self.autoencoder = TeacherAutoencoder(teacher_dim, width)
        self.sampler = HintSampler(width, settings)

    def hint_loss(self, z_student: Tensor, y: Tensor) -> Tensor:
        """``mean_j CE(head(z_hat_j), y)``: the J samples run as one batch of ``J * B``."""
        j = self.settings.samples
        hint, _, _ = self.sampler(z_student.repeat(j, 1))
        return F.cross_entropy(self.student.head(hint), y.repeat(j))

    def losses(self, student: Outputs, batch: Batch, stage: Stage) -> dict[str, Tensor]:
        assert batch.teacher is not None
        w = self.settings.weight
        terms = self.task_loss(student.logits, batch.y)
        if self.settings.hinton:
            terms["kd"] = w * hinton_kd(student.logits, batch.teacher.logits, self.settings.temperature)
        if stage.warmup or self.settings.joint_prior:
            latent, reconstruction = self.autoencoder(batch.teacher.feature)
            terms["diffusion"] = w * self.sampler.prior(latent.detach())
            terms["reconstruction"] = w * reconstruction
        if not stage.warmup:
            terms["hint"] = w * self.hint_loss(student.feature, batch.y)
        return terms

    def extra_losses(self, batch: Batch, stage: Stage) -> Iterator[Tensor]:
        """``prior_updates - 1`` further steps of ``lambda * L_diff`` on the batch's teacher latents while the prior
        learns (the warm-up, or throughout with ``joint_prior``). They move the denoiser alone: the latents are encoded
        once per batch without gradients, a forward pass that, in training mode, also moves the encoder's BatchNorm
        running statistics once more."""
        if self.settings.prior_updates == 1 or not (stage.warmup or self.settings.joint_prior):
            return
        assert batch.teacher is not None
        with torch.no_grad():
            latent = self.autoencoder.encoder(batch.teacher.feature)
        for _ in range(self.settings.prior_updates - 1):
            yield self.settings.weight * self.sampler.prior(latent)

    @torch.no_grad()
    def diagnostics(self, batch: Batch, feature: Tensor | None = None) -> dict[str, float]:
        """Mean alpha and how far hints sit from the measurement and from the teacher's latent features."""
        assert batch.teacher is not None
        if feature is None:
            feature = self.student.encode(batch.x).feature
        hint, alpha, measurement = self.sampler(feature)
        latent = self.autoencoder.encoder(batch.teacher.feature)
        return {
            "alpha": alpha.mean().item(),
            "hint_to_student": (hint - measurement).norm(dim=1).mean().item(),
            "hint_to_teacher": (hint - latent).norm(dim=1).mean().item(),
            "hint_accuracy": (self.student.head(hint).argmax(1) == batch.y).float().mean().item(),
        }
