"""Tests for the distillation methods: golden values on fixed random tensors plus property tests."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gdpd import methods
from gdpd.cli import build_parser, main
from gdpd.methods import METHODS, PAPER_METHODS, Batch, Stage, build_distiller
from gdpd.methods.fitnets import hint_loss
from gdpd.methods.gdpd import GDPDSettings
from gdpd.methods.kd import hinton_kd
from gdpd.models import LSTMClassifier, Outputs
from gdpd.presets import get_preset

WARMUP, DISTIL = Stage(0, warmup=True), Stage(5, warmup=False)
# Golden values of the terms below: batch from seed 0, student from seed 1, loss noise from seed 2.
CE = 1.1296908855438232


@pytest.fixture
def batch() -> Batch:
    torch.manual_seed(0)
    x, y = torch.randn(6, 1, 10), torch.tensor([0, 1, 2, 0, 1, 2])
    return Batch(x, y, Outputs(torch.randn(6, 3), torch.randn(6, 8), torch.randn(6, 10, 8)))


def make(name: str, **config) -> nn.Module:
    torch.manual_seed(1)
    student = LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1)
    return build_distiller(name, student, 8, METHODS[name].Settings(**config) if name in METHODS else None)


def run(distiller: nn.Module, batch: Batch, stage: Stage) -> dict[str, torch.Tensor]:
    torch.manual_seed(2)
    return distiller(batch, stage)


def np_kd(s: np.ndarray, t: np.ndarray, temperature: float) -> float:
    def log_softmax(z: np.ndarray) -> np.ndarray:
        z = z / temperature
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    lt, ls = log_softmax(t), log_softmax(s)
    return float(temperature**2 * (np.exp(lt) * (lt - ls)).sum(1).mean())


def grad_norm(module: nn.Module) -> float:
    return sum(0.0 if p.grad is None else p.grad.abs().sum().item() for p in module.parameters())


# Registry and configuration.


PAPER_LABELS = {"base": "Base", "kd": "Base-KD", "fitnets": "FitNets", "gdpd": "GDPD", "rkd": "RKD",
                "attention": "Attention", "dkd": "DKD", "dt2w": "DT2W", "vid": "VID", "pkt": "PKT", "tekap": "TeKAP",
                "ttm": "TTM"}
"""The methods of the paper's comparison (its Table 2), in its order and under its labels."""


def check_registry() -> None:
    """What the package relies on of the registry, whatever else it holds: the paper's methods first, in the
    paper's order and under its labels; every method under its own name, described and cited."""
    assert PAPER_METHODS == tuple(PAPER_LABELS) == tuple(METHODS)[:len(PAPER_LABELS)]
    assert {name: METHODS[name].label for name in PAPER_LABELS} == PAPER_LABELS
    assert METHODS["base"].needs_teacher is False and all(METHODS[name].needs_teacher for name in PAPER_METHODS[1:])
    assert all(cls.name == name and cls.description and cls.citation for name, cls in METHODS.items())


def test_registry_holds_the_papers_methods_first() -> None:
    check_registry()


def test_each_method_reads_only_its_own_settings() -> None:
    assert METHODS["base"].Settings.names() == ()
    assert METHODS["fitnets"].Settings.names() == ("weight",)
    assert METHODS["dkd"].Settings.names() == ("weight", "temperature", "alpha", "beta")
    assert METHODS["rkd"].Settings.names() == ("weight", "distance_weight", "angle_weight")
    assert {"samples", "hinton", "ddim_steps"} <= set(METHODS["gdpd"].Settings.names())
    with pytest.raises(TypeError, match="reads GDPDSettings"):
        build_distiller("gdpd", LSTMClassifier(1, 3, hidden=8, layers=1), 8, METHODS["kd"].Settings())


def test_build_distiller_unknown_lists_methods() -> None:
    with pytest.raises(ValueError, match="unknown method 'crd'") as info:
        make("crd")
    assert all(name in str(info.value) for name in METHODS)


