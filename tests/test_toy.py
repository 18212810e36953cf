"""Tests for gdpd.toy: closed forms checked against autograd, Bayes' rule and hand values."""

from __future__ import annotations

import math

import pytest
import torch

from gdpd.prior import NoiseSchedule, ddim_sample
from gdpd.toy import (
    GaussianMixture,
    dps_samples,
    energy_distance,
    gdpd_hints,
    hint_sweep,
    measure,
    mixture_eps,
    posterior,
    ring_mixture,
    sample_metrics,
)

SCHEDULE = NoiseSchedule()


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_ring_mixture_geometry() -> None:
    prior = ring_mixture(4, radius=2.0, std=0.1)
    expected = torch.tensor([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]])
    torch.testing.assert_close(prior.means, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(prior.weights, torch.full((4,), 0.25))
    assert prior.var == pytest.approx(0.01)


def test_log_prob_of_one_standard_normal() -> None:
    prior = GaussianMixture(torch.ones(1), torch.zeros(1, 2), 1.0)
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    expected = torch.tensor([-math.log(2 * math.pi), -math.log(2 * math.pi) - 1.0])
    torch.testing.assert_close(prior.log_prob(z), expected)


def test_sample_moments() -> None:
    prior = ring_mixture(6, radius=3.0, std=0.2)
    z = prior.sample(4000, gen())
    assert z.norm(dim=-1).mean().item() == pytest.approx(3.0, abs=0.05)
    assert z.mean(0).abs().max().item() < 0.15


def test_posterior_is_bayes_rule() -> None:
    """log p(z | y) - log p(z) - log N(y; a z, s^2 I) must not depend on z."""
    prior, gain, s = ring_mixture(5, std=0.3), 0.6, 0.4
    y = torch.tensor([0.5, -0.8])
    post = posterior(prior, y, gain, s)
    z = torch.randn(50, 2, generator=gen()) * 2
    log_lik = -((y - gain * z).square().sum(-1)) / (2 * s**2)
    gap = post.log_prob(z) - prior.log_prob(z) - log_lik
    assert gap.std().item() < 1e-4
    assert post.weights.sum().item() == pytest.approx(1.0)


def test_mixture_eps_matches_autograd_score() -> None:
    prior = ring_mixture(7, std=0.2)
    t = torch.tensor([10, 400, 999])
    z = torch.randn(3, 2, generator=gen(1)).requires_grad_(True)
    a = SCHEDULE.at(t)
    marginals = [
        GaussianMixture(prior.weights, a[i].sqrt() * prior.means, float(a[i] * prior.var + 1 - a[i])) for i in range(3)
    ]
    log_p = sum(m.log_prob(z[i : i + 1]) for i, m in enumerate(marginals))
    (score,) = torch.autograd.grad(log_p.sum(), z)
    expected = -(1 - a).sqrt().unsqueeze(-1) * score
    torch.testing.assert_close(mixture_eps(prior, SCHEDULE)(z.detach(), t), expected, atol=1e-5, rtol=1e-4)


def test_mixture_eps_standard_normal_hand_value() -> None:
    """For p = N(0, I) every marginal is N(0, I), so eps(z, t) = sqrt(1 - abar_t) z."""
    prior = GaussianMixture(torch.ones(1), torch.zeros(1, 2), 1.0)
    z, t = torch.tensor([[1.0, -2.0]]), torch.tensor([500])
    torch.testing.assert_close(mixture_eps(prior, SCHEDULE)(z, t), (1 - SCHEDULE.at(t)).sqrt() * z)


def test_hints_land_on_a_point_prior_and_alpha_one_is_deterministic() -> None:
    prior = GaussianMixture(torch.ones(1), torch.tensor([[1.5, -0.5]]), 1e-4)
    eps = mixture_eps(prior, SCHEDULE)
    y = torch.tensor([0.3, 0.2])
    hints = gdpd_hints(eps, y, 0.0, 64, SCHEDULE, gen())
    assert hints.shape == (64, 2)
    assert (hints - prior.means).abs().max().item() < 0.05
    fixed = gdpd_hints(mixture_eps(ring_mixture(), SCHEDULE), y, 1.0, 8, SCHEDULE, gen())
    assert (fixed - fixed[0]).abs().max().item() == 0.0


def test_dps_without_guidance_is_plain_ddim_and_guidance_fits_y() -> None:
    prior = ring_mixture(8)
    eps = mixture_eps(prior, SCHEDULE)
    y = torch.tensor([1.0, 0.5])
    free = dps_samples(eps, y, 0.7, 0.5, 32, SCHEDULE, gen(2), steps=20, scale=0.0)
    plain = ddim_sample(eps, torch.randn(32, 2, generator=gen(2)), SCHEDULE, 999, 20)
    torch.testing.assert_close(free, plain)
    guided = dps_samples(eps, y, 0.7, 0.5, 32, SCHEDULE, gen(2), steps=20, scale=0.02)
    assert (y - 0.7 * guided).norm(dim=-1).mean() < (y - 0.7 * free).norm(dim=-1).mean()


def test_energy_distance_hand_values() -> None:
    x = torch.tensor([[0.0, 0.0]])
    assert energy_distance(x, torch.tensor([[3.0, 4.0]])) == pytest.approx(10.0)
    z = torch.randn(100, 2, generator=gen())
    assert energy_distance(z, z) == pytest.approx(0.0, abs=1e-6)


def test_measure_and_metrics_hand_values() -> None:
    z = torch.tensor([[2.0, 0.0]])
    assert torch.equal(measure(z, 0.5, 0.0, gen()), torch.tensor([[1.0, 0.0]]))
    prior = GaussianMixture(torch.ones(1), torch.zeros(1, 2), 1.0)
    m = sample_metrics(z, torch.tensor([1.0, 0.0]), 0.5, prior, z)
    assert m["residual"] == pytest.approx(0.0)
    assert m["dist_to_y"] == pytest.approx(1.0)
    assert m["prior_nll"] == pytest.approx(math.log(2 * math.pi) + 2.0)
    assert m["energy_dist"] == pytest.approx(0.0)
    assert m["spread"] == pytest.approx(0.0)


def test_hint_sweep_rows() -> None:
    prior = ring_mixture(4)
    y = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    rows = hint_sweep(prior, SCHEDULE, y, 0.7, 0.5, [0.0, 1.0], 16, gen())
    assert [(r["alpha"], r["measurement"]) for r in rows] == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]
    assert rows[2]["spread"] == pytest.approx(0.0, abs=1e-6)
