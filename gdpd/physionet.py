"""Load the PhysioNet/CinC Challenge 2012 ICU-mortality data as a :class:`gdpd.dataset.Dataset`.

The data (https://physionet.org/content/challenge-2012/) cannot be redistributed here;
download it and pass the folder that holds ``set-a/`` and ``Outcomes-a.txt``.

Format
------
- One folder per set, ``set-a/``, ``set-b/``, ``set-c/``, with one text file per ICU stay,
  ``<RecordID>.txt``: CSV with the header ``Time,Parameter,Value``. ``Time`` is ``HH:MM``
  elapsed since ICU admission (hours may exceed 24; the records cover the first 48 h).
- The first rows, at ``00:00``, are general descriptors: ``RecordID``, ``Age``,
  ``Gender``, ``Height``, ``ICUType`` and ``Weight`` (Weight also recurs later as a time
  series). The remaining rows are irregular measurements of up to 37 time-series
  variables (:data:`PHYSIONET_VARIABLES`). An unmeasured variable simply has no rows; a
  value of ``-1`` also means missing and is treated as missing for every variable.
- One outcomes file per set, ``Outcomes-<x>.txt`` beside the set folders, CSV with the
  header ``RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death``. The label is
  ``In-hospital_death`` (0 survived, 1 died); about 14 % of the stays are positive, so the
  classes are strongly imbalanced (see :func:`class_balance`).

Choices made here
-----------------
- **Descriptors** are kept apart from the time series (``DataFrame.attrs``): the leading
  ``00:00`` block of descriptor rows, including its admission ``Weight``, are
  descriptors; every later ``Weight`` row is a time-series measurement. Descriptors are
  not fed to the classifier (the model input is the 37-channel grid only).
- **Grid**: bin ``k`` covers ``[k * step_hours, (k + 1) * step_hours)`` hours; a bin holds
  the mean of the measurements in it. Measurements at exactly ``hours`` (``48:00``) go to
  the last bin; measurements beyond ``hours`` (or before ``00:00``) are dropped. With the
  defaults the grid is ``(n_patients, 37, 48)``, one step per hour. Parameter names that
  are not among the variables are ignored.
- **Missing values**: forward fill along time within a patient and variable (the last
  observation is carried forward, never backward, so no future value leaks into the
  past); where nothing has been observed yet (including variables a patient never had
  measured, and patients with no time-series rows at all), the variable's median over
  the *train* split's observed bins (bin means before filling) is used. A variable never
  observed in the train split is filled with 0. No missingness-mask channels are added,
  so the model sees 37 channels and cannot tell observed from filled values.
- **Standardisation**: per channel with the mean and standard deviation of the filled
  train grid (a zero deviation is replaced by 1), applied to both splits, as
  :func:`gdpd.data.load_dataset` does. No log transform of heavy-tailed variables.
- **Splits**: by default set A trains and set B tests. With ``test_fraction`` the
  patients of ``train_sets`` are split into train and test, stratified by the outcome
  with ``seed`` (:func:`gdpd.dataset.validation_split`); ``test_sets`` is then not read. Use
  this when only set A is downloaded.

Why this module is long: it documents the challenge's format and the choices above, and implements each once (the
parser, the hourly grid, the fills, the splits); none of them serves anything but this dataset.

Citation
--------
Silva I, Moody G, Scott DJ, Celi LA, Mark RG. "Predicting In-Hospital Mortality of ICU
Patients: The PhysioNet/Computing in Cardiology Challenge 2012". Computing in Cardiology
2012;39:245-248.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gdpd.dataset import Dataset, DatasetError, validation_split

PHYSIONET_VARIABLES: tuple[str, ...] = (
    "Albumin",
    "ALP",
    "ALT",
    "AST",
    "Bilirubin",
    "BUN",
    "Cholesterol",
    "Creatinine",
    "DiasABP",
    "FiO2",
    "GCS",
    "Glucose",
    "HCO3",
    "HCT",
    "HR",
    "K",
    "Lactate",
    "Mg",
    "MAP",
    "MechVent",
    "Na",
    "NIDiasABP",
    "NIMAP",
    "NISysABP",
    "PaCO2",
    "PaO2",
    "pH",
    "Platelets",
    "RespRate",
    "SaO2",
    "SysABP",
    "Temp",
    "TroponinI",
    "TroponinT",
    "Urine",
    "WBC",
    "Weight",
)
DESCRIPTORS: tuple[str, ...] = ("RecordID", "Age", "Gender", "Height", "ICUType", "Weight")
CLASSES: np.ndarray = np.array(["survived", "died"])
MISSING_VALUE: float = -1.0
LABEL_COLUMN = "In-hospital_death"

_DOWNLOAD_HINT = (
    "download the challenge data from https://physionet.org/content/challenge-2012/ and "
    "pass the folder holding set-a/ and Outcomes-a.txt"
)


# --------------------------------------------------------------------------- records
def _parse_time(text: str, path: Path, line: int) -> float:
    """``HH:MM`` elapsed time to hours as a float."""
    hh, sep, mm = text.strip().partition(":")
    try:
        if not sep:
            raise ValueError
        hours, minutes = int(hh), int(mm)
        if hours < 0 or not 0 <= minutes < 60:
            raise ValueError
    except ValueError:
        raise DatasetError(
            f"{str(path)!r}, line {line}: time {text!r} is not HH:MM; records must use the "
            "challenge format 'Time,Parameter,Value' with times such as 07:45"
        ) from None
    return hours + minutes / 60.0


def read_record(path: str | os.PathLike) -> pd.DataFrame:
    """Read one ``<RecordID>.txt`` record into a long time-series table.

    Returns a DataFrame with columns ``Time`` (hours since admission, float),
    ``Parameter`` (str) and ``Value`` (float), one row per measurement, in file order;
    rows whose value is ``-1`` (missing) are dropped. The general descriptors are not
    rows: ``df.attrs["descriptors"]`` maps each descriptor present to its value (``-1``
    becomes NaN), and ``df.attrs["record_id"]`` is the ``RecordID`` descriptor, or the
    file name's stem when that is absent.
    """
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise DatasetError(f"cannot read record {str(path)!r} ({exc}); check the path") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows or [c.strip() for c in rows[0]] != ["Time", "Parameter", "Value"]:
        raise DatasetError(
            f"{str(path)!r} does not start with the header 'Time,Parameter,Value'; pass a "
            "PhysioNet 2012 record file (set-a/<RecordID>.txt)"
        )
    descriptors: dict[str, float] = {}
    times: list[float] = []
    params: list[str] = []
    values: list[float] = []
    in_block = True  # the leading 00:00 descriptor block
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise DatasetError(
                f"{str(path)!r}, line {line}: expected 3 fields Time,Parameter,Value, got "
                f"{len(row)}; fix or remove that line"
            )
        t = _parse_time(row[0], path, line)
        name = row[1].strip()
        try:
            value = float(row[2])
        except ValueError:
            raise DatasetError(
                f"{str(path)!r}, line {line}: value {row[2]!r} of {name!r} is not a number; "
                "fix or remove that line"
            ) from None
        missing = value == MISSING_VALUE or math.isnan(value)
        is_descriptor = name in DESCRIPTORS and (
            (in_block and t == 0.0 and name not in descriptors)
            or (name != "Weight" and name not in descriptors)
        )
        if is_descriptor:
            descriptors[name] = float("nan") if missing else value
            continue
        if name in DESCRIPTORS and name != "Weight":
            continue  # a repeated descriptor carries nothing new
        in_block = False
        if missing:
            continue
        times.append(t)
        params.append(name)
        values.append(value)
    df = pd.DataFrame(
        {
            "Time": np.asarray(times, dtype=np.float64),
            "Parameter": pd.Series(params, dtype=object),
            "Value": np.asarray(values, dtype=np.float64),
        }
    )
    rid = descriptors.get("RecordID", float("nan"))
    df.attrs["descriptors"] = descriptors
    df.attrs["record_id"] = int(rid) if not math.isnan(rid) else _stem_id(path)
    df.attrs["path"] = str(path)
    return df


def _stem_id(path: Path) -> int | str:
    return int(path.stem) if path.stem.isdigit() else path.stem


# --------------------------------------------------------------------------- grid
def n_steps(hours: float, step_hours: float) -> int:
    """Number of bins ``ceil(hours / step_hours)`` (the last bin is shorter if uneven)."""
    if not (hours > 0 and step_hours > 0):
        raise DatasetError(
            f"hours and step_hours must be positive, got {hours} and {step_hours}; "
            "pass e.g. hours=48, step_hours=1"
        )
    return max(1, math.ceil(hours / step_hours - 1e-9))


def to_grid(
    records: Iterable[pd.DataFrame],
    hours: float = 48.0,
    step_hours: float = 1.0,
    variables: Sequence[str] = PHYSIONET_VARIABLES,
) -> np.ndarray:
    """Bin long-format records onto a regular grid of shape ``(n, len(variables), steps)``.

    Each bin holds the mean of the measurements in ``[k * step_hours, (k + 1) *
    step_hours)``; a measurement at exactly ``hours`` joins the last bin, later or
    negative times are dropped, ``-1`` and NaN values are missing, unknown parameters
    are ignored. Bins without a measurement are NaN: fill them with
    :func:`fill_missing` (medians from :func:`train_medians` of the train grid).
    """
    steps = n_steps(hours, step_hours)
    index = {v: i for i, v in enumerate(variables)}
    grids = []
    for df in records:
        sums = np.zeros((len(variables), steps))
        counts = np.zeros((len(variables), steps))
        if len(df):
            t = df["Time"].to_numpy(dtype=np.float64)
            v = df["Value"].to_numpy(dtype=np.float64)
            var = df["Parameter"].map(index).to_numpy(dtype=np.float64)
            keep = (
                ~np.isnan(var) & ~np.isnan(v) & (v != MISSING_VALUE) & (t >= 0) & (t <= hours)
            )
            bins = np.minimum(np.floor(t[keep] / step_hours + 1e-9), steps - 1).astype(np.int64)
            rows = var[keep].astype(np.int64)
            np.add.at(sums, (rows, bins), v[keep])
            np.add.at(counts, (rows, bins), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            grids.append(np.where(counts > 0, sums / counts, np.nan))
    if not grids:
        return np.empty((0, len(variables), steps))
    return np.stack(grids)


def forward_fill(grid: np.ndarray) -> np.ndarray:
    """Carry the last observation forward along the last axis; leading NaNs stay NaN."""
    grid = np.asarray(grid, dtype=np.float64)
    if grid.size == 0:
        return grid.copy()
    pos = np.where(np.isnan(grid), 0, np.arange(grid.shape[-1]))
    pos = np.maximum.accumulate(pos, axis=-1)
    return np.take_along_axis(grid, pos, axis=-1)


def train_medians(grid: np.ndarray) -> np.ndarray:
    """Per-variable median of the observed (non-NaN) bins of an unfilled train grid.

    A variable with no observed bin gets 0.
    """
    grid = np.asarray(grid, dtype=np.float64)
    out = np.zeros(grid.shape[1])
    for ch in range(grid.shape[1]):
        seen = grid[:, ch, :]
        seen = seen[~np.isnan(seen)]
        if seen.size:
            out[ch] = float(np.median(seen))
    return out


def fill_missing(grid: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Forward-fill along time, then fill what is still missing with ``medians[channel]``."""
    filled = forward_fill(grid)
    medians = np.asarray(medians, dtype=np.float64).reshape(1, -1, 1)
    return np.where(np.isnan(filled), medians, filled)


