"""Tests for gdpd.inspection: eval-mode helpers for looking inside a trained GDPD run, and history tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gdpd.inspection import (
    draw_hints,
    evaluating,
    fit_pca,
    history_frame,
    loss_terms,
    nearest_distance,
    results_table,
    sample_prior,
    teacher_latents,
)
from gdpd.methods.gdpd import GDPDSettings, HintSampler
from gdpd.prior import DiffusionPrior, TeacherAutoencoder


def test_evaluating_restores_mode_and_disables_grad() -> None:
    module = torch.nn.BatchNorm1d(3)
    module.train()
    with evaluating(module):
        assert not module.training
        assert not torch.is_grad_enabled()
    assert module.training


def test_teacher_latents_use_running_statistics() -> None:
    torch.manual_seed(0)
    ae = TeacherAutoencoder(6, 4)
    z = torch.randn(5, 6)
    expected = ae.encoder.eval()(z)
    ae.train()
    out = teacher_latents(ae, z)
    torch.testing.assert_close(out, expected)
    assert ae.training
    assert ae.encoder[1].num_batches_tracked.item() == 0  # no running-statistics update


def test_sample_prior_is_seeded_and_shaped() -> None:
    torch.manual_seed(0)
    prior = DiffusionPrior(8)
    a = sample_prior(prior, 7, seed=3, t_start=400, steps=5)
    b = sample_prior(prior, 7, seed=3, t_start=400, steps=5)
    assert a.shape == (7, 8)
    torch.testing.assert_close(a, b)
    assert prior.training


def test_draw_hints_matches_sampler_and_keeps_global_rng() -> None:
    torch.manual_seed(0)
    sampler = HintSampler(8, GDPDSettings())
    z = torch.randn(3, 8)
    before = torch.random.get_rng_state()
    draw = draw_hints(sampler, z, per_series=4, seed=5)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert draw.hint.shape == (12, 8) and draw.alpha.shape == (12,) and draw.measurement.shape == (12, 8)
    assert draw.series.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    sampler.eval()
    torch.manual_seed(5)
    with torch.no_grad():
        hint, _, measurement = sampler(z.repeat_interleave(4, dim=0))
    torch.testing.assert_close(draw.hint, hint)
    torch.testing.assert_close(draw.measurement, measurement)
    assert not torch.allclose(draw.hint[0], draw.hint[1])  # independent noise per draw
    with pytest.raises(ValueError):
        draw_hints(sampler, z, per_series=0, seed=0)


def test_nearest_distance() -> None:
    points = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    reference = torch.tensor([[0.0, 1.0], [3.0, 0.0]])
    torch.testing.assert_close(nearest_distance(points, reference), torch.tensor([1.0, 4.0]))


def test_fit_pca_recovers_dominant_direction() -> None:
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=200) * 10, rng.normal(size=200) * 0.1, rng.normal(size=200)]
    pca = fit_pca(torch.tensor(x))
    assert abs(pca.components[0, 0]) > 0.99
    assert pca.explained[0] > 0.9 and pca.explained.sum() <= 1 + 1e-9
    assert pca.project(x).shape == (200, 2)
    with pytest.raises(ValueError):
        fit_pca(np.zeros((1, 3)))


def test_history_and_results_tables() -> None:
    record = {
        "history": [{"epoch": 0.0, "val_loss": 0.9, "ce": 0.8, "diffusion": 1.0},
                    {"epoch": 1.0, "val_loss": 0.7, "ce": 0.6, "hint": 0.5}],
        "metrics": {"auc_prc": 0.5, "accuracy": 0.25, "fidelity": 0.75},
        "training": {"best_epoch": 1, "epochs_run": 2, "seconds_per_epoch": 0.1},
    }
    history = history_frame(record)
    assert history.index.tolist() == [0, 1]
    assert loss_terms(history) == ["ce", "hint", "diffusion"]
    table = results_table({"gdpd": record}, {"gdpd": "GDPD"})
    assert table.loc["GDPD", "auc_prc"] == 50 and table.loc["GDPD", "fidelity"] == 75
    assert table.loc["GDPD", "best_epoch"] == 1
