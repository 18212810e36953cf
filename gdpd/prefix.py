"""Earliness prefixes: what the partial-observation student sees of a series.

At earliness ``e`` the student observes the first ``n = floor(e * L)`` of ``L`` steps.
Two ways to turn that prefix into a model input:

- ``"stretch"`` (default): the ``n`` observed steps are linearly re-stretched back to the
  full length ``L``, so the input keeps the shape ``(…, L)``. This is what the authors'
  released code does, identically for the train, validation and test splits, and so it
  is the faithful reproduction.
- ``"truncate"``: the input is the prefix itself, ``X[..., :n]``, of shape ``(…, n)``.
  This is the literal reading of the paper's text.

Neither mode looks past step ``n``, so no future information reaches the student.
"""

from __future__ import annotations

import math
from typing import get_args

import numpy as np

from gdpd.config import PrefixMode, require_fraction
from gdpd.dataset import DatasetError, resample

_MIN_PREFIX = 2


def prefix_length(length: int, earliness: float) -> int:
    """Number of observed steps ``floor(earliness * length)``.

    The ``1e-9`` guards against floating-point products such as ``0.3 * 10 =
    2.9999999999999996`` losing a step.
    """
    require_fraction("earliness", earliness, "a fraction such as 0.4")
    n = math.floor(earliness * length + 1e-9)
    if n < _MIN_PREFIX:
        raise DatasetError(
            f"earliness {earliness} of a {length}-step series leaves {n} step"
            f"{'' if n == 1 else 's'}; the student needs at least {_MIN_PREFIX} — "
            "raise earliness"
        )
    return n


def make_prefix(X: np.ndarray, earliness: float, mode: PrefixMode = "stretch") -> np.ndarray:
    """Return the earliness-``earliness`` prefix of ``X`` along its last axis.

    ``"truncate"`` returns ``X[..., :n]``; ``"stretch"`` samples the prefix at
    ``np.linspace(0, n - 1, L)`` by linear interpolation, keeping ``X``'s shape. Both
    return a new array (a copy of ``X`` at earliness 1).
    """
    if mode not in get_args(PrefixMode):
        raise DatasetError(
            f"unknown prefix mode {mode!r}; pass one of {get_args(PrefixMode)}"
        )
    X = np.asarray(X)
    length = X.shape[-1]
    n = prefix_length(length, earliness)
    if n == length:
        return X.copy()
    if mode == "truncate":
        return X[..., :n].copy()
    return resample(X[..., :n], length)


def channel_count(n_channels: int, fraction: float) -> int:
    """Channels a channel-partial student sees: the first ``floor(fraction * C)``, at least one.

    The paper's multivariate table keeps the first half of the channels (``fraction = 0.5``).
    """
    require_fraction("channel_fraction", fraction, "e.g. 0.5 for half the channels")
    return max(1, math.floor(fraction * n_channels + 1e-9))