@pytest.mark.parametrize(
    "config, field",
    [
        ({"weight": -0.1}, "weight"),
        ({"temperature": 0.0}, "temperature"),
        ({"samples": 0}, "samples"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
    ],
)
def test_method_config_validation(config, field) -> None:
    with pytest.raises(ValueError, match=field):
        GDPDSettings(**config)


def test_method_config_accepts_alpha_endpoints() -> None:
    assert GDPDSettings(alpha=0.0).alpha == 0.0 and GDPDSettings(alpha=1.0).alpha == 1.0


# Hinton KD.


def test_hinton_kd_golden_and_numpy() -> None:
    torch.manual_seed(0)
    s, t = torch.randn(4, 3), torch.randn(4, 3)
    assert hinton_kd(s, t, 2.0).item() == pytest.approx(0.7877960801124573, rel=1e-5)
    assert hinton_kd(s, t, 1.0).item() == pytest.approx(0.7267645597457886, rel=1e-5)
    for temperature in (0.5, 1.0, 2.0, 4.0):
        assert hinton_kd(s, t, temperature).item() == pytest.approx(np_kd(s.numpy(), t.numpy(), temperature), rel=1e-5)


def test_hinton_kd_zero_iff_equal_and_direction() -> None:
    torch.manual_seed(0)
    s, t = torch.randn(4, 3), torch.randn(4, 3)
    assert hinton_kd(t, t, 2.0).item() == pytest.approx(0.0, abs=1e-7)
    assert hinton_kd(t + 3.0, t, 2.0).item() == pytest.approx(0.0, abs=1e-6)  # shift-invariant softmax
    assert hinton_kd(s, t, 2.0).item() > 0
    # KL(teacher || student), not the reverse.
    assert hinton_kd(s, t, 2.0).item() != pytest.approx(hinton_kd(t, s, 2.0).item(), rel=1e-3)


def test_hinton_kd_gradient_reaches_student_only() -> None:
    torch.manual_seed(0)
    s, t = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3)
    hinton_kd(s, t, 2.0).backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0
    # d/ds of T^2 KL at temperature T is T * (p_s - p_t) / B.
    expected = 2.0 * (F.softmax(s / 2, -1) - F.softmax(t / 2, -1)) / 4
    torch.testing.assert_close(s.grad, expected.detach())


# Base and KD.


@pytest.mark.parametrize("stage", [WARMUP, DISTIL])
def test_base_returns_only_ce(batch, stage) -> None:
    distiller = make("base")
    terms = run(distiller, batch, stage)
    assert set(terms) == {"ce"}
    assert terms["ce"].item() == pytest.approx(CE, rel=1e-5)
    assert terms["ce"].item() == pytest.approx(F.cross_entropy(distiller.student(batch.x), batch.y).item(), rel=1e-6)


def test_base_ignores_missing_teacher(batch) -> None:
    assert set(run(make("base"), batch._replace(teacher=None), DISTIL)) == {"ce"}


def test_kd_terms_golden_and_weight(batch) -> None:
    terms = run(make("kd", weight=0.5), batch, DISTIL)
    assert set(terms) == {"ce", "kd"}
    assert terms["ce"].item() == pytest.approx(CE, rel=1e-5)
    assert terms["kd"].item() == pytest.approx(0.14644552767276764, rel=1e-5)
    logits = make("kd").student(batch.x).detach()
    assert terms["kd"].item() == pytest.approx(0.5 * np_kd(logits.numpy(), batch.teacher.logits.numpy(), 2.0), rel=1e-5)
    assert run(make("kd", weight=0.0), batch, DISTIL)["kd"].item() == 0.0
    assert run(make("kd", weight=3.0), batch, DISTIL)["kd"].item() == pytest.approx(6 * terms["kd"].item(), rel=1e-5)


def test_kd_zero_when_student_equals_teacher(batch) -> None:
    distiller = make("kd")
    with torch.no_grad():
        logits = distiller.student(batch.x)
    teacher = batch.teacher._replace(logits=logits)
    assert run(distiller, batch._replace(teacher=teacher), DISTIL)["kd"].item() == pytest.approx(0.0, abs=1e-6)


# FitNets.


def test_hint_loss_golden_and_truncation() -> None:
    torch.manual_seed(0)
    regressed, teacher = torch.randn(2, 4, 3), torch.randn(2, 6, 3)
    loss = hint_loss(regressed, teacher)
    assert loss.item() == pytest.approx(1.8310009241104126, rel=1e-5)
    assert loss.item() == pytest.approx(float(((regressed.numpy() - teacher.numpy()[:, :4]) ** 2).mean()), rel=1e-6)
    assert hint_loss(teacher[:, :4], teacher).item() == 0.0


