"""The diffusion prior over teacher features and the pieces GDPD samples hints with.

GDPD (ICLR 2026, Sec. 3) learns an unconditional DDPM prior ``p_phi(z_long)`` over the teacher's features and treats
the student feature as a degraded measurement of an ideal long-context feature. A hint is a posterior-style sample
obtained by starting the reverse process from a *noise fusion* of the measurement and Gaussian noise, then running a
deterministic DDIM sampler. Following DPS (Chung et al., ICLR 2023), the start, the conditioning and the sampler are
separate functions, so an ablation can swap one of them.

References: Ho et al., "Denoising Diffusion Probabilistic Models", NeurIPS 2020 (schedule and epsilon loss);
Song et al., "Denoising Diffusion Implicit Models", ICLR 2021 (the sampler).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

EpsilonFn = Callable[[Tensor, Tensor], Tensor]
Guidance = Callable[[Tensor, Tensor], Tensor]
"""``(z_t, z0_hat) -> correction`` subtracted from each DDIM step (e.g. a DPS likelihood gradient)."""


class NoiseSchedule(nn.Module):
    """Linear DDPM schedule ``beta_t`` from ``beta_start`` to ``beta_end`` over ``timesteps`` steps.

    ``alpha_bar[t] = prod_{s<=t} (1 - beta_s)``; step ``-1`` stands for the clean sample (``alpha_bar = 1``).
    """

    alpha_bar: Tensor

    def __init__(self, timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        super().__init__()
        if timesteps < 1 or not 0 < beta_start <= beta_end < 1:
            raise ValueError(
                f"need timesteps >= 1 and 0 < beta_start <= beta_end < 1; got {timesteps}, {beta_start}, {beta_end}"
            )
        self.timesteps = timesteps
        betas = torch.linspace(beta_start, beta_end, timesteps, dtype=torch.float64)
        self.register_buffer("alpha_bar", torch.cumprod(1 - betas, 0).float())

    def at(self, t: Tensor) -> Tensor:
        """``alpha_bar_t`` for integer steps ``t`` in ``[-1, T)``, with ``alpha_bar_{-1} = 1``."""
        padded = torch.cat([self.alpha_bar.new_ones(1), self.alpha_bar])
        return padded[t + 1]

    def q_sample(self, z0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        """Forward process ``z_t = sqrt(alpha_bar_t) z_0 + sqrt(1 - alpha_bar_t) eps`` (Ho et al., Eq. 4)."""
        a = self.at(t).unsqueeze(-1)
        return a.sqrt() * z0 + (1 - a).sqrt() * noise


class Bottleneck(nn.Module):
    """The released residual bottleneck on a vector: ``x + BN(W3 relu(BN(W2 relu(BN(W1 x)))))``.

    Three layers through an inner width ``width // reduction`` (the released block's middle 3x3 convolution acts on a
    1x1 map, so only its centre tap matters: a linear layer) and an identity skip with no ReLU after the sum, so the
    output keeps negative values (GDPD's released ``gdpd_modules.Bottleneck``; the paper's Sec. 3 does not specify it).
    """

    def __init__(self, width: int, reduction: int = 4) -> None:
        super().__init__()
        if reduction < 1:
            raise ValueError(f"reduction must be >= 1, got {reduction}")
        inner = max(1, width // reduction)
        self.body = nn.Sequential(
            nn.Linear(width, inner), nn.BatchNorm1d(inner), nn.ReLU(),
            nn.Linear(inner, inner), nn.BatchNorm1d(inner), nn.ReLU(),
            nn.Linear(inner, width), nn.BatchNorm1d(width),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class Denoiser(nn.Module):
    """``eps_phi(z_t, t)``: a learned time embedding added to the input, two bottlenecks, then linear + BatchNorm."""

    def __init__(self, width: int, timesteps: int = 1000) -> None:
        super().__init__()
        self.time_embedding = nn.Embedding(timesteps, width)
        self.blocks = nn.Sequential(Bottleneck(width), Bottleneck(width))
        self.out = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width))

    def forward(self, z: Tensor, t: Tensor) -> Tensor:
        return self.out(self.blocks(z + self.time_embedding(t)))


def ddim_timesteps(t_start: int, steps: int, timesteps: int = 1000) -> list[int]:
    """Evenly spaced DDIM steps from ``t_start`` down to 0; the released code uses 5 steps from 400.

    >>> ddim_timesteps(400, 5)
    [400, 300, 200, 100, 0]
    """
    if not 0 <= t_start < timesteps:
        raise ValueError(f"t_start must be in [0, {timesteps}), got {t_start}")
    if not 1 <= steps <= t_start + 1:
        raise ValueError(f"steps must be in [1, t_start + 1 = {t_start + 1}], got {steps}")
    if steps == 1:
        return [t_start]
    return torch.linspace(t_start, 0, steps).round().long().tolist()


def ddim_sample(
    eps_fn: EpsilonFn,
    z_start: Tensor,
    schedule: NoiseSchedule,
    t_start: int = 400,
    steps: int = 5,
    guidance: Guidance | None = None,
) -> Tensor:
    """Deterministic DDIM (eta = 0) from ``z_start`` treated as ``z_{t_start}`` to the clean sample.

    Each step predicts ``z0 = (z_t - sqrt(1 - a_t) eps) / sqrt(a_t)`` and moves to
    ``z_s = sqrt(a_s) z0 + sqrt(1 - a_s) eps`` (Song et al., Eq. 12 with sigma = 0); the last step goes to
    ``alpha_bar = 1``. With ``guidance`` each step also subtracts ``guidance(z_t, z0)`` (DPS, Chung et al., Alg. 1).
    Differentiable: GDPD back-propagates through every step.
    """
    ts = ddim_timesteps(t_start, steps, schedule.timesteps)
    z = z_start
    for t, s in zip(ts, ts[1:] + [-1]):
        t_batch = torch.full((z.shape[0],), t, dtype=torch.long, device=z.device)
        with torch.enable_grad() if guidance is not None else contextlib.nullcontext():
            if guidance is not None and not z.requires_grad:
                z = z.detach().requires_grad_(True)
            eps = eps_fn(z, t_batch)
            a_t = schedule.at(t_batch).unsqueeze(-1)
            a_s = schedule.at(torch.full_like(t_batch, s)).unsqueeze(-1)
            z0 = (z - (1 - a_t).sqrt() * eps) / a_t.sqrt()
            correction = guidance(z, z0) if guidance is not None else 0.0
        z = a_s.sqrt() * z0 + (1 - a_s).sqrt() * eps - correction
    return z


def measurement_guidance(measurement: Tensor, scale: float) -> Guidance:
    """DPS correction ``scale * grad_{z_t} ||y - z0_hat(z_t)||`` for the identity measurement ``y = z + n``.

    The norm rather than its square is DPS's step-size normalisation, ``zeta_t = zeta / ||y - A(z0_hat)||``
    (Chung et al., ICLR 2023, Sec. 3.2), applied per sample.

    When the measurement is part of a training graph the gradient stays in it, so training differentiates through
    the guidance as it does through the sampler.
    """

    def correction(z_t: Tensor, z0: Tensor) -> Tensor:
        residual = (measurement - z0).norm(dim=-1).sum()
        (grad,) = torch.autograd.grad(residual, z_t, create_graph=measurement.requires_grad)
        return scale * grad

    return correction


def noise_fusion(measurement: Tensor, alpha: Tensor | float, noise: Tensor) -> Tensor:
    """GDPD's start of the reverse process, ``z_init = alpha * z_short + (1 - alpha) * eps``.

    ``alpha = 0`` is unconditional sampling from the prior; ``alpha = 1`` starts from the measurement itself.
    """
    return alpha * measurement + (1 - alpha) * noise


class DiffusionPrior(nn.Module):
    """An unconditional DDPM prior on feature vectors: ``loss = prior(z0)``, ``hint = prior.sample(z_init)``."""

    def __init__(self, width: int, timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        super().__init__()
        self.schedule = NoiseSchedule(timesteps, beta_start, beta_end)
        self.denoiser = Denoiser(width, timesteps)

    def forward(self, z0: Tensor) -> Tensor:
        """Denoising loss ``E_{t, eps} || eps - eps_phi(sqrt(a_t) z0 + sqrt(1 - a_t) eps, t) ||^2`` at uniform ``t``."""
        t = torch.randint(0, self.schedule.timesteps, (z0.shape[0],), device=z0.device)
        noise = torch.randn_like(z0)
        return F.mse_loss(self.denoiser(self.schedule.q_sample(z0, t, noise), t), noise)

    def sample(self, z_start: Tensor, t_start: int = 400, steps: int = 5, guidance: Guidance | None = None) -> Tensor:
        """DDIM from ``z_start`` (e.g. a noise fusion) at step ``t_start`` down to a clean sample."""
        return ddim_sample(self.denoiser, z_start, self.schedule, t_start, steps, guidance)


class TeacherAutoencoder(nn.Module):
    """Maps teacher features to the student head's width; the prior is fitted on the (detached) latent.

    Encoder linear + BatchNorm, decoder linear, trained with the reconstruction MSE (the released code's ``AE``).
    """

    def __init__(self, in_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, latent_dim), nn.BatchNorm1d(latent_dim))
        self.decoder = nn.Linear(latent_dim, in_dim)

    def forward(self, z_teacher: Tensor) -> tuple[Tensor, Tensor]:
        """The latent and the reconstruction loss ``||z - dec(enc(z))||^2``."""
        latent = self.encoder(z_teacher)
        return latent, F.mse_loss(self.decoder(latent), z_teacher)


class AlphaAdapter(nn.Module):
    """Per-sample fusion weight ``alpha = softmax(W bottleneck(z))[0]`` in (0, 1) (the released code's adapter).

    Its bottleneck narrows by ``reduction = 8``, the denoiser's by 4, as released.
    """

    def __init__(self, width: int, reduction: int = 8) -> None:
        super().__init__()
        self.block = Bottleneck(width, reduction)
        self.logits = nn.Linear(width, 2)

    def forward(self, z: Tensor) -> Tensor:
        return self.logits(self.block(z)).softmax(-1)[:, :1]
