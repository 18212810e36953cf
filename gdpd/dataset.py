"""A preprocessed classification set and what every source of one shares: its error, resampling and the split.

Every loader (:mod:`gdpd.data` for UCR/UEA sets and folders, :mod:`gdpd.physionet` for the ICU challenge) returns a
:class:`Dataset` in aeon's ``(n_cases, n_channels, n_timepoints)`` layout and raises :class:`DatasetError` with a
message that names the problem and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split


class DatasetError(ValueError):
    """A dataset cannot be loaded or split; the message names the problem and the fix."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A preprocessed train/test classification set.

    ``X_*`` are float32 ``(n_cases, n_channels, length)`` arrays (resampled, missing
    values filled, standardised); ``y_*`` are int64 codes ``0..K-1`` indexing
    ``classes``, which holds the original labels. ``eq=False`` because element-wise
    array comparison has no single truth value.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray
    original_length: int

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.classes)

    @property
    def n_channels(self) -> int:
        """Number of channels c."""
        return int(self.X_train.shape[1])

    @property
    def length(self) -> int:
        """Series length L after resampling."""
        return int(self.X_train.shape[2])


def resample(X: np.ndarray, length: int) -> np.ndarray:
    """Resample ``X`` to ``length`` steps by linear interpolation along the last axis.

    The first and last samples are kept; interior samples are placed at
    ``np.linspace(0, L - 1, length)`` of the original index grid.
    """
    if length < 1:
        raise DatasetError(f"resample length must be >= 1, got {length}; pass a positive length")
    X = np.asarray(X)
    old = X.shape[-1]
    if old < 1:
        raise DatasetError("cannot resample an empty series; drop zero-length series first")
    dtype = np.result_type(X.dtype, np.float32)
    if old == length:
        return X.astype(dtype, copy=True)
    pos = np.linspace(0.0, old - 1, length)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, old - 1)
    w = (pos - lo).astype(dtype)
    return (X[..., lo] * (1 - w) + X[..., hi] * w).astype(dtype)


def validation_size(n: int, fraction: float) -> int:
    """The number of the ``n`` training cases that :func:`validation_split` sets aside: ``ceil(fraction * n)``, as
    scikit-learn's ``train_test_split`` counts a fractional ``test_size``."""
    return int(np.ceil(fraction * n))


def validation_split(
    y: np.ndarray, fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split case indices into sorted ``(train_idx, val_idx)``, stratified by class, drawn per seed.

    The split of the released GDPD code: scikit-learn's ``train_test_split(test_size=fraction, stratify=y)`` with the
    run's seed, so every seed validates on its own cases (``ceil(fraction * n)`` of them, allocated across classes in
    proportion to their sizes) and a seed always gives the same split.
    """
    if not 0.0 < fraction < 1.0:
        raise DatasetError(
            f"validation fraction must be in (0, 1), got {fraction}; pass e.g. 0.2"
        )
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        rare = labels[counts.argmin()]
        raise DatasetError(
            f"class {rare.item()!r} has {counts.min()} training series; the stratified validation "
            "split needs at least 2 per class — merge rare classes or pass a larger "
            "train split"
        )
    n_val = validation_size(len(y), fraction)
    if not len(labels) <= n_val <= len(y) - len(labels):
        raise DatasetError(
            f"a validation fraction of {fraction} gives {n_val} of {len(y)} cases, but a stratified split of "
            f"{len(labels)} classes needs between {len(labels)} and {len(y) - len(labels)}; pass a fraction "
            "that leaves every class in both parts"
        )
    train_idx, val_idx = train_test_split(
        np.arange(len(y)), test_size=fraction, stratify=y, random_state=seed % 2**32
    )
    return np.sort(train_idx).astype(np.int64), np.sort(val_idx).astype(np.int64)