def test_fitnets_regressor_init() -> None:
    regressor = make("fitnets").regressor
    assert (regressor.in_features, regressor.out_features) == (8, 8)
    assert regressor.weight.abs().max().item() <= 1 / 8
    assert regressor.bias.abs().sum().item() == 0.0


def test_fitnets_warmup_is_hint_only(batch) -> None:
    distiller = make("fitnets", weight=2.0)
    terms = run(distiller, batch, WARMUP)
    assert set(terms) == {"hint"}
    assert terms["hint"].item() == pytest.approx(2.052812337875366, rel=1e-5)
    sequence = distiller.student.encode(batch.x).sequence
    expected = 2.0 * F.mse_loss(distiller.regressor(sequence), batch.teacher.sequence)
    assert terms["hint"].item() == pytest.approx(expected.item(), rel=1e-6)
    terms["hint"].backward()
    assert grad_norm(distiller.student.lstm) > 0 and grad_norm(distiller.regressor) > 0
    assert distiller.student.head.weight.grad is None  # the head is untouched by the hint stage


def test_fitnets_truncated_student_sequence(batch) -> None:
    distiller = make("fitnets")
    short = batch._replace(x=batch.x[:, :, :4])
    terms = run(distiller, short, WARMUP)
    sequence = distiller.student.encode(short.x).sequence
    expected = F.mse_loss(distiller.regressor(sequence), batch.teacher.sequence[:, :4])
    assert terms["hint"].item() == pytest.approx(expected.item(), rel=1e-6)


def test_fitnets_zero_hint_when_regressed_student_equals_teacher(batch) -> None:
    distiller = make("fitnets")
    with torch.no_grad():
        sequence = distiller.regressor(distiller.student.encode(batch.x).sequence)
    teacher = batch.teacher._replace(sequence=sequence)
    assert run(distiller, batch._replace(teacher=teacher), WARMUP)["hint"].item() == pytest.approx(0.0, abs=1e-10)


def test_fitnets_after_warmup_is_ce_only(batch) -> None:
    terms = run(make("fitnets", weight=2.0), batch, DISTIL)
    assert set(terms) == {"ce"}
    assert terms["ce"].item() == pytest.approx(CE, rel=1e-5)


# GDPD.


@pytest.mark.parametrize("hinton", [False, True])
def test_gdpd_terms_golden(batch, hinton) -> None:
    warm = run(make("gdpd", hinton=hinton), batch, WARMUP)
    after = run(make("gdpd", hinton=hinton), batch, DISTIL)
    extra = {"kd"} if hinton else set()
    assert set(warm) == {"ce", "diffusion", "reconstruction"} | extra
    assert set(after) == {"ce", "hint"} | extra
    golden = {"ce": CE, "diffusion": 1.3786988258361816, "reconstruction": 0.9312669634819031,
              "hint": 1.275258183479309}
    golden |= {"kd": 0.2928910553455353} if hinton else {}
    for terms in (warm, after):
        for name, value in terms.items():
            assert torch.isfinite(value) and value.shape == ()
            assert value.item() == pytest.approx(golden[name], rel=1e-5), name


def test_gdpd_weight_scales_all_but_ce(batch) -> None:
    one, two = run(make("gdpd", hinton=True), batch, WARMUP), run(make("gdpd", hinton=True, weight=2.0), batch, WARMUP)
    assert two["ce"].item() == pytest.approx(one["ce"].item(), rel=1e-6)
    for name in ("kd", "diffusion", "reconstruction"):
        assert two[name].item() == pytest.approx(2 * one[name].item(), rel=1e-5), name
    one, two = run(make("gdpd"), batch, DISTIL), run(make("gdpd", weight=2.0), batch, DISTIL)
    assert two["hint"].item() == pytest.approx(2 * one["hint"].item(), rel=1e-5)


def test_gdpd_warmup_reconstruction_term(batch) -> None:
    distiller = make("gdpd")
    terms = run(distiller, batch, WARMUP)
    ae = distiller.autoencoder
    z = batch.teacher.feature
    assert terms["reconstruction"].item() == pytest.approx(F.mse_loss(ae.decoder(ae.encoder(z)), z).item(), rel=1e-6)


