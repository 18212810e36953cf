"""Tests for gdpd.prefix: hand-computed prefixes in both modes and the error paths."""

from __future__ import annotations

import numpy as np
import pytest

from gdpd.dataset import DatasetError
from gdpd.prefix import make_prefix, prefix_length

X = np.arange(10, dtype=np.float32).reshape(1, 1, 10)


def test_prefix_length_floors_and_guards_rounding() -> None:
    assert prefix_length(10, 0.5) == 5
    assert prefix_length(10, 0.3) == 3  # 0.3 * 10 is 2.999... in floating point
    assert prefix_length(100, 0.25) == 25
    assert prefix_length(7, 1.0) == 7


def test_truncate_hand_values() -> None:
    out = make_prefix(X, 0.5, mode="truncate")
    np.testing.assert_array_equal(out, [[[0, 1, 2, 3, 4]]])


def test_stretch_hand_values() -> None:
    out = make_prefix(X, 0.5, mode="stretch")
    expected = np.interp(np.linspace(0, 4, 10), np.arange(5), np.arange(5.0))
    assert out.shape == X.shape
    np.testing.assert_allclose(out[0, 0], expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(out[0, 0, [0, -1]], [0.0, 4.0])


def test_stretch_is_default_and_preserves_shape_on_batches() -> None:
    rng = np.random.default_rng(0)
    batch = rng.standard_normal((4, 3, 50)).astype(np.float32)
    out = make_prefix(batch, 0.4)
    assert out.shape == batch.shape and out.dtype == np.float32
    # Only the first 20 steps may influence the output.
    changed = batch.copy()
    changed[..., 20:] = 99.0
    np.testing.assert_array_equal(make_prefix(changed, 0.4), out)


@pytest.mark.parametrize("mode", ["stretch", "truncate"])
def test_full_earliness_returns_copy(mode: str) -> None:
    out = make_prefix(X, 1.0, mode=mode)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, X)
    assert out is not X and not np.shares_memory(out, X)


@pytest.mark.parametrize("earliness", [0.0, -0.1, 1.5])
def test_earliness_outside_unit_interval(earliness: float) -> None:
    with pytest.raises(ValueError, match=r"earliness must be in \(0, 1\]"):
        make_prefix(X, earliness)


def test_too_short_prefix() -> None:
    with pytest.raises(DatasetError, match="at least 2"):
        prefix_length(100, 0.01)
    with pytest.raises(DatasetError, match="raise earliness"):
        make_prefix(X, 0.1)


def test_unknown_mode() -> None:
    with pytest.raises(DatasetError, match="unknown prefix mode"):
        make_prefix(X, 0.5, mode="crop")  # type: ignore[arg-type]


def test_channel_count_keeps_the_first_fraction_and_at_least_one():
    from gdpd.prefix import channel_count

    assert channel_count(6, 0.5) == 3
    assert channel_count(12, 1.0) == 12
    assert channel_count(3, 0.1) == 1
    with pytest.raises(ValueError, match="channel_fraction must be in"):
        channel_count(6, 0.0)
