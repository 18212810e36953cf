"""Convolutional classifiers for time series, in PyTorch (aeon's deep learners are TensorFlow-only).

- FCN and ResNet: Wang, Yan and Oates, "Time Series Classification from Scratch with Deep Neural Networks: A Strong
  Baseline", IJCNN 2017.
- InceptionTime: Ismail Fawaz et al., "InceptionTime: Finding AlexNet for Time Series Classification", Data Mining
  and Knowledge Discovery 34, 2020 (one network of the ensemble; the layer details follow the authors' Keras code).

Every convolution pads "same", so the time axis keeps its length ``L`` through the body, any ``L >= 1`` works
(also the short ``truncate`` prefixes, whatever the kernel size), and step ``k`` of the sequence lines up with step
``k`` of the input. The feature is the global average pool of the last feature map (GDPD, ICLR 2026, Sec. 4: "CNN
-> global average pool"); the sequence is that feature map, time-major.
"""

from __future__ import annotations

from abc import abstractmethod

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gdpd.models import Classifier, Encoding


def _check_sizes(name: str, in_channels: int, n_classes: int, hidden: int, layers: int) -> None:
    if in_channels < 1 or n_classes < 2 or hidden < 1 or layers < 1:
        raise ValueError(
            f"{name} needs in_channels >= 1, n_classes >= 2, hidden >= 1 and layers >= 1; got "
            f"{in_channels}, {n_classes}, {hidden}, {layers}"
        )


class SameConv1d(nn.Conv1d):
    """A convolution zero-padded like Keras' ``padding="same"``: ``(k - 1) // 2`` steps before, ``k // 2`` after.

    Padding explicitly keeps even kernels (8, 40, 20, 10) exact without PyTorch's warning about ``padding="same"``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, bias=bias)
        self.same_padding = ((kernel_size - 1) // 2, kernel_size // 2)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, self.same_padding))


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> nn.Sequential:
    """A "same"-padded convolution followed by batch normalisation."""
    return nn.Sequential(SameConv1d(in_channels, out_channels, kernel_size, bias=bias), nn.BatchNorm1d(out_channels))


class ConvClassifier(Classifier):
    """A convolutional body ``(B, C, L) -> (B, D, L)``, global average pooling over time and a linear head."""

    def __init__(self, in_channels: int, n_classes: int, feature_dim: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.n_classes = n_classes
        self.feature_dim = feature_dim
        self.head = nn.Linear(feature_dim, n_classes)

    @abstractmethod
    def feature_map(self, x: Tensor) -> Tensor:
        """The last feature map ``(B, D, L)`` of a checked input ``(B, C, L)``."""

    def encode(self, x: Tensor) -> Encoding:
        if x.dim() != 3 or x.shape[1] != self.in_channels or x.shape[2] < 1:
            raise ValueError(
                f"expected input of shape (batch, {self.in_channels}, time), got {tuple(x.shape)}; "
                "series follow aeon's (n_cases, n_channels, n_timepoints) layout"
            )
        sequence = self.feature_map(x).transpose(1, 2)
        return Encoding(sequence.mean(dim=1), sequence)


class FCN(ConvClassifier):
    """Fully convolutional network: conv blocks (conv, BN, ReLU) of 128-256-128 filters with kernels 8-5-3.

    ``hidden`` is the outer width (inner blocks have ``2 * hidden``); ``layers`` blocks, kernel 8 first, 3 last.
    """

    def __init__(self, in_channels: int, n_classes: int, hidden: int = 128, layers: int = 3) -> None:
        _check_sizes("FCN", in_channels, n_classes, hidden, layers)
        super().__init__(in_channels, n_classes, hidden)
        if layers == 1:
            widths, kernels = [hidden], [8]
        else:
            widths = [hidden] + [2 * hidden] * (layers - 2) + [hidden]
            kernels = [8] + [5] * (layers - 2) + [3]
        blocks: list[nn.Module] = []
        for c_in, c_out, k in zip([in_channels, *widths[:-1]], widths, kernels):
            blocks += [_conv_bn(c_in, c_out, k), nn.ReLU()]
        self.body = nn.Sequential(*blocks)

    def feature_map(self, x: Tensor) -> Tensor:
        return self.body(x)


class ResidualBlock(nn.Module):
    """Three conv+BN layers (kernels 8-5-3, ReLU between) added to a shortcut, then ReLU.

    The shortcut is a 1x1 convolution with BN when the widths differ and BN alone otherwise (the authors' code).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.path = nn.Sequential(
            _conv_bn(in_channels, out_channels, 8), nn.ReLU(),
            _conv_bn(out_channels, out_channels, 5), nn.ReLU(),
            _conv_bn(out_channels, out_channels, 3),
        )
        self.shortcut = (
            _conv_bn(in_channels, out_channels, 1) if in_channels != out_channels else nn.BatchNorm1d(out_channels)
        )

    def forward(self, x: Tensor) -> Tensor:
        return (self.path(x) + self.shortcut(x)).relu()