def test_gdpd_hint_gradient_reaches_every_module(batch) -> None:
    distiller = make("gdpd")
    run(distiller, batch, DISTIL)["hint"].backward()
    sampler = distiller.sampler
    for name, module in [
        ("student lstm", distiller.student.lstm),
        ("head", distiller.student.head),
        ("trans", sampler.trans),
        ("alpha_adapter", sampler.alpha_adapter),
        ("proj", sampler.proj),
        ("denoiser", sampler.prior.denoiser),
    ]:
        assert grad_norm(module) > 0, name
        assert all(p.grad is None or torch.isfinite(p.grad).all() for p in module.parameters()), name
    assert grad_norm(distiller.autoencoder) == 0  # the teacher side is not used after warm-up


def test_gdpd_warmup_diffusion_is_detached_from_autoencoder(batch) -> None:
    distiller = make("gdpd")
    terms = run(distiller, batch, WARMUP)
    terms["diffusion"].backward(retain_graph=True)
    assert grad_norm(distiller.sampler.prior.denoiser) > 0
    assert grad_norm(distiller.autoencoder) == 0
    assert grad_norm(distiller.student) == 0
    terms["reconstruction"].backward()
    assert grad_norm(distiller.autoencoder.encoder) > 0
    assert grad_norm(distiller.autoencoder.decoder) > 0
    assert grad_norm(distiller.student) == 0


def test_gdpd_fixed_alpha(batch) -> None:
    distiller = make("gdpd", alpha=0.5)
    assert distiller.sampler.alpha_adapter is None
    distiller.eval()
    assert distiller.diagnostics(batch)["alpha"] == 0.5
    distiller.train()
    terms = run(distiller, batch, DISTIL)
    terms["hint"].backward()
    assert grad_norm(distiller.student.lstm) > 0


def test_gdpd_alpha_one_starts_from_measurement(batch) -> None:
    """With alpha = 1 the noise draw is irrelevant, so two hint losses on different seeds agree."""
    distiller = make("gdpd", alpha=1.0)
    torch.manual_seed(10)
    a = distiller(batch, DISTIL)["hint"]
    torch.manual_seed(11)
    b = distiller(batch, DISTIL)["hint"]
    assert a.item() == pytest.approx(b.item(), rel=1e-6)
    learned = make("gdpd")
    torch.manual_seed(10)
    c = learned(batch, DISTIL)["hint"]
    torch.manual_seed(11)
    assert c.item() != pytest.approx(learned(batch, DISTIL)["hint"].item(), rel=1e-6)


