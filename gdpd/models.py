"""Classifiers that expose what distillation needs: logits, the distilled feature and the hidden sequence.

The paper distils the feature that enters the classification head: for an LSTM the top layer's hidden state at the
last time step (GDPD, ICLR 2026, Sec. 4; the released code's ``LSTM`` feature). GDPD feeds its hint straight into the
student's head, so the head is a separate module that accepts any vector of the feature width.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

import torch
from torch import Tensor, nn


class Encoding(NamedTuple):
    """What a classifier's body computes: the feature ``(B, D)`` and the hidden sequence ``(B, L, D)``."""

    feature: Tensor
    sequence: Tensor


class Outputs(NamedTuple):
    """Logits ``(B, K)`` with the encoding they were computed from."""

    logits: Tensor
    feature: Tensor
    sequence: Tensor


class Classifier(nn.Module, ABC):
    """A feature extractor followed by a linear head, ``logits = head(encode(x).feature)``.

    Input ``x`` has aeon's layout ``(batch, channels, time)``.
    """

    feature_dim: int
    head: nn.Linear

    @abstractmethod
    def encode(self, x: Tensor) -> Encoding:
        """The feature and hidden sequence of ``x``."""

    def outputs(self, x: Tensor) -> Outputs:
        """All views of ``x`` at once, so a distiller runs the body a single time."""
        encoding = self.encode(x)
        return Outputs(self.head(encoding.feature), encoding.feature, encoding.sequence)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x).feature)


class LSTMClassifier(Classifier):
    """A stacked LSTM ("LSTM3-100": 3 layers of 100 units) whose feature is the top layer's last hidden state."""

    def __init__(self, in_channels: int, n_classes: int, hidden: int = 100, layers: int = 3) -> None:
        super().__init__()
        if in_channels < 1 or n_classes < 2 or hidden < 1 or layers < 1:
            raise ValueError(
                f"LSTMClassifier needs in_channels >= 1, n_classes >= 2, hidden >= 1 and layers >= 1; got "
                f"{in_channels}, {n_classes}, {hidden}, {layers}"
            )
        self.in_channels = in_channels
        self.n_classes = n_classes
        self.feature_dim = hidden
        self.lstm = nn.LSTM(in_channels, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)

    def encode(self, x: Tensor) -> Encoding:
        if x.dim() != 3 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"expected input of shape (batch, {self.in_channels}, time), got {tuple(x.shape)}; "
                "series follow aeon's (n_cases, n_channels, n_timepoints) layout"
            )
        sequence, _ = self.lstm(x.transpose(1, 2))
        return Encoding(sequence[:, -1], sequence)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@torch.no_grad()
def predict_outputs(model: Classifier, X: Tensor, batch_size: int = 512) -> Outputs:
    """Outputs of ``model`` in eval mode over ``X``, batched to bound memory."""
    was_training = model.training
    model.eval()
    parts = [model.outputs(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    model.train(was_training)
    return Outputs(*(torch.cat(field) for field in zip(*parts)))
