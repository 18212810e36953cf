"""Load classification sets in aeon's ``(n, c, L)`` layout from their sources, preprocessing UCR/UEA sets.

The preprocessing follows the paper: series longer than ``max_length`` (100) steps are
resampled to ``max_length`` by linear interpolation, unequal-length collections are
resampled to one common length, missing values are filled by linear interpolation and
every channel is standardised with statistics of the train split only, so that no
information from the test split leaks into training.

Sources (:data:`SOURCES`): the PhysioNet/CinC 2012 challenge data by its name or folder (:mod:`gdpd.physionet`);
otherwise a UCR/UEA set, tried in this order for a name: the vendored ``.ts`` pairs in ``VENDORED_DIR``
(offline), then aeon's ``load_classification`` (its bundled sets load offline, other
archive names are downloaded from Zenodo when online). A path to a folder holding one
``<NAME>_TRAIN.ts``/``<NAME>_TEST.ts`` pair is loaded directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from gdpd.dataset import Dataset, DatasetError, resample
from gdpd.physionet import is_physionet2012_folder, load_physionet2012

OFFLINE_UCR: tuple[str, ...] = (
    "ACSF1",
    "ArrowHead",
    "Coffee",
    "Covid3Month_disc",
    "GunPoint",
    "ItalyPowerDemand",
    "OSULeaf",
    "PickupGestureWiimoteZ",
    "PigCVP",
    "Trace",
    "UnitTest",
)
OFFLINE_UEA: tuple[str, ...] = ("BasicMotions", "JapaneseVowels")

VENDORED_DIR: Path = Path(
    os.environ.get("GDPD_DATA_DIR", Path(__file__).resolve().parents[1] / "data" / "ucr")
)


PHYSIONET_NAME = "PhysioNet2012"
PHYSIONET_DIR: Path = Path(
    os.environ.get("GDPD_PHYSIONET", Path(__file__).resolve().parents[1] / "data" / "physionet2012")
)

_Series = list[np.ndarray]


class Source(NamedTuple):
    """A place datasets load from: which names or paths it takes, and how it loads them."""

    name: str
    accepts: Callable[[str | os.PathLike], bool]
    load: Callable[[str | os.PathLike, int, bool], Dataset]


def load_dataset(
    name_or_path: str | os.PathLike, max_length: int = 100, standardise: bool = True
) -> Dataset:
    """Load a classification set by name or from a folder and preprocess it.

    The first of :data:`SOURCES` that takes ``name_or_path`` loads it; see the module docstring for the UCR/UEA
    sources and the preprocessing applied.
    """
    if max_length < 2:
        raise DatasetError(f"max_length must be >= 2, got {max_length}; pass e.g. 100")
    source = next(source for source in SOURCES if source.accepts(name_or_path))
    return source.load(name_or_path, max_length, standardise)


def _is_physionet(name_or_path: str | os.PathLike) -> bool:
    return str(name_or_path) == PHYSIONET_NAME or is_physionet2012_folder(name_or_path)


def _load_physionet(name_or_path: str | os.PathLike, max_length: int, standardise: bool) -> Dataset:
    """The challenge data from a folder, or from :data:`PHYSIONET_DIR` under its name; :mod:`gdpd.physionet` sets
    its own grid and standardisation, so ``max_length`` and ``standardise`` do not apply."""
    if str(name_or_path) == PHYSIONET_NAME:
        if not is_physionet2012_folder(PHYSIONET_DIR):
            raise DatasetError(
                f"{PHYSIONET_NAME} is not in {PHYSIONET_DIR}: download set-a (and set-b) with Outcomes-a.txt "
                "(and Outcomes-b.txt) from https://physionet.org/content/challenge-2012/ into that folder, or set "
                "GDPD_PHYSIONET to the folder that holds them"
            )
        name_or_path = PHYSIONET_DIR
    # Set A trains and set B tests when both are there; otherwise a seeded stratified 20 % of set A tests.
    root = Path(name_or_path)
    has_b = (root / "set-b").is_dir() and (root / "Outcomes-b.txt").is_file()
    return load_physionet2012(root, test_fraction=None if has_b else 0.2)


def _load_ucr(name_or_path: str | os.PathLike, max_length: int, standardise: bool) -> Dataset:
    """A UCR/UEA set by name or from a folder, preprocessed as the module docstring says."""
    name, raw = _load_raw(name_or_path)
    (X_tr, y_tr), (X_te, y_te) = raw
    for split, X in (("train", X_tr), ("test", X_te)):
        if len(X) == 0:
            raise DatasetError(
                f"dataset {name!r}: the {split} split is empty; supply a .ts file with cases"
            )

    classes, codes_tr, codes_te = _encode_labels(name, y_tr, y_te)
    series_tr = _fill_missing(name, "train", _as_series(X_tr))
    series_te = _fill_missing(name, "test", _as_series(X_te))

    lengths = [s.shape[-1] for s in series_tr + series_te]
    original_length = max(lengths)
    target = min(max_length, original_length)
    if min(lengths) == original_length and original_length <= max_length:
        arr_tr, arr_te = np.stack(series_tr), np.stack(series_te)
    else:
        arr_tr = np.stack([resample(s, target) for s in series_tr])
        arr_te = np.stack([resample(s, target) for s in series_te])

    if standardise:
        # Train statistics only: the test split must not shape the preprocessing.
        mean = arr_tr.mean(axis=(0, 2), keepdims=True)
        std = arr_tr.std(axis=(0, 2), keepdims=True)
        std[std == 0] = 1.0
        arr_tr = (arr_tr - mean) / std
        arr_te = (arr_te - mean) / std

    return Dataset(
        name=name,
        X_train=arr_tr.astype(np.float32),
        y_train=codes_tr,
        X_test=arr_te.astype(np.float32),
        y_test=codes_te,
        classes=classes,
        original_length=int(original_length),
    )


SOURCES: tuple[Source, ...] = (
    Source("PhysioNet/CinC 2012: the name PhysioNet2012, or a folder with set-a/ and Outcomes-a.txt", _is_physionet,
           _load_physionet),
    Source("UCR/UEA: a folder with one .ts pair, a vendored set, or aeon's archive", lambda _: True, _load_ucr),
)
"""Where :func:`load_dataset` looks, in order; the last takes every name."""


def _load_raw(
    name_or_path: str | os.PathLike,
) -> tuple[str, tuple[tuple[object, np.ndarray], tuple[object, np.ndarray]]]:
    """Return ``(name, ((X_train, y_train), (X_test, y_test)))`` as aeon loads them."""
    text = os.fspath(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, os.PathLike)
        or os.sep in text
        or (os.altsep is not None and os.altsep in text)
        or Path(text).exists()
    )
    if looks_like_path:
        return _load_folder(Path(text))
    vendored = (VENDORED_DIR / f"{text}_TRAIN.ts", VENDORED_DIR / f"{text}_TEST.ts")
    if all(p.is_file() for p in vendored):
        return text, (_read_ts(vendored[0]), _read_ts(vendored[1]))
    return text, _load_aeon(text)


def _load_folder(folder: Path) -> tuple[str, tuple[tuple[object, np.ndarray], ...]]:
    """Load the single ``<NAME>_TRAIN.ts``/``<NAME>_TEST.ts`` pair in ``folder``."""
    if not folder.exists():
        raise DatasetError(
            f"path {str(folder)!r} does not exist; pass an existing folder holding "
            "<NAME>_TRAIN.ts and <NAME>_TEST.ts, or a dataset name such as 'GunPoint'"
        )
    if not folder.is_dir():
        raise DatasetError(
            f"{str(folder)!r} is a file; pass the folder that holds <NAME>_TRAIN.ts and "
            "<NAME>_TEST.ts"
        )
    ts_files = sorted(p.name for p in folder.glob("*.ts"))
    if not ts_files:
        raise DatasetError(
            f"folder {str(folder)!r} holds no .ts files; put <NAME>_TRAIN.ts and "
            "<NAME>_TEST.ts there"
        )
    names = [
        f[: -len("_TRAIN.ts")]
        for f in ts_files
        if f.endswith("_TRAIN.ts") and f"{f[: -len('_TRAIN.ts')]}_TEST.ts" in ts_files
    ]
    if len(names) != 1:
        raise DatasetError(
            f"folder {str(folder)!r} must hold exactly one <NAME>_TRAIN.ts/<NAME>_TEST.ts "
            f"pair, found {len(names)} among {ts_files}; keep one pair per folder"
        )
    name = names[0]
    return name, (
        _read_ts(folder / f"{name}_TRAIN.ts"),
        _read_ts(folder / f"{name}_TEST.ts"),
    )


def _read_ts(path: Path) -> tuple[object, np.ndarray]:
    """Read one ``.ts`` file with aeon, turning parse failures into DatasetError."""
    try:
        from aeon.datasets import load_from_ts_file  # aeon is slow to import; only readers of data pay for it

        X, y = load_from_ts_file(str(path))
    except Exception as exc:
        raise DatasetError(
            f"cannot parse {str(path)!r} as an aeon .ts classification file ({exc}); "
            "write it with aeon.datasets.save_to_ts_file"
        ) from exc
    if y is None:
        raise DatasetError(
            f"{str(path)!r} has no class labels; write it with @classLabel true"
        )
    return X, np.asarray(y)


def _load_aeon(name: str) -> tuple[tuple[object, np.ndarray], tuple[object, np.ndarray]]:
    """Load ``name`` through aeon; unknown names fail before any network access."""
    offline = ", ".join(OFFLINE_UCR + OFFLINE_UEA)
    unavailable = (
        f"dataset {name!r} is unknown or unavailable offline; offline sets are {offline}; "
        "or pass a folder holding <NAME>_TRAIN.ts and <NAME>_TEST.ts"
    )
    import aeon.datasets
    from aeon.datasets import load_classification
    from aeon.datasets.tsc_datasets import tsc_zenodo

    bundled = Path(aeon.datasets.__file__).resolve().parent / "data"
    if not (bundled / name).is_dir() and name not in tsc_zenodo:
        raise DatasetError(unavailable)
    try:
        train = load_classification(name, split="train")
        test = load_classification(name, split="test")
    except Exception as exc:
        raise DatasetError(f"{unavailable} (aeon: {exc})") from exc
    return (train[0], np.asarray(train[1])), (test[0], np.asarray(test[1]))


def _as_series(X: object) -> _Series:
    """Turn aeon's 3-D array or list of 2-D arrays into a list of float64 ``(c, L_i)``."""
    return [np.asarray(x, dtype=np.float64).reshape(-1, np.shape(x)[-1]) for x in X]


