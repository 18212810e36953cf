"""gdpd.teachers rebuilds what the teacher rule saw from a teacher's stored information."""

from __future__ import annotations

import pytest

from gdpd.experiment import run
from gdpd.presets import get_preset
from gdpd.store import ResultStore
from gdpd.teachers import (accuracy_lower_bound, candidates, curves, teacher_info, teachers, teachers_against_base,
                           weak)

# Two seeds on six validation cases: seed 1 sits on the plateau (lowest loss at epoch 1), seed 2 fits.
INFO = {
    "seed": 2,
    "candidates": [
        {"seed": 1, "best_epoch": 3, "epochs_run": 4, "majority_rate": 0.5, "val_loss": 1.2,
         "val_metrics": {"accuracy": 2 / 3},
         "history": [{"val_loss": 0.70, "val_accuracy": 0.5, "ce": 0.69}, {"val_loss": 0.68, "val_accuracy": 0.5,
                     "ce": 0.69}, {"val_loss": 0.9, "val_accuracy": 0.5, "ce": 0.4},
                     {"val_loss": 1.2, "val_accuracy": 2 / 3, "ce": 0.2}]},
        {"seed": 2, "best_epoch": 2, "epochs_run": 3, "majority_rate": 0.5, "val_loss": 0.3,
         "val_metrics": {"accuracy": 1.0},
         "history": [{"val_loss": 0.7, "val_accuracy": 0.5, "ce": 0.69}, {"val_loss": 0.5, "val_accuracy": 5 / 6,
                     "ce": 0.5}, {"val_loss": 0.3, "val_accuracy": 1.0, "ce": 0.1}]},
    ],
}


def test_candidates_show_the_plateau_pick_beside_the_kept_epoch():
    table = candidates(INFO)
    assert table.loc[1, "lowest_loss_epoch"] == 1 and table.loc[1, "val_accuracy_there"] == 0.5
    assert table.loc[1, "kept_epoch"] == 3
    assert table["chosen"].tolist() == [False, True]
    assert table.loc[2, "lowest_loss_epoch"] == 2


def test_curves_have_one_row_per_seed_and_epoch():
    frame = curves(INFO)
    assert len(frame) == 7 and frame.groupby("seed")["epoch"].max().tolist() == [3, 2]


def test_accuracy_lower_bound_golden_values():
    # all n right: (1 - c)^(1/n); scipy's exact two-sided 90 % interval has the same lower end
    assert accuracy_lower_bound(8, 8) == pytest.approx(0.05 ** (1 / 8)) == pytest.approx(0.6876560219)
    assert accuracy_lower_bound(13, 20) == pytest.approx(0.4419654887)
    assert accuracy_lower_bound(6, 6, confidence=0.5) == pytest.approx(0.5 ** (1 / 6))
    assert accuracy_lower_bound(0, 10) == 0.0


def test_accuracy_lower_bound_grows_with_evidence():
    bounds = [accuracy_lower_bound(k, 20) for k in range(21)]
    assert bounds == sorted(bounds) and all(bound < k / 20 for k, bound in enumerate(bounds) if k)
    # the same share on more cases supports a higher bound
    assert accuracy_lower_bound(4, 4) < accuracy_lower_bound(8, 8) < accuracy_lower_bound(40, 40)
    assert accuracy_lower_bound(10, 10, confidence=0.99) < accuracy_lower_bound(10, 10, confidence=0.9)


@pytest.mark.parametrize("correct, n, confidence", [(9, 8, 0.95), (-1, 8, 0.95), (0, 0, 0.95), (4, 8, 1.0)])
def test_accuracy_lower_bound_rejects_impossible_counts(correct, n, confidence):
    with pytest.raises(ValueError, match="correct <= n|confidence must be"):
        accuracy_lower_bound(correct, n, confidence)


@pytest.mark.slow
def test_teachers_table_reads_the_stored_teacher(tmp_path):
    smoke, store = get_preset("smoke"), ResultStore(tmp_path)
    assert teacher_info(smoke, "UnitTest", store) is None
    record = run(smoke.config("UnitTest", 0.4, "base", 1), store)
    table = teachers(smoke, ["UnitTest", "GunPoint"], store)
    assert table.index.tolist() == ["UnitTest"]
    assert table.loc["UnitTest", "test_auc_prc"] == pytest.approx(100 * record["metrics"]["teacher_auc_prc"])
    assert table.loc["UnitTest", "val_accuracy"] == pytest.approx(100 * record["metrics"]["teacher_val_accuracy"])
    # UnitTest's 20 training cases leave ceil(0.2 * 20) = 4 for validation
    n_val = table.loc["UnitTest", "n_val"]
    assert n_val == 4
    correct = round(table.loc["UnitTest", "val_accuracy"] * n_val / 100)
    assert table.loc["UnitTest", "val_accuracy_low"] == pytest.approx(100 * accuracy_lower_bound(correct, n_val))
    assert len(candidates(teacher_info(smoke, "UnitTest", store))) == len(smoke.teacher.seeds)


@pytest.mark.slow
def test_teachers_against_base_flags_a_teacher_below_its_base_student(tmp_path):
    smoke, store = get_preset("smoke"), ResultStore(tmp_path)
    record = run(smoke.config("UnitTest", 0.4, "base", 1), store)
    table = teachers_against_base(smoke, ["UnitTest", "GunPoint"], store, smoke, earliness=0.4)
    row = table.loc["UnitTest"]
    assert row["base_test_auc_prc"] == pytest.approx(100 * record["metrics"]["auc_prc"])
    assert row["teacher_minus_base"] == pytest.approx(row["teacher_test_auc_prc"] - row["base_test_auc_prc"])
    assert row["below_base"] == (row["teacher_minus_base"] < 0)
    # a Base student stored with a much better score than the teacher's makes it "below"
    better = {**record, "metrics": {**record["metrics"], "auc_prc": row["teacher_test_auc_prc"] / 100 + 0.05}}
    store.put(better)
    assert teachers_against_base(smoke, ["UnitTest"], store, smoke, earliness=0.4).loc["UnitTest", "below_base"]


def test_a_teacher_is_weak_exactly_where_it_scores_below_its_students():
    assert weak(70.0, 70.5) and not weak(70.5, 70.0) and not weak(70.0, 70.0)