def _standardise(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel z-score with train statistics only (zero deviation -> 1)."""
    mean = X_train.mean(axis=(0, 2), keepdims=True)
    std = X_train.std(axis=(0, 2), keepdims=True)
    std[std == 0] = 1.0
    return (X_train - mean) / std, (X_test - mean) / std


# --------------------------------------------------------------------------- sets
def read_outcomes(path: str | os.PathLike) -> dict[int | str, int]:
    """Map ``RecordID`` to ``In-hospital_death`` (0/1) from an ``Outcomes-<x>.txt``."""
    path = Path(path)
    try:
        table = pd.read_csv(path, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(
            f"cannot read outcomes file {str(path)!r} ({exc}); it must be the challenge's "
            "CSV with header RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death"
        ) from exc
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in ("RecordID", LABEL_COLUMN) if c not in table.columns]
    if missing:
        raise DatasetError(
            f"outcomes file {str(path)!r} lacks column(s) {missing}; it must be the "
            "challenge's CSV with header "
            "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death"
        )
    labels = pd.to_numeric(table[LABEL_COLUMN], errors="coerce")
    bad = ~labels.isin([0, 1])
    if bad.any():
        rid = table["RecordID"][bad].iloc[0]
        raise DatasetError(
            f"outcomes file {str(path)!r}: {LABEL_COLUMN} of RecordID {rid} is "
            f"{table[LABEL_COLUMN][bad].iloc[0]!r}, not 0 or 1; fix that row"
        )
    ids = [int(r) if str(r).strip().isdigit() else str(r).strip() for r in table["RecordID"]]
    return dict(zip(ids, labels.astype(np.int64).tolist()))


def read_set(
    root: str | os.PathLike, set_name: str
) -> tuple[list[int | str], list[pd.DataFrame], np.ndarray]:
    """Read ``<root>/set-<x>/*.txt`` and ``<root>/Outcomes-<x>.txt``.

    Returns ``(record_ids, records, labels)`` sorted by record file name, labels int64
    ``In-hospital_death``.
    """
    root = _check_root(root)
    folder = root / f"set-{set_name}"
    outcomes_path = root / f"Outcomes-{set_name}.txt"
    if not folder.is_dir():
        raise DatasetError(
            f"set folder {str(folder)!r} does not exist; {_DOWNLOAD_HINT} (or unpack "
            f"set-{set_name}.tar.gz there)"
        )
    if not outcomes_path.is_file():
        raise DatasetError(
            f"outcomes file {str(outcomes_path)!r} does not exist; download "
            f"Outcomes-{set_name}.txt from https://physionet.org/content/challenge-2012/ and "
            f"put it beside set-{set_name}/"
        )
    files = sorted(folder.glob("*.txt"), key=lambda p: (not p.stem.isdigit(), len(p.stem), p.stem))
    if not files:
        raise DatasetError(
            f"set folder {str(folder)!r} holds no <RecordID>.txt records (no patients); "
            f"unpack set-{set_name}.tar.gz there"
        )
    outcomes = read_outcomes(outcomes_path)
    records = [read_record(p) for p in files]
    ids = [r.attrs["record_id"] for r in records]
    labels = []
    for rid, path in zip(ids, files):
        if rid not in outcomes:
            raise DatasetError(
                f"record {path.name!r} (RecordID {rid}) has no outcome in "
                f"{str(outcomes_path)!r}; use the matching Outcomes-{set_name}.txt or "
                "remove that record"
            )
        labels.append(outcomes[rid])
    return ids, records, np.asarray(labels, dtype=np.int64)


def _check_root(root: str | os.PathLike) -> Path:
    path = Path(root)
    if not path.is_dir():
        raise DatasetError(f"PhysioNet 2012 folder {str(path)!r} does not exist; {_DOWNLOAD_HINT}")
    return path


def _read_sets(
    root: Path, sets: Sequence[str], role: str
) -> tuple[list[pd.DataFrame], np.ndarray]:
    if isinstance(sets, str):
        sets = (sets,)
    if not sets:
        raise DatasetError(f"no {role} sets given; pass e.g. {role}_sets=('a',)")
    records: list[pd.DataFrame] = []
    labels: list[np.ndarray] = []
    for s in sets:
        _, recs, y = read_set(root, s)
        records.extend(recs)
        labels.append(y)
    return records, np.concatenate(labels)


def load_physionet2012(
    root: str | os.PathLike,
    train_sets: Sequence[str] = ("a",),
    test_sets: Sequence[str] = ("b",),
    hours: float = 48.0,
    step_hours: float = 1.0,
    test_fraction: float | None = None,
    seed: int = 0,
) -> Dataset:
    """Load the challenge data as a standardised ``(n, 37, steps)`` :class:`Dataset`.

    Without ``test_fraction`` the ``train_sets`` form the train split and the
    ``test_sets`` the test split. With ``test_fraction`` the ``train_sets`` are split
    into train and test, stratified by outcome with ``seed``, and ``test_sets`` is not
    read (for when only set A is at hand). See the module docstring for the grid,
    fill and standardisation choices.
    """
    root = _check_root(root)
    n_steps(hours, step_hours)  # validate before reading thousands of files
    rec_tr, y_tr = _read_sets(root, train_sets, "train")
    if test_fraction is not None:
        if not 0.0 < test_fraction < 1.0:
            raise DatasetError(
                f"test_fraction must be in (0, 1), got {test_fraction}; pass e.g. 0.2"
            )
        try:
            tr_idx, te_idx = validation_split(y_tr, fraction=test_fraction, seed=seed)
        except DatasetError as exc:
            raise DatasetError(
                f"cannot split the train sets into train/test stratified by outcome: {exc}"
            ) from exc
        rec_te, y_te = [rec_tr[i] for i in te_idx], y_tr[te_idx]
        rec_tr, y_tr = [rec_tr[i] for i in tr_idx], y_tr[tr_idx]
    else:
        for s in (test_sets,) if isinstance(test_sets, str) else test_sets:
            if not (root / f"set-{s}").is_dir():
                raise DatasetError(
                    f"test set folder {str(root / f'set-{s}')!r} does not exist; download "
                    f"set-{s} and Outcomes-{s}.txt from "
                    "https://physionet.org/content/challenge-2012/, or pass "
                    "test_fraction=0.2 to split the train sets instead"
                )
        rec_te, y_te = _read_sets(root, test_sets, "test")
    if len(set(y_tr.tolist())) < 2:
        raise DatasetError(
            "the train split holds only one outcome; classification needs both survivors "
            "and deaths — pass more train sets or records"
        )

    grid_tr = to_grid(rec_tr, hours, step_hours)
    grid_te = to_grid(rec_te, hours, step_hours)
    medians = train_medians(grid_tr)  # train split only: no test information leaks
    X_tr, X_te = _standardise(fill_missing(grid_tr, medians), fill_missing(grid_te, medians))
    return Dataset(
        name="PhysioNet2012",
        X_train=X_tr.astype(np.float32),
        y_train=y_tr.astype(np.int64),
        X_test=X_te.astype(np.float32),
        y_test=y_te.astype(np.int64),
        classes=CLASSES.copy(),
        original_length=int(grid_tr.shape[-1]),
    )


def is_physionet2012_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding ``set-a/`` and ``Outcomes-a.txt``."""
    p = Path(path)
    return (p / "set-a").is_dir() and (p / "Outcomes-a.txt").is_file()


def class_balance(y: np.ndarray) -> dict[str, float | int]:
    """Counts and positive rate of outcome codes (0 survived, 1 died)."""
    y = np.asarray(y)
    if y.size == 0:
        raise DatasetError("class_balance got no labels; pass a non-empty y")
    if not np.isin(y, (0, 1)).all():
        raise DatasetError(
            f"class_balance expects codes 0 (survived) / 1 (died), got {sorted(set(y.tolist()))}"
        )
    died = int((y == 1).sum())
    survived = int((y == 0).sum())
    return {
        "n": int(y.size),
        "survived": survived,
        "died": died,
        "positive_rate": died / y.size,
        "imbalance_ratio": survived / died if died else float("inf"),
    }


def write_synthetic(root: str | os.PathLike, n_stays: int = 60, died_share: float = 0.3, seed: int = 0) -> Path:
    """Write a small made-up set in the challenge's format: ``set-a/`` with ``n_stays`` records and
    ``Outcomes-a.txt``. Not patient data: a stay's heart rate, temperature, respiration and mean arterial pressure
    are random walks measured at irregular times (some values ``-1``, some variables never measured), and in a stay
    labelled *died* (a ``died_share`` of them) the heart rate drifts up and the pressure down over the 48 hours. It
    exercises the whole pipeline (parser, hourly grid, fills, split, training) where the real data is absent.

    Returns:
        ``root``, holding ``set-a/`` and ``Outcomes-a.txt``.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    folder = root / "set-a"
    folder.mkdir(parents=True, exist_ok=True)
    base = {"HR": 85.0, "Temp": 37.0, "RespRate": 18.0, "MAP": 80.0}
    drift = {"HR": 0.6, "Temp": 0.0, "RespRate": 0.1, "MAP": -0.5}  # per hour, in a stay that ends in death
    outcomes = ["RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death"]
    for i in range(n_stays):
        record_id = 900000 + i
        died = int(rng.random() < died_share)
        rows = ["Time,Parameter,Value", f"00:00,RecordID,{record_id}", f"00:00,Age,{rng.integers(20, 90)}",
                f"00:00,Gender,{rng.integers(0, 2)}", "00:00,Height,-1", f"00:00,ICUType,{rng.integers(1, 5)}",
                f"00:00,Weight,{rng.normal(80, 12):.1f}"]
        for variable, level in base.items():
            if rng.random() < 0.1:
                continue  # never measured in this stay
            minutes = np.sort(rng.choice(48 * 60, size=rng.integers(12, 40), replace=False))
            walk = np.cumsum(rng.normal(0, 1.0, size=len(minutes)))
            values = level + walk + died * drift[variable] * minutes / 60
            for minute, value in zip(minutes, values):
                shown = "-1" if rng.random() < 0.03 else f"{value:.1f}"
                rows.append(f"{minute // 60:02d}:{minute % 60:02d},{variable},{shown}")
        (folder / f"{record_id}.txt").write_text("\n".join(rows) + "\n")
        outcomes.append(f"{record_id},-1,-1,{rng.integers(2, 30)},-1,{died}")
    (root / "Outcomes-a.txt").write_text("\n".join(outcomes) + "\n")
    return root