class IdentitySampler(nn.Module):
    """Stands in for the hint sampler: records its batch size and returns the student feature unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        self.sizes.append(z.shape[0])
        return z, z.new_ones(z.shape[0], 1), z


@pytest.mark.parametrize("samples", [1, 3])
def test_gdpd_samples_run_as_one_batch_with_matching_labels(batch, samples) -> None:
    distiller = make("gdpd", samples=samples)
    distiller.sampler = IdentitySampler()
    terms = run(distiller, batch, DISTIL)
    assert distiller.sampler.sizes == [samples * 6]
    # Identical copies of each case: the mean over J equals one CE, only if labels repeat in the same order.
    assert terms["hint"].item() == pytest.approx(terms["ce"].item(), rel=1e-6)


def test_gdpd_samples_real_sampler_shape(batch) -> None:
    distiller = make("gdpd", samples=4)
    hints: list[torch.Tensor] = []
    distiller.sampler.register_forward_hook(lambda m, i, out: hints.append(out[0]))
    terms = run(distiller, batch, DISTIL)
    assert len(hints) == 1 and hints[0].shape == (24, 8)
    expected = F.cross_entropy(distiller.student.head(hints[0]), batch.y.repeat(4))
    assert terms["hint"].item() == pytest.approx(expected.item(), rel=1e-6)


def test_gdpd_diagnostics(batch) -> None:
    distiller = make("gdpd")
    distiller.eval()
    diagnostics = distiller.diagnostics(batch)
    assert set(diagnostics) == {"alpha", "hint_to_student", "hint_to_teacher", "hint_accuracy"}
    assert all(isinstance(v, float) and np.isfinite(v) for v in diagnostics.values())
    assert 0 < diagnostics["alpha"] < 1
    assert 0 <= diagnostics["hint_accuracy"] <= 1
    assert diagnostics["hint_to_student"] > 0 and diagnostics["hint_to_teacher"] > 0
    assert not distiller.training
    assert make("base").diagnostics(batch) == {}


def test_gdpd_dps_conditioning_trains_and_has_no_alpha_adapter():
    torch.manual_seed(0)
    student = LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1)
    distiller = build_distiller("gdpd", student, 8, GDPDSettings(conditioning="dps", guidance_scale=0.1))
    assert distiller.sampler.alpha_adapter is None
    x, y = torch.randn(6, 1, 10), torch.tensor([0, 1, 2, 0, 1, 2])
    teacher = Outputs(torch.randn(6, 3), torch.randn(6, 8), torch.randn(6, 10, 8))
    terms = distiller(Batch(x, y, teacher), Stage(5, warmup=False))
    terms["hint"].backward()
    assert student.lstm.weight_ih_l0.grad.abs().sum() > 0
    distiller.eval()
    assert distiller.diagnostics(Batch(x, y, teacher))["alpha"] == 0.0


def test_dps_conditioning_rejects_a_fixed_alpha():
    with pytest.raises(ValueError, match="alpha"):
        GDPDSettings(conditioning="dps", alpha=0.5)
    with pytest.raises(ValueError, match="conditioning"):
        GDPDSettings(conditioning="guess")


def test_gdpd_joint_prior_keeps_the_prior_losses_after_warmup():
    torch.manual_seed(0)
    student = LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1)
    x, y = torch.randn(6, 1, 10), torch.tensor([0, 1, 2, 0, 1, 2])
    teacher = Outputs(torch.randn(6, 3), torch.randn(6, 8), torch.randn(6, 10, 8))
    joint = build_distiller("gdpd", student, 8, GDPDSettings(joint_prior=True))
    assert set(joint(Batch(x, y, teacher), Stage(5, warmup=False))) == {"ce", "diffusion", "reconstruction", "hint"}
    assert set(joint(Batch(x, y, teacher), Stage(0, warmup=True))) == {"ce", "diffusion", "reconstruction"}


def test_gdpd_prior_updates_give_the_prior_more_steps_while_it_learns():
    torch.manual_seed(0)
    student = LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1)
    x, y = torch.randn(6, 1, 10), torch.tensor([0, 1, 2, 0, 1, 2])
    teacher = Outputs(torch.randn(6, 3), torch.randn(6, 8), torch.randn(6, 10, 8))
    batch = Batch(x, y, teacher)
    # the default (the paper) takes no extra step, and no other method does
    assert list(build_distiller("gdpd", student, 8, GDPDSettings()).extra_losses(batch, WARMUP)) == []
    assert list(make("kd").extra_losses(batch, WARMUP)) == []
    distiller = build_distiller("gdpd", student, 8, GDPDSettings(prior_updates=4, weight=2.0))
    assert list(distiller.extra_losses(batch, DISTIL)) == []
    extra = list(distiller.extra_losses(batch, WARMUP))
    assert len(extra) == 3 and all(loss.ndim == 0 and loss > 0 for loss in extra)
    # each is lambda * L_diff: it moves the denoiser alone, not the autoencoder or the student
    distiller.zero_grad(set_to_none=True)
    extra[0].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in distiller.sampler.prior.parameters())
    assert all(p.grad is None for p in distiller.autoencoder.parameters())
    assert all(p.grad is None for p in distiller.student.parameters())
    joint = build_distiller("gdpd", student, 8, GDPDSettings(prior_updates=2, joint_prior=True))
    assert len(list(joint.extra_losses(batch, DISTIL))) == 1
    with pytest.raises(ValueError, match="prior_updates"):
        GDPDSettings(prior_updates=0)


# The contract every registered method keeps, driven by the registry: a method added as the reproduce page's guide
# says (one file in gdpd/methods/) is checked with no edit here.

CONTRACT_STAGES = (Stage(0, warmup=True), Stage(25, warmup=False))  # after DKD's 20-epoch warm-up


def contract_batch(prefix: int, teacher_dim: int) -> Batch:
    """Six cases of three classes: the student sees ``prefix`` steps, the teacher (``teacher_dim`` wide) all 10."""
    generator = torch.Generator().manual_seed(9)
    teacher = Outputs(*(torch.randn(*shape, generator=generator)
                        for shape in ((6, 3), (6, teacher_dim), (6, 10, teacher_dim))))
    return Batch(torch.randn(6, 1, prefix, generator=generator), torch.tensor([0, 1, 2, 0, 1, 2]), teacher)


def student_gradient(distiller: nn.Module, loss: torch.Tensor) -> float:
    """The summed absolute gradient ``loss`` gives the student's parameters (checked finite)."""
    if not loss.requires_grad:
        return 0.0
    distiller.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    grads = [p.grad for p in distiller.student.parameters() if p.grad is not None]
    assert all(torch.isfinite(g).all() for g in grads)
    return sum(g.abs().sum().item() for g in grads)