def _encode_labels(
    name: str, y_train: np.ndarray, y_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Encode labels to codes ``0..K-1``; numeric labels sort numerically ('2' < '10')."""
    classes = np.unique(np.concatenate([y_train, y_test]))
    try:
        classes = classes[np.argsort(classes.astype(np.float64), kind="stable")]
    except ValueError:
        pass  # non-numeric labels keep their lexicographic order
    train_classes = set(y_train.tolist())
    unseen = sorted(set(y_test.tolist()) - train_classes)
    if unseen:
        raise DatasetError(
            f"dataset {name!r}: test labels {unseen} never occur in the train split; "
            "a classifier cannot predict them — remove those cases or re-split the data"
        )
    if len(train_classes) < 2:
        raise DatasetError(
            f"dataset {name!r}: the train split has {len(train_classes)} class; "
            "classification needs at least 2 — supply a train split with several classes"
        )
    index = {label: code for code, label in enumerate(classes.tolist())}
    codes_tr = np.array([index[v] for v in y_train.tolist()], dtype=np.int64)
    codes_te = np.array([index[v] for v in y_test.tolist()], dtype=np.int64)
    return classes, codes_tr, codes_te


def _fill_missing(name: str, split: str, series: _Series) -> _Series:
    """Fill NaNs by linear interpolation along time, edges by the nearest observation.

    Done per series and channel, before resampling, so a gap never mixes values of
    different cases or channels.
    """
    filled: _Series = []
    for case, s in enumerate(series):
        if not np.isnan(s).any():
            filled.append(s)
            continue
        s = s.copy()
        t = np.arange(s.shape[-1])
        for ch in range(s.shape[0]):
            missing = np.isnan(s[ch])
            if missing.all():
                raise DatasetError(
                    f"dataset {name!r}, {split} split, case {case}, channel {ch} is "
                    "entirely missing (NaN); remove that case or supply observed values"
                )
            if missing.any():
                s[ch, missing] = np.interp(t[missing], t[~missing], s[ch, ~missing])
        filled.append(s)
    return filled