class ResNet(ConvClassifier):
    """Residual network: three residual blocks of 64-128-128 filters (each three convs, kernels 8-5-3).

    ``hidden`` is the first block's width (later blocks have ``2 * hidden``); ``layers`` residual blocks.
    """

    def __init__(self, in_channels: int, n_classes: int, hidden: int = 64, layers: int = 3) -> None:
        _check_sizes("ResNet", in_channels, n_classes, hidden, layers)
        widths = [hidden] + [2 * hidden] * (layers - 1)
        super().__init__(in_channels, n_classes, widths[-1])
        self.body = nn.Sequential(
            *(ResidualBlock(c_in, c_out) for c_in, c_out in zip([in_channels, *widths[:-1]], widths))
        )

    def feature_map(self, x: Tensor) -> Tensor:
        return self.body(x)


class InceptionModule(nn.Module):
    """Bottleneck (1x1, 32 filters, skipped for one input channel), three convs of kernels 40/20/10 on it, a
    max-pool (3, stride 1) + 1x1 branch on the input; the four branches concatenated, then BN and ReLU.

    The convolutions have no bias, as in the authors' code (the BN that follows makes one redundant). The kernels
    need no cap for short series: "same" zero padding lets a 40-step kernel run on a 2-step prefix.
    """

    KERNELS = (40, 20, 10)

    def __init__(self, in_channels: int, filters: int, bottleneck: int = 32) -> None:
        super().__init__()
        self.bottleneck: nn.Module
        if in_channels > 1:
            self.bottleneck = nn.Conv1d(in_channels, bottleneck, 1, bias=False)
            branch_in = bottleneck
        else:
            self.bottleneck = nn.Identity()
            branch_in = in_channels
        self.convs = nn.ModuleList(SameConv1d(branch_in, filters, k, bias=False) for k in self.KERNELS)
        self.pool = nn.Sequential(nn.MaxPool1d(3, stride=1, padding=1), nn.Conv1d(in_channels, filters, 1, bias=False))
        self.out_channels = filters * (len(self.KERNELS) + 1)
        self.norm = nn.BatchNorm1d(self.out_channels)

    def forward(self, x: Tensor) -> Tensor:
        z = self.bottleneck(x)
        branches = [conv(z) for conv in self.convs] + [self.pool(x)]
        return self.norm(torch.cat(branches, dim=1)).relu()


class InceptionTime(ConvClassifier):
    """One InceptionTime network: ``layers`` (6) inception modules of ``hidden`` (32) filters per branch, so a
    ``4 * hidden`` (128) wide map, with a residual connection (1x1 conv + BN, add, ReLU) around every 3 modules.
    """

    def __init__(self, in_channels: int, n_classes: int, hidden: int = 32, layers: int = 6) -> None:
        _check_sizes("InceptionTime", in_channels, n_classes, hidden, layers)
        width = 4 * hidden
        super().__init__(in_channels, n_classes, width)
        self.inceptions = nn.ModuleList(
            InceptionModule(in_channels if d == 0 else width, hidden) for d in range(layers)
        )
        self.shortcuts = nn.ModuleList(
            _conv_bn(in_channels if d == 2 else width, width, 1, bias=False) for d in range(2, layers, 3)
        )

    def feature_map(self, x: Tensor) -> Tensor:
        residual = x
        for d, inception in enumerate(self.inceptions):
            x = inception(x)
            if d % 3 == 2:
                x = (x + self.shortcuts[d // 3](residual)).relu()
                residual = x
        return x
