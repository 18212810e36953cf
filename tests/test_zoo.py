"""Tests for the method zoo (RKD, attention, DKD, DT2W, VID, PKT, TeKAP, TTM): golden values on fixed random
tensors, independent numpy computations, properties, gradients into the student, and one smoke run each."""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import pytest
import torch
from torch import Tensor

from gdpd.experiment import run
from gdpd.methods import METHODS, Batch, Stage, build_distiller
from gdpd.methods.attention import attention_loss
from gdpd.methods.dkd import dkd_loss, warmup_factor
from gdpd.methods.dt2w import soft_dtw
from gdpd.methods.kd import hinton_kd
from gdpd.methods.pkt import pkt_loss
from gdpd.methods.rkd import rkd_loss
from gdpd.methods.tekap import tekap_loss
from gdpd.methods.ttm import ttm_loss
from gdpd.methods.vid import vid_loss
from gdpd.models import LSTMClassifier, Outputs
from gdpd.presets import get_preset
from gdpd.store import ResultStore

ZOO = ("rkd", "attention", "dkd", "dt2w", "vid", "pkt", "tekap", "ttm")
SEQUENCE_BASED = ("attention", "dt2w", "vid")
T = 2.0
WARMUP, DISTIL = Stage(0, warmup=True), Stage(25, warmup=False)


class Tensors(NamedTuple):
    s_logits: Tensor
    t_logits: Tensor
    y: Tensor
    s_feature: Tensor
    t_feature: Tensor
    s_sequence: Tensor
    t_sequence: Tensor


@pytest.fixture
def v() -> Tensors:
    """B = 6, K = 3, L = 10, D = 8, drawn from seed 0 in this order; the golden values below are computed on them."""
    torch.manual_seed(0)
    s_logits, t_logits = torch.randn(6, 3), torch.randn(6, 3)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    s_feature, t_feature = torch.randn(6, 8), torch.randn(6, 8)
    s_sequence, t_sequence = torch.randn(6, 10, 8), torch.randn(6, 10, 8)
    return Tensors(s_logits, t_logits, y, s_feature, t_feature, s_sequence, t_sequence)


def close(value: Tensor | float, golden: float, tol: float = 1e-5) -> bool:
    value = value.item() if isinstance(value, Tensor) else value
    return abs(value - golden) <= tol * max(1.0, abs(golden))


# Independent numpy versions.


def np_smooth_l1(a: np.ndarray, b: np.ndarray) -> float:
    d = np.abs(a - b)
    return float(np.where(d < 1, 0.5 * d**2, d - 0.5).mean())


def np_rkd(s: np.ndarray, t: np.ndarray) -> float:
    def distances(e: np.ndarray) -> np.ndarray:
        d = np.sqrt(((e[:, None] - e[None]) ** 2).sum(-1))
        return d / d[~np.eye(len(e), dtype=bool)].mean()

    def angles(e: np.ndarray) -> np.ndarray:
        out = np.zeros((len(e),) * 3)
        for a, b, c in itertools.product(range(len(e)), repeat=3):
            u, w = e[b] - e[a], e[c] - e[a]
            if np.linalg.norm(u) > 0 and np.linalg.norm(w) > 0:
                out[a, b, c] = u @ w / (np.linalg.norm(u) * np.linalg.norm(w))
        return out

    return 25 * np_smooth_l1(distances(s), distances(t)) + 50 * np_smooth_l1(angles(s), angles(t))


def np_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_kl(p: np.ndarray, q: np.ndarray) -> float:
    """``mean_b sum_k p log(p / q)``, with ``0 log 0 = 0``."""
    safe = np.where(p > 0, p, 1.0)
    return float(np.where(p > 0, p * np.log(safe / np.where(p > 0, q, 1.0)), 0.0).sum(-1).mean())


def np_dkd(s: np.ndarray, t: np.ndarray, y: np.ndarray) -> float:
    ps, pt = np_softmax(s / T), np_softmax(t / T)
    rows = np.arange(len(y))
    binary_s = np.stack([ps[rows, y], 1 - ps[rows, y]], 1)
    binary_t = np.stack([pt[rows, y], 1 - pt[rows, y]], 1)
    mask = np.ones_like(ps, dtype=bool)
    mask[rows, y] = False
    other_s = np.where(mask, ps, 0) / np.where(mask, ps, 0).sum(1, keepdims=True)
    other_t = np.where(mask, pt, 0) / np.where(mask, pt, 0).sum(1, keepdims=True)
    return T**2 * (np_kl(binary_t, binary_s) + 8 * np_kl(other_t, np.where(mask, other_s, 1.0)))


