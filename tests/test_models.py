"""Tests for gdpd.models on a tiny LSTM (1 channel, 3 classes, 8 units)."""

from __future__ import annotations

import pytest
import torch

from gdpd.architectures import build_classifier
from gdpd.models import LSTMClassifier, Outputs, count_parameters, predict_outputs

B, C, L, H, K = 5, 2, 7, 8, 3


@pytest.fixture
def model() -> LSTMClassifier:
    torch.manual_seed(0)
    return LSTMClassifier(in_channels=C, n_classes=K, hidden=H, layers=2)


@pytest.fixture
def x() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(B, C, L)


def test_outputs_and_encode_shapes(model, x) -> None:
    out = model.outputs(x)
    assert isinstance(out, Outputs)
    assert out.logits.shape == (B, K)
    assert out.feature.shape == (B, H)
    assert out.sequence.shape == (B, L, H)
    enc = model.encode(x)
    torch.testing.assert_close(enc.feature, enc.sequence[:, -1])
    torch.testing.assert_close(out.feature, enc.feature)
    torch.testing.assert_close(out.sequence, enc.sequence)


def test_feature_is_top_layer_last_hidden_state(model, x) -> None:
    _, (h_n, _) = model.lstm(x.transpose(1, 2))
    torch.testing.assert_close(model.encode(x).feature, h_n[-1])


def test_forward_equals_outputs_logits_and_head_of_feature(model, x) -> None:
    out = model.outputs(x)
    torch.testing.assert_close(model(x), out.logits)
    torch.testing.assert_close(model.head(out.feature), out.logits)


def test_head_accepts_any_feature_width_vector(model) -> None:
    assert model.head(torch.randn(11, H)).shape == (11, K)


@pytest.mark.parametrize("shape", [(B, L), (B, C + 1, L), (B, C, L, 1)])
def test_bad_input_shape_raises(model, shape) -> None:
    with pytest.raises(ValueError, match="expected input of shape"):
        model(torch.randn(*shape))


@pytest.mark.parametrize("args", [(0, 3, 8, 1), (1, 1, 8, 1), (1, 3, 0, 1), (1, 3, 8, 0)])
def test_constructor_validation(args) -> None:
    with pytest.raises(ValueError):
        LSTMClassifier(*args)


def test_build_classifier() -> None:
    model = build_classifier("lstm", 1, 4, hidden=6, layers=1)
    assert isinstance(model, LSTMClassifier)
    assert (model.feature_dim, model.n_classes, model.lstm.num_layers) == (6, 4, 1)
    with pytest.raises(ValueError, match=r"unknown architecture 'cnn'.*lstm"):
        build_classifier("cnn", 1, 4)


def test_count_parameters_by_hand() -> None:
    model = LSTMClassifier(in_channels=1, n_classes=3, hidden=8, layers=1)
    # LSTM: 4 gates * 8 * (1 input + 8 recurrent) weights + 2 bias vectors of 4 * 8; head 8 * 3 + 3.
    assert count_parameters(model) == 4 * 8 * 9 + 2 * 4 * 8 + 27
    model.head.requires_grad_(False)
    assert count_parameters(model) == 4 * 8 * 9 + 2 * 4 * 8


@pytest.mark.parametrize("training", [True, False])
def test_predict_outputs_batches_like_one_pass_in_eval_mode(model, training) -> None:
    torch.manual_seed(2)
    X = torch.randn(13, C, L)
    model.train(training)
    modes: list[bool] = []
    model.register_forward_pre_hook(lambda m, _: modes.append(m.training))
    model.lstm.register_forward_pre_hook(lambda m, _: modes.append(m.training))
    with torch.no_grad():
        full = model.outputs(X)
    modes.clear()
    batched = predict_outputs(model, X, batch_size=4)
    assert modes and not any(modes)  # every batch ran in eval mode
    assert model.training is training
    assert not batched.logits.requires_grad
    for got, want in zip(batched, full):
        torch.testing.assert_close(got, want)
