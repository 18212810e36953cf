"""Tests for gdpd.physionet on tiny files written in the PhysioNet/CinC 2012 format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gdpd.dataset import Dataset, DatasetError, validation_split
from gdpd.physionet import (
    PHYSIONET_VARIABLES,
    class_balance,
    fill_missing,
    forward_fill,
    is_physionet2012_folder,
    load_physionet2012,
    read_outcomes,
    read_record,
    write_synthetic,
    to_grid,
    train_medians,
)
from gdpd.prefix import make_prefix

V = {name: i for i, name in enumerate(PHYSIONET_VARIABLES)}
OUTCOME_HEADER = "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death"


def _descriptors(rid: int, weight: str = "80.0") -> list[str]:
    return [
        f"00:00,RecordID,{rid}",
        "00:00,Age,54",
        "00:00,Gender,0",
        "00:00,Height,-1",
        "00:00,ICUType,4",
        f"00:00,Weight,{weight}",
    ]


def _write_record(folder: Path, rid: int, rows: list[str], weight: str = "80.0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rid}.txt"
    path.write_text("\n".join(["Time,Parameter,Value", *_descriptors(rid, weight), *rows]) + "\n")
    return path


def _write_outcomes(root: Path, set_name: str, labels: dict[int, int]) -> None:
    lines = [OUTCOME_HEADER] + [f"{rid},10,2,5,-1,{y}" for rid, y in labels.items()]
    (root / f"Outcomes-{set_name}.txt").write_text("\n".join(lines) + "\n")


# Patient 132539: irregular times, a bin average, a -1, a value past 48:00.
P1_ROWS = [
    "00:07,HR,80",
    "00:45,HR,90",  # same bin [0, 1) as 00:07 -> mean 85
    "01:45,HR,100",
    "02:30,Temp,-1",  # missing
    "03:10,Temp,37.0",
    "05:00,Weight,81.5",
    "47:59,HR,70",
    "48:00,HR,72",  # exactly 48:00 joins the last bin
    "49:30,HR,999",  # beyond 48 h -> dropped
]
# Patient 132540: Temp measured late (before that: train median), HR never.
P2_ROWS = ["10:00,Temp,39.0", "10:20,Temp,38.0", "12:00,GCS,15"]


def _small_root(tmp_path: Path) -> Path:
    """set-a: 3 patients (one with only descriptors); set-b: 2 patients."""
    root = tmp_path / "physionet"
    a = root / "set-a"
    _write_record(a, 132539, P1_ROWS)
    _write_record(a, 132540, P2_ROWS)
    _write_record(a, 132541, [], weight="-1")  # descriptors only, no time series
    _write_outcomes(root, "a", {132539: 0, 132540: 1, 132541: 0})
    b = root / "set-b"
    _write_record(b, 142001, ["00:30,HR,60", "06:00,Temp,36.0"])
    _write_record(b, 142002, [])
    _write_outcomes(root, "b", {142001: 1, 142002: 0})
    return root


# ------------------------------------------------------------------ read_record
def test_read_record_parses_hours_and_separates_descriptors(tmp_path):
    path = _write_record(tmp_path / "set-a", 132539, P1_ROWS)
    df = read_record(path)
    assert list(df.columns) == ["Time", "Parameter", "Value"]
    assert df["Time"].dtype == np.float64 and df["Value"].dtype == np.float64
    desc = df.attrs["descriptors"]
    assert desc["RecordID"] == 132539 and desc["Age"] == 54 and desc["Weight"] == 80.0
    assert np.isnan(desc["Height"])  # -1 means missing
    assert df.attrs["record_id"] == 132539
    # No descriptor rows among the time series; the later Weight is a measurement.
    assert not set(df["Parameter"]) & {"RecordID", "Age", "Gender", "Height", "ICUType"}
    assert df.loc[df["Parameter"] == "Weight", "Time"].tolist() == [5.0]
    # The -1 Temp row is dropped; times are hours as floats.
    assert df.loc[df["Parameter"] == "Temp", "Value"].tolist() == [37.0]
    hr = df[df["Parameter"] == "HR"]
    np.testing.assert_allclose(
        hr["Time"], [7 / 60, 0.75, 1.75, 47 + 59 / 60, 48.0, 49.5]
    )


def test_read_record_descriptors_only_and_bad_lines(tmp_path):
    df = read_record(_write_record(tmp_path, 7, [], weight="-1"))
    assert len(df) == 0 and np.isnan(df.attrs["descriptors"]["Weight"])
    bad = tmp_path / "8.txt"
    bad.write_text("Time,Parameter,Value\n7h,HR,80\n")
    with pytest.raises(DatasetError, match="HH:MM"):
        read_record(bad)
    bad.write_text("time;param;value\n")
    with pytest.raises(DatasetError, match="Time,Parameter,Value"):
        read_record(bad)


# ------------------------------------------------------------------ to_grid / fill
def test_to_grid_bins_by_hand(tmp_path):
    r1 = read_record(_write_record(tmp_path, 1, P1_ROWS))
    r2 = read_record(_write_record(tmp_path, 2, P2_ROWS))
    r3 = read_record(_write_record(tmp_path, 3, []))
    g = to_grid([r1, r2, r3])
    assert g.shape == (3, 37, 48)
    hr = g[0, V["HR"]]
    assert hr[0] == pytest.approx(85.0)  # (80 + 90) / 2
    assert hr[1] == pytest.approx(100.0)
    assert hr[47] == pytest.approx(71.0)  # 47:59 and 48:00; 49:30 dropped
    assert np.isnan(hr[2:47]).all()
    assert np.isnan(g[0, V["Temp"], 2]) and g[0, V["Temp"], 3] == 37.0
    assert g[0, V["Weight"], 5] == 81.5 and np.isnan(g[0, V["Weight"], 0])  # descriptor apart
    assert g[1, V["Temp"], 10] == pytest.approx(38.5)
    assert np.isnan(g[2]).all()  # no time series at all
    assert np.isnan(g[1, V["HR"]]).all()
    # Two-hour bins: 00:07, 00:45, 01:45 share bin 0.
    g2 = to_grid([r1], hours=48, step_hours=2.0)
    assert g2.shape == (1, 37, 24) and g2[0, V["HR"], 0] == pytest.approx(90.0)


def test_to_grid_treats_minus_one_as_missing_and_ignores_unknown():
    df = pd.DataFrame(
        {"Time": [0.5, 0.6, 1.0], "Parameter": ["HR", "HR", "Foo"], "Value": [-1.0, 60.0, 5.0]}
    )
    g = to_grid([df], variables=("HR", "Temp"), hours=2, step_hours=1)
    assert g.shape == (1, 2, 2)
    assert g[0, 0, 0] == 60.0 and np.isnan(g[0, 0, 1]) and np.isnan(g[0, 1]).all()
    assert to_grid([], variables=("HR",)).shape == (0, 1, 48)


def test_forward_fill_then_train_median_by_hand():
    nan = np.nan
    train = np.array(
        [
            [[nan, 1.0, nan, 3.0], [nan, nan, nan, nan]],
            [[5.0, nan, nan, nan], [2.0, nan, nan, nan]],
        ]
    )
    np.testing.assert_array_equal(
        forward_fill(train)[0, 0], [nan, 1.0, 1.0, 3.0]
    )
    med = train_medians(train)
    np.testing.assert_allclose(med, [3.0, 2.0])  # median of {1, 3, 5}; of {2}
    filled = fill_missing(train, med)
    np.testing.assert_allclose(filled[0, 0], [3.0, 1.0, 1.0, 3.0])
    np.testing.assert_allclose(filled[0, 1], [2.0, 2.0, 2.0, 2.0])
    np.testing.assert_allclose(filled[1, 0], [5.0, 5.0, 5.0, 5.0])
    # A variable never observed in train falls back to 0.
    assert train_medians(np.full((2, 1, 3), nan)).tolist() == [0.0]


# ------------------------------------------------------------------ load_physionet2012
def test_load_sets_a_b_labels_shapes_fill_and_standardisation(tmp_path):
    root = _small_root(tmp_path)
    assert is_physionet2012_folder(root) and not is_physionet2012_folder(tmp_path)
    ds = load_physionet2012(root)
    assert isinstance(ds, Dataset) and ds.name == "PhysioNet2012"
    assert ds.X_train.shape == (3, 37, 48) and ds.X_test.shape == (2, 37, 48)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.y_train.tolist() == [0, 1, 0] and ds.y_test.tolist() == [1, 0]
    assert ds.classes.tolist() == ["survived", "died"] and ds.original_length == 48
    assert np.isfinite(ds.X_train).all() and np.isfinite(ds.X_test).all()

    # Rebuild the unstandardised grid by hand from train statistics.
    nan = np.nan
    raw_hr = np.full((3, 48), nan)
    raw_hr[0, 0], raw_hr[0, 1], raw_hr[0, 47] = 85.0, 100.0, 71.0
    hr_median = np.median([85.0, 100.0, 71.0])
    hr = np.where(np.isnan(forward_fill(raw_hr)), hr_median, forward_fill(raw_hr))
    assert hr[0, 2] == 100.0 and hr[1, 0] == hr_median and hr[2, 5] == hr_median
    mean, std = hr.mean(), hr.std()
    np.testing.assert_allclose(ds.X_train[:, V["HR"]], (hr - mean) / std, rtol=1e-5, atol=1e-5)
    # Test patient 142001: HR 60 at 00:30, carried forward; standardised with TRAIN stats.
    np.testing.assert_allclose(ds.X_test[0, V["HR"]], (60.0 - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(ds.X_test[1, V["HR"]], (hr_median - mean) / std, rtol=1e-5)
    # Temp: train bins 37.0 (p1, h3) and 38.5 (p2, h10) -> median 37.75.
    temp = ds.X_train[:, V["Temp"]].astype(np.float64)
    raw_t = np.array([[37.75] * 3 + [37.0] * 45, [37.75] * 10 + [38.5] * 38, [37.75] * 48])
    np.testing.assert_allclose(temp, (raw_t - raw_t.mean()) / raw_t.std(), atol=1e-5)
    # Never-observed channels are constant -> standardised to 0.
    assert np.all(ds.X_train[:, V["Cholesterol"]] == 0) and np.all(ds.X_test[:, V["Albumin"]] == 0)
    # Every train channel is z-scored with train statistics.
    m = ds.X_train.astype(np.float64).mean(axis=(0, 2))
    np.testing.assert_allclose(m, 0.0, atol=1e-5)


def _balanced_root(tmp_path: Path, n_pos: int = 8, n_neg: int = 8) -> Path:
    root = tmp_path / "balanced"
    rng = np.random.default_rng(1)
    labels = {}
    for i in range(n_pos + n_neg):
        rid = 140000 + i
        y = int(i < n_pos)
        rows = [f"{h:02d}:{int(rng.integers(0, 60)):02d},HR,{70 + 20 * y + h + i}" for h in range(0, 48, 5)]
        rows += [f"{h:02d}:15,Temp,{36.5 + y + 0.01 * h}" for h in range(3, 48, 12)]
        _write_record(root / "set-a", rid, rows)
        labels[rid] = y
    _write_outcomes(root, "a", labels)
    return root


def test_single_set_split_is_stratified_seeded_and_deterministic(tmp_path):
    root = _balanced_root(tmp_path)
    ds = load_physionet2012(root, test_fraction=0.25, seed=3)  # no set-b needed
    assert ds.X_train.shape == (12, 37, 48) and ds.X_test.shape == (4, 37, 48)
    assert class_balance(ds.y_test) == {
        "n": 4, "survived": 2, "died": 2, "positive_rate": 0.5, "imbalance_ratio": 1.0
    }
    again = load_physionet2012(root, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(ds.X_test, again.X_test)
    np.testing.assert_array_equal(ds.y_train, again.y_train)
    other = load_physionet2012(root, test_fraction=0.25, seed=4)
    assert not np.array_equal(ds.X_test, other.X_test)
    # Pipeline contract: codes, validation split, earliness prefixes.
    assert set(ds.y_train.tolist()) == {0, 1} and ds.n_classes == 2 and ds.n_channels == 37
    tr, va = validation_split(ds.y_train, 0.2, seed=0)
    assert len(tr) + len(va) == 12 and set(ds.y_train[va].tolist()) == {0, 1}
    assert set(ds.y_train[tr].tolist()) == {0, 1}
    assert (np.bincount(ds.y_train[tr]) >= 2).all()
    p = make_prefix(ds.X_train, 0.5)
    assert p.shape == ds.X_train.shape and np.isfinite(p).all()
    assert make_prefix(ds.X_train, 0.5, mode="truncate").shape == (12, 37, 24)
    # A smoke-sized LSTM student accepts the prefix (one forward pass, no training).
    import torch

    from gdpd.architectures import build_classifier
    from gdpd.models import predict_outputs

    model = build_classifier("lstm", ds.n_channels, ds.n_classes, hidden=16, layers=1)
    out = predict_outputs(model, torch.from_numpy(p))
    assert out.logits.shape == (12, 2) and torch.isfinite(out.logits).all()


def test_class_balance_reports_imbalance():
    out = class_balance(np.array([0] * 6 + [1]))
    assert out["n"] == 7 and out["died"] == 1 and out["survived"] == 6
    assert out["positive_rate"] == pytest.approx(1 / 7) and out["imbalance_ratio"] == 6.0
    with pytest.raises(DatasetError):
        class_balance(np.array([0, 2]))


# ------------------------------------------------------------------ errors
def test_error_paths(tmp_path):
    with pytest.raises(DatasetError, match="physionet.org/content/challenge-2012.*set-a/"):
        load_physionet2012(tmp_path / "nowhere")

    root = _small_root(tmp_path)
    (root / "Outcomes-a.txt").unlink()
    with pytest.raises(DatasetError, match="Outcomes-a.txt"):
        load_physionet2012(root)

    root = _small_root(tmp_path / "x")
    _write_outcomes(root, "a", {132539: 0, 132540: 1})  # 132541 has no outcome
    with pytest.raises(DatasetError, match="132541.*no outcome"):
        load_physionet2012(root)

    root = tmp_path / "empty"
    (root / "set-a").mkdir(parents=True)
    _write_outcomes(root, "a", {})
    with pytest.raises(DatasetError, match="no patients"):
        load_physionet2012(root, test_fraction=0.2)

    root = _balanced_root(tmp_path / "y")  # set-a only, no test_fraction
    with pytest.raises(DatasetError, match="set-b.*test_fraction"):
        load_physionet2012(root)
    with pytest.raises(DatasetError, match="test_fraction"):
        load_physionet2012(root, test_fraction=1.5)

    root = _small_root(tmp_path / "z")
    _write_outcomes(root, "a", {132539: 0, 132540: 0, 132541: 0})
    with pytest.raises(DatasetError, match="one outcome"):
        load_physionet2012(root)


def test_load_dataset_and_cli_dispatch_to_a_challenge_folder(tmp_path, capsys):
    from gdpd.cli import main
    from gdpd.data import load_dataset

    root = _balanced_root(tmp_path, n_pos=10, n_neg=10)
    dataset = load_dataset(root)
    assert dataset.name == "PhysioNet2012" and dataset.X_train.shape[1:] == (37, 48)
    assert len(dataset.y_test) == 4  # no set B: a stratified 20 % of set A is held out
    code = main(["run", "--dataset", str(root), "--earliness", "0.5", "--method", "kd", "--preset", "smoke",
                 "--results", str(tmp_path / "results"), "--json"])
    assert code == 0
    assert "auc_prc" in capsys.readouterr().out


def test_the_name_loads_from_the_data_folder_or_says_where_to_put_the_files(tmp_path, monkeypatch):
    from gdpd import data
    from gdpd.cli import main

    monkeypatch.setattr(data, "PHYSIONET_DIR", tmp_path / "absent")
    with pytest.raises(DatasetError, match="physionet.org/content/challenge-2012"):
        data.load_dataset("PhysioNet2012")
    assert main(["run", "--dataset", "PhysioNet2012", "--earliness", "0.5", "--method", "base", "--preset", "smoke",
                 "--results", str(tmp_path / "results")]) == 2
    assert not (tmp_path / "results").exists()  # nothing written on bad input
    monkeypatch.setattr(data, "PHYSIONET_DIR", _balanced_root(tmp_path, n_pos=10, n_neg=10))
    assert data.load_dataset("PhysioNet2012").X_train.shape[1:] == (37, 48)


def test_the_synthetic_set_is_in_the_challenge_format_and_loads_through_the_pipeline(tmp_path):
    root = write_synthetic(tmp_path / "synthetic", n_stays=20, died_share=0.3, seed=0)
    assert is_physionet2012_folder(root)
    labels = read_outcomes(root / "Outcomes-a.txt")
    assert len(labels) == 20 == len(list((root / "set-a").glob("*.txt")))
    record = read_record(root / "set-a" / f"{min(labels)}.txt")
    assert set(record.attrs["descriptors"]) >= {"RecordID", "Age", "Gender", "ICUType", "Weight"}
    assert set(record["Parameter"]) <= set(PHYSIONET_VARIABLES)
    data = load_physionet2012(root, test_fraction=0.25, seed=0)
    assert data.X_train.shape[1:] == (len(PHYSIONET_VARIABLES), 48) and len(data.y_train) + len(data.y_test) == 20
    assert write_synthetic(tmp_path / "again", n_stays=20, seed=0).joinpath("Outcomes-a.txt").read_text() == (
        root / "Outcomes-a.txt").read_text()
