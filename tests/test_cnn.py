"""Tests for gdpd.cnn: FCN, ResNet and InceptionTime, mostly at tiny widths so they run in milliseconds."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
import torch
from torch import nn

from gdpd.architectures import ARCHITECTURES, build_classifier
from gdpd.cnn import FCN, ConvClassifier, InceptionTime, ResNet, SameConv1d
from gdpd.experiment import run
from gdpd.methods import config_from_dict
from gdpd.models import Outputs, count_parameters
from gdpd.presets import get_preset

B, C, K = 3, 2, 3
TINY = {"fcn": (FCN, 4, 3), "resnet": (ResNet, 4, 3), "inception": (InceptionTime, 2, 6)}
TINY_DIM = {"fcn": 4, "resnet": 8, "inception": 8}


def tiny(name: str) -> ConvClassifier:
    cls, hidden, layers = TINY[name]
    torch.manual_seed(0)
    return cls(C, K, hidden=hidden, layers=layers)


def test_registered_and_built_by_name() -> None:
    assert {"fcn": FCN, "resnet": ResNet, "inception": InceptionTime}.items() <= ARCHITECTURES.items()
    model = build_classifier("inception", 1, 3)
    assert isinstance(model, InceptionTime)
    assert (model.feature_dim, model.n_classes, len(model.inceptions)) == (128, 3, 6)
    assert isinstance(build_classifier("resnet", 2, 4, hidden=8, layers=1), ResNet)


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("length", [2, 3, 4, 5, 100])
def test_shapes_and_feature_is_average_pool(name: str, length: int) -> None:
    model = tiny(name)
    x = torch.randn(B, C, length)
    out = model.outputs(x)
    d = TINY_DIM[name]
    assert isinstance(out, Outputs)
    assert model.feature_dim == d
    assert (out.logits.shape, out.feature.shape, out.sequence.shape) == ((B, K), (B, d), (B, length, d))
    torch.testing.assert_close(out.feature, out.sequence.mean(dim=1))
    torch.testing.assert_close(model(x), out.logits)
    torch.testing.assert_close(model.head(out.feature), out.logits)
    enc = model.encode(x)
    torch.testing.assert_close(enc.feature, out.feature)
    torch.testing.assert_close(enc.sequence, out.sequence)


@pytest.mark.parametrize("name", sorted(TINY))
def test_head_accepts_a_feature_width_hint(name: str) -> None:
    model = tiny(name)
    assert model.head(torch.randn(11, model.feature_dim)).shape == (11, K)


@pytest.mark.parametrize("name", sorted(TINY))
def test_gradients_reach_every_parameter_and_are_finite(name: str) -> None:
    model = tiny(name)
    model(torch.randn(B, C, 2)).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname


def test_default_configurations_at_full_length() -> None:
    x = torch.randn(2, 1, 100)
    for name in ("fcn", "resnet", "inception"):
        out = build_classifier(name, 1, 2).eval().outputs(x)
        assert (out.feature.shape, out.sequence.shape) == ((2, 128), (2, 100, 128)), name


def test_parameter_counts_of_the_published_configurations() -> None:
    """Golden counts for univariate input and 2 classes, derived by hand (trainable: BN's gamma and beta only).

    FCN 264,962 is the "about 265k" usually quoted for Wang et al.'s FCN (Keras' total also counts BN's running
    statistics: 264,962 + 2 * 512 = 265,986).
    """
    bn = 2  # gamma and beta per channel
    fcn = (1 * 128 * 8 + 128 + bn * 128) + (128 * 256 * 5 + 256 + bn * 256) + (256 * 128 * 3 + 128 + bn * 128)
    assert count_parameters(FCN(1, 2)) == fcn + 128 * 2 + 2 == 264_962

    def block(c_in: int, c_out: int) -> int:
        path = (c_in * 8 + c_out * 5 + c_out * 3) * c_out + 3 * c_out + 3 * bn * c_out
        shortcut = (c_in * c_out + c_out if c_in != c_out else 0) + bn * c_out
        return path + shortcut

    resnet = block(1, 64) + block(64, 128) + block(128, 128) + 128 * 2 + 2
    assert count_parameters(ResNet(1, 2)) == resnet == 504_258

    def module(c_in: int) -> int:
        bottleneck = c_in * 32 if c_in > 1 else 0
        return bottleneck + min(c_in, 32) * 32 * (40 + 20 + 10) + c_in * 32 + bn * 128

    shortcuts = (1 * 128 + bn * 128) + (128 * 128 + bn * 128)
    inception = module(1) + 5 * module(128) + shortcuts + 128 * 2 + 2
    assert count_parameters(InceptionTime(1, 2)) == inception == 420_450


def test_width_and_depth_arguments() -> None:
    widths = [m.out_channels for m in FCN(1, 2, hidden=4, layers=4).modules() if isinstance(m, nn.Conv1d)]
    kernels = [m.kernel_size[0] for m in FCN(1, 2, hidden=4, layers=4).modules() if isinstance(m, nn.Conv1d)]
    assert (widths, kernels) == ([4, 8, 8, 4], [8, 5, 5, 3])
    assert [m.kernel_size[0] for m in FCN(1, 2, hidden=4, layers=1).modules() if isinstance(m, nn.Conv1d)] == [8]
    assert ResNet(1, 2, hidden=4, layers=1).feature_dim == 4
    assert len(ResNet(1, 2, hidden=4, layers=4).body) == 4
    four = InceptionTime(3, 2, hidden=2, layers=4)
    assert (four.feature_dim, len(four.inceptions), len(four.shortcuts)) == (8, 4, 1)
    assert isinstance(four.inceptions[0].bottleneck, nn.Conv1d)
    assert isinstance(InceptionTime(1, 2, hidden=2, layers=1).inceptions[0].bottleneck, nn.Identity)


@pytest.mark.parametrize("kernel", [1, 3, 8, 40])
def test_same_padding_matches_torch_same(kernel: int) -> None:
    torch.manual_seed(0)
    conv = SameConv1d(2, 3, kernel)
    reference = nn.Conv1d(2, 3, kernel, padding="same")
    reference.load_state_dict(conv.state_dict())
    x = torch.randn(1, 2, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = reference(x)
    torch.testing.assert_close(conv(x), expected)
    assert conv.same_padding == ((kernel - 1) // 2, kernel // 2)


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("shape", [(B, 5), (B, C + 1, 5), (B, C, 5, 1), (B, C, 0)])
def test_bad_input_shape_raises(name: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 2, time\)"):
        tiny(name)(torch.randn(*shape))


@pytest.mark.parametrize("cls", [FCN, ResNet, InceptionTime])
@pytest.mark.parametrize("args", [(0, 3, 4, 1), (1, 1, 4, 1), (1, 3, 0, 1), (1, 3, 4, 0)])
def test_constructor_validation(cls: type[ConvClassifier], args: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match=cls.__name__):
        cls(*args)


SMOKE = get_preset("smoke")


def _finite_metrics(record: dict) -> None:
    for name in ("auc_prc", "accuracy", "fidelity", "kl", "teacher_auc_prc"):
        assert 0 <= record["metrics"][name] < float("inf"), name


@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "teacher", "method", "prefix_mode"),
    [
        (("resnet", 8, 1), ("inception", 4, 3), "gdpd", "stretch"),
        (("inception", 2, 3), ("lstm", 16, 1), "gdpd", "truncate"),
        (("fcn", 4, 2), ("lstm", 16, 1), "kd", "truncate"),
        (("fcn", 4, 2), ("resnet", 4, 1), "fitnets", "truncate"),
    ],
)
def test_end_to_end_with_convolutional_students_and_teachers(
    student: tuple[str, int, int], teacher: tuple[str, int, int], method: str, prefix_mode: str
) -> None:
    cfg = SMOKE.config("UnitTest", 0.5, method, 1, prefix_mode=prefix_mode)
    cfg = replace(
        cfg, architecture=student[0], hidden=student[1], layers=student[2],
        teacher=replace(cfg.teacher, architecture=teacher[0], hidden=teacher[1], layers=teacher[2]),
    )
    record = run(cfg)
    _finite_metrics(record)
    assert config_from_dict(record["config"]) == cfg
