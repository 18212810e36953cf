"""Tests for gdpd.prior: schedule, forward process, DDIM sampler, noise fusion and the small networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gdpd.prior import (
    AlphaAdapter,
    Bottleneck,
    Denoiser,
    DiffusionPrior,
    NoiseSchedule,
    TeacherAutoencoder,
    ddim_sample,
    ddim_timesteps,
    noise_fusion,
)

SCHEDULE = NoiseSchedule()


def test_alpha_bar_golden_values() -> None:
    ab = SCHEDULE.alpha_bar
    assert ab.shape == (1000,)
    assert ab[0].item() == pytest.approx(1 - 1e-4, abs=1e-7)
    assert bool((ab[1:] < ab[:-1]).all())
    expected = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))
    np.testing.assert_allclose(ab.numpy(), expected, rtol=1e-5)
    assert ab[999].item() == pytest.approx(4.0358296246267855e-05, rel=1e-5)
    assert ab[399].item() == pytest.approx(0.19514644145965576, rel=1e-6)


def test_at_pads_the_clean_step() -> None:
    t = torch.tensor([-1, 0, 999])
    expected = torch.stack([torch.tensor(1.0), SCHEDULE.alpha_bar[0], SCHEDULE.alpha_bar[999]])
    torch.testing.assert_close(SCHEDULE.at(t), expected)


@pytest.mark.parametrize("args", [(0, 1e-4, 0.02), (10, 0.0, 0.02), (10, 0.03, 0.02), (10, 1e-4, 1.0)])
def test_schedule_validation(args) -> None:
    with pytest.raises(ValueError):
        NoiseSchedule(*args)


def test_q_sample_formula() -> None:
    torch.manual_seed(0)
    z0, noise = torch.randn(4, 3), torch.randn(4, 3)
    t = torch.tensor([-1, 0, 400, 999])
    zt = SCHEDULE.q_sample(z0, t, noise)
    a = np.concatenate([[1.0], np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))])[t.numpy() + 1][:, None]
    expected = np.sqrt(a) * z0.numpy() + np.sqrt(1 - a) * noise.numpy()
    np.testing.assert_allclose(zt.numpy(), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(zt[0], z0[0])  # step -1 is the clean sample


def test_ddim_timesteps() -> None:
    assert ddim_timesteps(400, 5) == [400, 300, 200, 100, 0]
    assert ddim_timesteps(400, 1) == [400]
    assert ddim_timesteps(0, 1) == [0]
    assert ddim_timesteps(4, 5) == [4, 3, 2, 1, 0]
    steps = ddim_timesteps(999, 7)
    assert steps[0] == 999 and steps[-1] == 0 and len(set(steps)) == 7
    assert steps == sorted(steps, reverse=True)


@pytest.mark.parametrize("args", [(1000, 5), (-1, 1), (400, 0), (3, 5)])
def test_ddim_timesteps_invalid(args) -> None:
    with pytest.raises(ValueError):
        ddim_timesteps(*args)


@pytest.mark.parametrize("t_start, steps", [(400, 5), (999, 10), (999, 1), (0, 1), (50, 3), (10, 11)])
def test_ddim_with_perfect_denoiser_returns_clean_sample(t_start, steps) -> None:
    torch.manual_seed(0)
    z0, noise = torch.randn(5, 4), torch.randn(5, 4)

    def eps_fn(z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a = SCHEDULE.at(t).unsqueeze(-1)
        return (z_t - a.sqrt() * z0) / (1 - a).sqrt()

    z_start = SCHEDULE.q_sample(z0, torch.full((5,), t_start), noise)
    torch.testing.assert_close(ddim_sample(eps_fn, z_start, SCHEDULE, t_start, steps), z0, atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("t_start, steps", [(400, 5), (120, 2)])
def test_ddim_with_zero_epsilon_rescales_to_clean(t_start, steps) -> None:
    """With eps = 0 every step multiplies by sqrt(a_s / a_t); the product telescopes to 1 / sqrt(a_start)."""
    z = torch.randn(3, 4)
    out = ddim_sample(lambda z_t, t: torch.zeros_like(z_t), z, SCHEDULE, t_start, steps)
    torch.testing.assert_close(out, z / SCHEDULE.alpha_bar[t_start].sqrt())


def test_ddim_calls_eps_fn_at_each_timestep() -> None:
    seen: list[list[int]] = []

    def eps_fn(z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        seen.append(t.tolist())
        return torch.zeros_like(z_t)

    ddim_sample(eps_fn, torch.randn(2, 3), SCHEDULE, 400, 5)
    assert seen == [[t, t] for t in (400, 300, 200, 100, 0)]


def test_noise_fusion_endpoints_and_per_sample_alpha() -> None:
    torch.manual_seed(0)
    m, eps = torch.randn(3, 4), torch.randn(3, 4)
    torch.testing.assert_close(noise_fusion(m, 0.0, eps), eps)
    torch.testing.assert_close(noise_fusion(m, 1.0, eps), m)
    alpha = torch.tensor([[0.0], [1.0], [0.25]])
    out = noise_fusion(m, alpha, eps)
    assert out.shape == (3, 4)
    torch.testing.assert_close(out[0], eps[0])
    torch.testing.assert_close(out[1], m[1])
    torch.testing.assert_close(out[2], 0.25 * m[2] + 0.75 * eps[2])


def test_denoiser_shape() -> None:
    assert Denoiser(6, timesteps=10)(torch.randn(4, 6), torch.tensor([0, 3, 9, 1])).shape == (4, 6)


def test_bottleneck_is_the_released_block() -> None:
    block = Bottleneck(100)
    linears = [m for m in block.body if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(100, 25), (25, 25), (25, 100)]
    assert [type(m).__name__ for m in block.body] == [
        "Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d"
    ]
    assert [(m.in_features, m.out_features) for m in AlphaAdapter(100).block.body if isinstance(m, nn.Linear)] == [
        (100, 12), (12, 12), (12, 100)
    ]


def test_bottleneck_skip_keeps_negative_values() -> None:
    block = Bottleneck(8)
    for layer in block.body:  # silence the body: the output is then the skip alone, with no ReLU after the sum
        if isinstance(layer, nn.BatchNorm1d):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
    x = -torch.rand(5, 8) - 0.5
    torch.testing.assert_close(block(x), x)


def test_bottleneck_rejects_a_zero_reduction() -> None:
    with pytest.raises(ValueError, match="reduction"):
        Bottleneck(8, reduction=0)


def test_diffusion_prior_loss_golden_and_gradient() -> None:
    torch.manual_seed(0)
    prior = DiffusionPrior(4)
    z = torch.randn(6, 4)
    loss = prior(z)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(2.084883213043213, rel=1e-5)
    loss.backward()
    grads = [p.grad for p in prior.denoiser.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum().item() for g in grads) > 0


def test_diffusion_prior_loss_is_the_epsilon_mse() -> None:
    torch.manual_seed(0)
    prior = DiffusionPrior(4, timesteps=50)
    z = torch.randn(6, 4)
    torch.manual_seed(3)
    loss = prior(z)
    torch.manual_seed(3)
    t = torch.randint(0, 50, (6,))
    noise = torch.randn(6, 4)
    expected = F.mse_loss(prior.denoiser(prior.schedule.q_sample(z, t, noise), t), noise)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_prior_sample_is_differentiable() -> None:
    torch.manual_seed(0)
    prior = DiffusionPrior(4)
    z_start = torch.randn(5, 4, requires_grad=True)
    out = prior.sample(z_start, t_start=400, steps=5)
    assert out.shape == (5, 4)
    (out**2).sum().backward()
    assert z_start.grad is not None and torch.isfinite(z_start.grad).all() and z_start.grad.abs().sum() > 0
    assert prior.denoiser.time_embedding.weight.grad is not None
    # Only the rows of the visited steps receive gradient.
    rows = prior.denoiser.time_embedding.weight.grad.abs().sum(1).nonzero().flatten().tolist()
    assert rows == [0, 100, 200, 300, 400]
    assert all(p.grad is not None for p in prior.denoiser.parameters())


def test_teacher_autoencoder_latent_and_reconstruction_golden() -> None:
    torch.manual_seed(0)
    ae = TeacherAutoencoder(5, 3)
    z = torch.randn(4, 5)
    latent, loss = ae(z)
    assert latent.shape == (4, 3)
    assert loss.item() == pytest.approx(1.4953901767730713, rel=1e-5)
    # Independent: training-mode BatchNorm standardises each latent unit with the biased batch variance.
    h = (z @ ae.encoder[0].weight.T + ae.encoder[0].bias).detach().numpy()
    lat = (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5)
    rec = lat @ ae.decoder.weight.detach().numpy().T + ae.decoder.bias.detach().numpy()
    np.testing.assert_allclose(latent.detach().numpy(), lat, rtol=1e-4, atol=1e-5)
    assert loss.item() == pytest.approx(float(((rec - z.numpy()) ** 2).mean()), rel=1e-5)


def test_alpha_adapter_range_and_shape() -> None:
    torch.manual_seed(0)
    adapter = AlphaAdapter(8)
    z = 10 * torch.randn(7, 8)
    alpha = adapter(z)
    assert alpha.shape == (7, 1)
    assert bool(((alpha > 0) & (alpha < 1)).all())
    logits = adapter.logits(adapter.block(z))
    torch.testing.assert_close(alpha[:, 0], torch.sigmoid(logits[:, 0] - logits[:, 1]))


def test_zero_guidance_is_plain_ddim():
    from gdpd.prior import measurement_guidance

    torch.manual_seed(0)
    prior = DiffusionPrior(6).eval()
    start = torch.randn(4, 6)
    plain = prior.sample(start, 400, 5)
    guided = prior.sample(start, 400, 5, guidance=measurement_guidance(torch.zeros(4, 6), 0.0))
    torch.testing.assert_close(guided, plain)


def test_guidance_pulls_samples_towards_the_measurement():
    from gdpd.prior import measurement_guidance

    torch.manual_seed(0)
    prior = DiffusionPrior(6).eval()
    start, measurement = torch.randn(16, 6), 3 * torch.ones(16, 6)
    with torch.no_grad():
        distances = [
            (prior.sample(start, 400, 5, guidance=measurement_guidance(measurement, scale)) - measurement)
            .norm(dim=1)
            .mean()
            for scale in (0.0, 0.3, 1.0)
        ]
    assert distances[0] > distances[1] > distances[2]


def test_guided_sampling_is_differentiable_through_the_guidance():
    from gdpd.prior import measurement_guidance

    torch.manual_seed(0)
    prior = DiffusionPrior(6)
    measurement = torch.randn(4, 6, requires_grad=True)
    hint = prior.sample(torch.randn(4, 6), 999, 3, guidance=measurement_guidance(measurement, 0.1))
    hint.sum().backward()
    assert measurement.grad is not None and measurement.grad.abs().sum() > 0
    assert all(p.grad is not None for p in prior.denoiser.parameters() if p.requires_grad)