def np_soft_dtw(x: np.ndarray, y: np.ndarray, gamma: float) -> float:
    """The textbook double loop; ``gamma = 0`` is plain DTW."""
    n, m = len(x), len(y)
    r = np.full((n + 1, m + 1), np.inf)
    r[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            previous = np.array([r[i - 1, j - 1], r[i - 1, j], r[i, j - 1]])
            if gamma == 0:
                softmin = previous.min()
            else:
                low = previous.min()
                softmin = low - gamma * np.log(np.exp(-(previous - low) / gamma).sum())
            r[i, j] = ((x[i - 1] - y[j - 1]) ** 2).sum() + softmin
    return float(r[n, m])


def np_pkt(s: np.ndarray, t: np.ndarray, eps: float = 1e-7) -> float:
    def probabilities(e: np.ndarray) -> np.ndarray:
        unit = e / (np.linalg.norm(e, axis=1, keepdims=True) + eps)
        kernel = (unit @ unit.T + 1) / 2
        return kernel / kernel.sum(1, keepdims=True)

    ps, pt = probabilities(s), probabilities(t)
    return float((pt * np.log((pt + eps) / (ps + eps))).mean())


# Golden values and numpy cross-checks.


def test_rkd_golden(v: Tensors) -> None:
    value = rkd_loss(v.s_feature, v.t_feature)
    assert close(value, 2.8766632080078125)
    assert close(value, np_rkd(v.s_feature.double().numpy(), v.t_feature.double().numpy()))


def test_attention_golden(v: Tensors) -> None:
    value = attention_loss(v.s_sequence, v.t_sequence)
    assert close(value, 0.037255026400089264)

    def maps(h: np.ndarray) -> np.ndarray:
        q = (h**2).mean(-1)
        return q / np.linalg.norm(q, axis=1, keepdims=True)

    assert close(value, float(((maps(v.s_sequence.numpy()) - maps(v.t_sequence.numpy())) ** 2).mean()))


def test_attention_truncate_normalises_after_cutting(v: Tensors) -> None:
    value = attention_loss(v.s_sequence[:, :4], v.t_sequence)
    assert close(value, 0.06568235158920288)
    assert torch.allclose(value, attention_loss(v.s_sequence[:, :4], v.t_sequence[:, :4]))


def test_dkd_golden(v: Tensors) -> None:
    value = dkd_loss(v.s_logits, v.t_logits, v.y, T)
    assert close(value, 4.656574249267578)
    assert close(value, np_dkd(v.s_logits.double().numpy(), v.t_logits.double().numpy(), v.y.numpy()))


def test_soft_dtw_golden(v: Tensors) -> None:
    value = soft_dtw(v.s_sequence, v.t_sequence, 1.2).mean()
    assert close(value, 154.6570587158203)


def test_vid_golden(v: Tensors) -> None:
    variance = torch.linspace(1.0, 5.0, 8)
    value = vid_loss(v.s_sequence, variance, v.t_sequence)
    t, mu, var = v.t_sequence.numpy(), v.s_sequence.numpy(), variance.numpy()
    assert close(value, float((0.5 * (np.log(var) + (t - mu) ** 2 / var)).mean()))
    assert close(value, 0.9510602951049805)


def test_pkt_golden(v: Tensors) -> None:
    value = pkt_loss(v.s_feature, v.t_feature)
    assert close(value, 0.02014520950615406)
    assert close(value, np_pkt(v.s_feature.double().numpy(), v.t_feature.double().numpy()))


def test_tekap_golden(v: Tensors) -> None:
    torch.manual_seed(3)
    value = tekap_loss(v.s_logits, v.t_logits, T)
    assert close(value, 1.7332345247268677)
    torch.manual_seed(3)
    noise = [torch.randn(6, 3) for _ in range(3)]
    by_hand = hinton_kd(v.s_logits, v.t_logits, T) + 0.8 * sum(
        hinton_kd(v.s_logits, 0.9 * v.t_logits + 0.1 * eps, T) for eps in noise
    )
    assert close(value, float(by_hand))


def test_ttm_golden(v: Tensors) -> None:
    value = ttm_loss(v.s_logits, v.t_logits, T)
    assert close(value, 0.32181283831596375)
    powered = np_softmax(v.t_logits.double().numpy()) ** (1 / T)  # the paper's power transform, renormalised
    assert close(value, np_kl(powered / powered.sum(1, keepdims=True), np_softmax(v.s_logits.double().numpy())))


def test_soft_dtw_matches_the_double_loop() -> None:
    torch.manual_seed(4)
    x, y = torch.randn(2, 4, 3, dtype=torch.float64), torch.randn(2, 7, 3, dtype=torch.float64)
    for gamma in (1.2, 0.1):
        expected = [np_soft_dtw(a, b, gamma) for a, b in zip(x.numpy(), y.numpy())]
        assert np.allclose(soft_dtw(x, y, gamma).numpy(), expected, rtol=1e-10, atol=1e-10)
        assert np.allclose(soft_dtw(y, x, gamma).numpy(), expected, rtol=1e-10, atol=1e-10)  # symmetric cost


def test_soft_dtw_tends_to_dtw() -> None:
    torch.manual_seed(5)
    x, y = torch.randn(2, 5, 3, dtype=torch.float64), torch.randn(2, 6, 3, dtype=torch.float64)
    dtw = np.array([np_soft_dtw(a, b, 0.0) for a, b in zip(x.numpy(), y.numpy())])
    gaps = [np.abs(soft_dtw(x, y, gamma).numpy() - dtw).max() for gamma in (1.0, 0.1, 1e-3)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-2
    assert (soft_dtw(x, y, 1e-3).numpy() <= dtw + 1e-12).all()  # the soft-min lies below the min


def test_soft_dtw_gradcheck() -> None:
    torch.manual_seed(6)
    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(2, 4, 2, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: soft_dtw(a, y, 1.2), (x,))


def test_soft_dtw_prefers_the_sequence_itself(v: Tensors) -> None:
    shuffled = v.s_sequence[:, torch.randperm(10, generator=torch.Generator().manual_seed(7))]
    assert (soft_dtw(v.s_sequence, v.s_sequence) < soft_dtw(v.s_sequence, shuffled)).all()
    assert (soft_dtw(v.s_sequence, v.s_sequence) < soft_dtw(v.s_sequence, v.t_sequence)).all()


# Properties.


def test_zero_when_student_matches_teacher(v: Tensors) -> None:
    assert rkd_loss(v.t_feature, v.t_feature).item() == 0.0
    assert attention_loss(v.t_sequence, v.t_sequence).item() == 0.0
    assert abs(dkd_loss(v.t_logits, v.t_logits, v.y, T).item()) < 1e-6
    assert abs(pkt_loss(v.t_feature, v.t_feature).item()) < 1e-7
    assert abs(ttm_loss(v.t_logits / T, v.t_logits, T).item()) < 1e-6
    assert ttm_loss(v.t_logits, v.t_logits, T).item() > 1e-3  # matching the untransformed teacher is not the goal


def test_tekap_perturbed_teachers_keep_it_positive(v: Tensors) -> None:
    assert abs(hinton_kd(v.t_logits, v.t_logits, T).item()) < 1e-6
    torch.manual_seed(8)
    first = tekap_loss(v.t_logits, v.t_logits, T)
    second = tekap_loss(v.t_logits, v.t_logits, T)
    assert torch.isfinite(first) and first.item() > 0
    assert first.item() != second.item()  # fresh noise on each call


@pytest.mark.parametrize("scale", [(3.7, 3.7), (0.2, 5.0)])
def test_relational_losses_ignore_feature_scale(v: Tensors, scale: tuple[float, float]) -> None:
    c_s, c_t = scale
    assert close(rkd_loss(c_s * v.s_feature, c_t * v.t_feature), rkd_loss(v.s_feature, v.t_feature).item())
    assert close(pkt_loss(c_s * v.s_feature, c_t * v.t_feature), pkt_loss(v.s_feature, v.t_feature).item())
    attention = attention_loss(v.s_sequence, v.t_sequence).item()
    assert close(attention_loss(c_s * v.s_sequence, c_t * v.t_sequence), attention)


def test_width_free_losses_accept_different_widths(v: Tensors) -> None:
    wide_feature, wide_sequence = torch.randn(6, 12), torch.randn(6, 10, 12)
    for value in (rkd_loss(v.s_feature, wide_feature), pkt_loss(v.s_feature, wide_feature),
                  attention_loss(v.s_sequence, wide_sequence)):
        assert torch.isfinite(value) and value.item() > 0


def test_dkd_warms_up_over_twenty_epochs(v: Tensors) -> None:
    assert [warmup_factor(e) for e in (0, 10, 20, 40)] == [0.0, 0.5, 1.0, 1.0]
    distiller = make("dkd", weight=0.5)
    batch = student_batch(10, 8)
    early, late = distiller(batch, Stage(0, warmup=False)), distiller(batch, Stage(20, warmup=False))
    assert early["dkd"].item() == 0.0
    assert close(late["dkd"], 0.5 * dkd_loss(distiller.student(batch.x), batch.teacher.logits, batch.y, T).item())


def test_dt2w_is_inactive_during_warmup() -> None:
    distiller, batch = make("dt2w"), student_batch(10, 12)
    assert set(distiller(batch, WARMUP)) == {"ce"}
    assert set(distiller(batch, DISTIL)) == {"ce", "dt2w"}


def test_dt2w_draws_a_fixed_channel_subset() -> None:
    distiller = make("dt2w")
    channels = distiller.teacher_channels
    assert channels.shape == (8,) and len(set(channels.tolist())) == 8 and 0 <= channels.min() <= channels.max() < 12
    assert "teacher_channels" in distiller.state_dict()
    assert make("dt2w", teacher_dim=8).teacher_channels.tolist() == list(range(8))
    with pytest.raises(ValueError, match="at least as wide"):
        make("dt2w", teacher_dim=4)


def test_vid_variance_starts_near_five() -> None:
    variance = make("vid").variance()
    assert variance.shape == (12,) and torch.allclose(variance, torch.full((12,), 5.0))


# Whole methods around a student: teacher width 12 against the student's 8, full and truncated prefixes.


def make(name: str, teacher_dim: int = 12, **config: float) -> torch.nn.Module:
    torch.manual_seed(1)
    student = LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1)
    return build_distiller(name, student, teacher_dim, METHODS[name].Settings(**config))


def student_batch(prefix: int, teacher_dim: int) -> Batch:
    """Student input of ``prefix`` steps; the teacher's outputs come from the full 10-step series."""
    generator = torch.Generator().manual_seed(9)
    teacher = Outputs(*(torch.randn(*shape, generator=generator) for shape in ((6, 3), (6, teacher_dim),
                                                                                 (6, 10, teacher_dim))))
    return Batch(torch.randn(6, 1, prefix, generator=generator), torch.tensor([0, 1, 2, 0, 1, 2]), teacher)


@pytest.mark.parametrize("prefix", [10, 4])
@pytest.mark.parametrize("name", ZOO)
def test_gradients_reach_the_student(name: str, prefix: int) -> None:
    distiller = make(name)
    terms = distiller(student_batch(prefix, 12), DISTIL)
    assert set(terms) == {"ce", name}
    assert all(torch.isfinite(term) and term.dim() == 0 for term in terms.values())
    terms[name].backward()
    grads = [p.grad for p in distiller.student.lstm.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum().item() for g in grads) > 0


@pytest.mark.slow
def test_every_zoo_method_runs_end_to_end(tmp_path) -> None:
    smoke, store = get_preset("smoke"), ResultStore(tmp_path)
    runs = [(name, "stretch") for name in ZOO] + [(name, "truncate") for name in SEQUENCE_BASED]
    for name, prefix_mode in runs:
        record = run(smoke.config("UnitTest", 0.5, name, 1, prefix_mode=prefix_mode), store)
        assert 0 <= record["metrics"]["auc_prc"] <= 1, (name, prefix_mode)
        assert all(np.isfinite(v) for epoch in record["history"] for v in epoch.values()), (name, prefix_mode)
        assert name in record["history"][-1], (name, prefix_mode)