def setting_argv(name: str, value: Any) -> Iterator[str]:
    """The ``gdpd run`` flag that sets the setting ``name`` to ``value``."""
    flag = name.replace("_", "-")
    if isinstance(value, bool):
        yield f"--{flag}" if value else f"--no-{flag}"
    else:
        yield from (f"--{flag}", str(value))


def check_contract(name: str) -> None:
    """The method ``name`` around a student 8 wide, under a teacher 12 wide, on the full series and a 4-step prefix,
    in the warm-up and after it: named, finite, scalar loss terms whose sum gives the student a gradient; for a
    method that needs a teacher, terms besides cross-entropy that reach the student at some stage, and for one that
    does not, terms without a teacher. Every setting is a ``gdpd run`` flag and a preset override."""
    cls = METHODS[name]
    for prefix in (10, 4):
        torch.manual_seed(1)
        distiller = build_distiller(name, LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1), 12)
        batch = contract_batch(prefix, 12)
        distilled = 0.0
        for stage in CONTRACT_STAGES:
            terms = distiller(batch, stage)
            assert terms and all(isinstance(key, str) for key in terms), (name, stage)
            assert all(torch.isfinite(t) and t.dim() == 0 for t in terms.values()), (name, stage)
            assert student_gradient(distiller, sum(terms.values())) > 0, (name, stage)
            extra = [t for key, t in terms.items() if key != "ce"]
            distilled += student_gradient(distiller, sum(extra)) if extra else 0.0
            if not cls.needs_teacher:
                assert distiller(batch._replace(teacher=None), stage).keys() == terms.keys(), (name, stage)
        assert (distilled > 0) == cls.needs_teacher, (name, prefix)
    command = ["run", "--dataset", "UnitTest", "--earliness", "0.5", "--method", name]
    defaults = cls.Settings()
    for field in fields(cls.Settings):
        value = getattr(defaults, field.name)
        args = build_parser().parse_args(command + ([] if value is None else list(setting_argv(field.name, value))))
        assert field.name in args.setting_names and getattr(args, field.name) == value, (name, field.name)
        config = get_preset("smoke").config("UnitTest", 0.5, name, 1, **{field.name: value})
        assert getattr(config.method_config, field.name) == value, (name, field.name)


@pytest.mark.parametrize("name", METHODS)
def test_every_registered_method_keeps_the_contract(name: str) -> None:
    check_contract(name)


@pytest.fixture
def guide_method(tmp_path: Path) -> Iterator[str]:
    """The reproduce page's add-a-method example saved under the file name the page gives, in a folder the registry
    searches beside gdpd/methods/; the registry is collected again as the package collects it when it loads, and
    restored afterwards."""
    guide = (Path(__file__).resolve().parents[1] / "book" / "reproduce.md").read_text().split("## Add a method")[1]
    name = re.search(r"Saved as `gdpd/methods/(\w+)\.py`", guide).group(1)
    (tmp_path / f"{name}.py").write_text(guide.split("```python")[1].split("```")[0])
    path, registered = methods.__path__, dict(METHODS)
    methods.__path__ = [*path, str(tmp_path)]
    METHODS.clear()
    try:
        methods._collect()
        yield name
    finally:
        methods.__path__ = path
        METHODS.clear()
        METHODS.update(registered)
        sys.modules.pop(f"{methods.__name__}.{name}", None)
        vars(methods).pop(name, None)


def test_a_method_added_as_the_guide_says_is_registered_listed_and_keeps_the_contract(guide_method, capsys) -> None:
    assert list(METHODS)[-1] == guide_method
    check_registry()
    assert main(["methods"]) == 0
    assert any(line.split()[:1] == [guide_method] for line in capsys.readouterr().out.splitlines())
    check_contract(guide_method)
