"""The results chapters' tables equal plain aggregations of the store (checked by hand with pandas/numpy)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from gdpd import report, results
from gdpd.presets import get_preset
from gdpd.store import ResultStore

METHODS = ("base", "kd", "fitnets", "gdpd")


@pytest.fixture
def preset():
    """The smoke preset widened to two earliness levels and two seeds: 2 x 2 x 4 x 2 = 32 cells."""
    return replace(get_preset("smoke"), earliness=(0.4, 0.8), seeds=(1, 24))


def fake_record(preset, dataset, earliness, method, seed, rng):
    config = preset.config(dataset, earliness, method, seed)
    teacher = {"GunPoint": (0.9, 0.85), "UnitTest": (0.6, 0.55)}[dataset]
    metrics = {name: float(rng.uniform(0.3, 1.0)) for name in
               ("auc_prc", "accuracy", "roc_auc", "fidelity", "val_auc_prc", "val_accuracy", "val_roc_auc",
                "val_fidelity")}
    metrics.update(kl=float(rng.uniform(0, 2)), val_kl=float(rng.uniform(0, 2)),
                   teacher_auc_prc=teacher[0], teacher_accuracy=teacher[1], teacher_roc_auc=0.9)
    return {
        "key": config.key(),
        "config": config.to_dict(),
        "metrics": metrics,
        "training": {"seconds_per_epoch": float(rng.uniform(0.1, 0.5)), "train_seconds": 3.0, "epochs_run": 6,
                     "best_epoch": 4},
        "provenance": {"device": "cpu:x86_64"},
        "history": [{"epoch": 0, "val_loss": 1.0}],
    }


def fill(store, preset, cells, seed=0):
    rng = np.random.default_rng(seed)
    for cell in cells:
        store.put(fake_record(preset, *cell, rng))


def all_cells(preset, seeds):
    return [(d, e, m, s) for s in seeds for d in preset.datasets for e in preset.earliness for m in preset.methods]


def hand_frame(store):
    """The store flattened by hand, without gdpd.results."""
    rows = []
    for r in store.records():
        c = r["config"]
        rows.append({"dataset": c["dataset"], "earliness": c["earliness"], "method": c["method"], "seed": c["seed"],
                     **r["metrics"], "seconds_per_epoch": r["training"]["seconds_per_epoch"]})
    return pd.DataFrame(rows)


def test_empty_store_selects_nothing(tmp_path, preset):
    selection = results.select_analysis(ResultStore(tmp_path), preset)
    assert selection.empty and selection.rule == "none" and selection.n_stored == 0
    assert selection.n_grid == 32
    assert report.coverage(selection)["stored"].sum() == 0
    assert report.table1(selection.frame if not selection.empty else pd.DataFrame(
        columns=["dataset", "earliness", "method", "seed", "auc_prc"])).empty


def test_complete_seeds_rule_and_table1_equal_hand_means(tmp_path, preset):
    store = ResultStore(tmp_path)
    partial = [c for c in all_cells(preset, (24,)) if not (c[0] == "UnitTest" and c[2] == "gdpd")]
    fill(store, preset, all_cells(preset, (1,)) + partial)
    selection = results.select_analysis(store, preset)
    assert selection.rule == "complete seeds" and selection.complete_seeds == (1,)
    assert set(selection.frame["seed"]) == {1} and len(selection.frame) == 16

    cov = report.coverage(selection)
    assert cov.loc[1, "complete"] and not cov.loc[24, "complete"]
    assert cov.loc[24, "stored"] == 14 and cov.loc[24, "analysed"] == 0

    raw = hand_frame(store)
    raw = raw[raw["seed"] == 1]
    ours = report.table1(selection.frame, "auc_prc").set_index(["earliness", "method"])
    for (earliness, method), row in ours.iterrows():
        values = raw[(raw["earliness"] == earliness) & (raw["method"] == method)]["auc_prc"]
        assert row["mean"] == pytest.approx(values.mean() * 100)
        assert row["n_datasets"] == 2
    for earliness in preset.earliness:
        wide = raw[raw["earliness"] == earliness].pivot(index="dataset", columns="method", values="auc_prc")
        ranks = wide.rank(axis=1, ascending=False).mean()
        best = wide.eq(wide.max(axis=1), axis=0).sum()
        for method in METHODS:
            assert ours.loc[(earliness, method), "average_rank"] == pytest.approx(ranks[method])
            assert ours.loc[(earliness, method), "top1"] == best[method]


def test_complete_blocks_rule_keeps_only_rows_with_every_method(tmp_path, preset):
    store = ResultStore(tmp_path)
    cells = all_cells(preset, (1, 24))
    dropped = [("UnitTest", 0.8, "kd", 1), ("GunPoint", 0.4, "base", 24)]
    fill(store, preset, [c for c in cells if c not in dropped])
    selection = results.select_analysis(store, preset)
    assert selection.rule == "complete blocks" and selection.complete_seeds == ()
    blocks = set(map(tuple, selection.frame[["dataset", "earliness", "seed"]].drop_duplicates().to_numpy()))
    assert ("UnitTest", 0.8, 1) not in blocks and ("GunPoint", 0.4, 24) not in blocks
    assert len(blocks) == 6 and len(selection.frame) == 24
    assert selection.n_complete_blocks == 6
    counts = report.complete_blocks(selection)
    assert counts.loc["UnitTest", 0.8] == 1 and counts.loc["GunPoint", 0.8] == 2

    raw = hand_frame(store)
    keep = raw.set_index(["dataset", "earliness", "seed"]).index.isin(list(blocks))
    raw = raw[keep]

    # per-dataset table: seed mean and std (ddof 1) of each method
    spread = report.per_dataset_spread(selection.frame, "auc_prc", 0.8)
    for dataset in ("GunPoint", "UnitTest"):
        for method, label in zip(METHODS, ("Base", "Base-KD", "FitNets", "GDPD")):
            values = raw[(raw["dataset"] == dataset) & (raw["earliness"] == 0.8) & (raw["method"] == method)]
            assert spread.loc[dataset, (label, "mean")] == pytest.approx(values["auc_prc"].mean() * 100)
            if len(values) > 1:
                assert spread.loc[dataset, (label, "std")] == pytest.approx(values["auc_prc"].std(ddof=1) * 100)
            else:
                assert np.isnan(spread.loc[dataset, (label, "std")])
    assert spread.loc["UnitTest", ("n_seeds", "")] == 1
    text = report.format_mean_std(spread)
    assert text.loc["UnitTest", "GDPD"].endswith("± –")

    # curves: mean over datasets of seed means; seed spread: mean over datasets of the per-dataset seed std
    fid = report.curve(selection.frame, "fidelity").set_index(["earliness", "method"])
    for (earliness, method), row in fid.iterrows():
        cells = raw[(raw["earliness"] == earliness) & (raw["method"] == method)].groupby("dataset")["fidelity"]
        assert row["mean"] == pytest.approx(cells.mean().mean() * 100)
        assert row["seed_std"] == pytest.approx((cells.std(ddof=1) * 100).mean())
        assert row["n_datasets"] == 2
    teacher = report.teacher_curve(selection.frame, "accuracy").set_index("earliness")["teacher"]
    assert teacher.loc[0.4] == pytest.approx(100 * (0.85 + 0.55) / 2)

    # wins: per-dataset comparison of seed means
    table = report.wins(selection.frame, "fidelity").set_index(["earliness", "rival"])
    seed_means = raw.groupby(["dataset", "earliness", "method"])["fidelity"].mean().unstack("method")
    for earliness in preset.earliness:
        rows = seed_means.xs(earliness, level="earliness")
        diff = rows["gdpd"] - rows["kd"]
        assert table.loc[(earliness, "Base-KD"), "above"] == (diff > 0).sum()
        assert table.loc[(earliness, "Base-KD"), "mean_difference"] == pytest.approx(diff.mean() * 100)


def test_side_by_side_with_the_paper(tmp_path, preset):
    store = ResultStore(tmp_path)
    fill(store, preset, all_cells(preset, (1,)))
    selection = results.select_analysis(store, preset)
    paper = pd.DataFrame({"earliness": [0.4, 0.4, 0.4, 0.4, 0.6], "method": list(METHODS) + ["gdpd"],
                          "mean": [1.0, 2.0, 3.0, 4.0, 5.0], "average_rank": [np.nan, np.nan, np.nan, 1.5, 1.0],
                          "top1": [np.nan, np.nan, np.nan, 3, 2]})
    ours = report.table1(selection.frame)
    table = report.side_by_side(ours, paper)
    assert list(table.index) == [(e, m) for e in (0.4, 0.8) for m in ("Base", "Base-KD", "FitNets", "GDPD")]
    assert table.loc[(0.4, "GDPD"), ("mean", "paper")] == 4.0
    assert table.loc[(0.4, "GDPD"), ("top1", "paper")] == 3
    assert np.isnan(table.loc[(0.8, "GDPD"), ("mean", "paper")])
    assert np.isnan(table.loc[(0.4, "Base"), ("average_rank", "paper")])
    assert pd.isna(table.loc[(0.4, "Base"), ("top1", "paper")])
    mine = ours.set_index(["earliness", "method"])
    assert table.loc[(0.4, "Base"), ("mean", "ours")] == pytest.approx(mine.loc[(0.4, "base"), "mean"])
    assert table.loc[(0.8, "FitNets"), ("top1", "ours")] == mine.loc[(0.8, "fitnets"), "top1"]
    assert table.loc[(0.8, "FitNets"), ("n_datasets", "ours")] == 2


def test_teacher_and_cost_tables(tmp_path, preset):
    store = ResultStore(tmp_path)
    fill(store, preset, all_cells(preset, (1,)))
    frame = results.select_analysis(store, preset).frame
    teachers = report.teacher_table(frame, {"GunPoint": 2, "UnitTest": 2})
    assert teachers.loc["UnitTest", "teacher_auc_prc"] == pytest.approx(60.0)
    assert teachers.loc["GunPoint", "chance_auc_prc"] == pytest.approx(50.0)
    cost = report.cost_table(frame)
    raw = hand_frame(store)
    assert cost.loc["GDPD", "median_s_per_epoch"] == pytest.approx(
        raw[raw["method"] == "gdpd"]["seconds_per_epoch"].median())
    assert cost.loc["Base", "vs_base"] == pytest.approx(1.0)
    assert report.device_note(frame) == f"{len(frame)} runs on {frame['device'].iloc[0]}"


def test_paper_numbers_are_the_transcribed_table():
    paper = report.read_paper()
    assert len(paper) == 16 and set(paper["method"]) == set(METHODS)
    assert sorted(paper["earliness"].unique()) == [0.2, 0.4, 0.6, 0.8]
    assert paper["average_rank"].notna().sum() == 4


def test_weights_chosen_on_validation_or_on_test(tmp_path, preset):
    """Selecting lambda on the test split can only raise the test means: that gap is what the released script adds."""
    weighted = replace(preset, weights=(0.1, 1.0), seeds=(1,))
    store = ResultStore(tmp_path)
    rng = np.random.default_rng(3)
    for dataset, earliness, method, seed in all_cells(weighted, (1,)):
        for weight in weighted.weights if method != "base" else (None,):
            config = weighted.config(dataset, earliness, method, seed, **({} if weight is None else {"weight": weight}))
            record = fake_record(weighted, dataset, earliness, method, seed, rng)
            store.put({**record, "key": config.key(), "config": config.to_dict()})
    on_val = results.select_analysis(store, weighted).frame
    on_test = results.select_analysis(store, weighted, select_by="auc_prc").frame
    assert len(on_val) == len(on_test) == 16
    hand = hand_frame(store).assign(weight=[r["config"].get("method_config", {}).get("weight", 1.0)
                                            for r in store.records()])
    best_test = hand.groupby(["dataset", "earliness", "method"])["auc_prc"].max()
    chosen = on_test.set_index(["dataset", "earliness", "method"])["auc_prc"].sort_index()
    assert chosen.to_numpy() == pytest.approx(best_test.sort_index().to_numpy())
    val_best = hand.loc[hand.groupby(["dataset", "earliness", "method"])["val_auc_prc"].idxmax()]
    assert on_val.set_index(["dataset", "earliness", "method"])["auc_prc"].sort_index().to_numpy() == pytest.approx(
        val_best.set_index(["dataset", "earliness", "method"])["auc_prc"].sort_index().to_numpy())
    assert (chosen.to_numpy() >= on_val.set_index(["dataset", "earliness", "method"])["auc_prc"].sort_index()
            .to_numpy()).all()


def test_history_frame_reads_each_runs_epochs(tmp_path, preset):
    store = ResultStore(tmp_path)
    fill(store, preset, all_cells(preset, (1,)))
    frame = results.select_analysis(store, preset).frame
    history = report.history_frame(store, frame, "val_loss")
    assert len(history) == len(frame)  # one epoch per fake record
    assert (history["val_loss"] == 1.0).all() and set(history["key"]) == set(frame["key"])
    assert report.history_frame(store, frame, "alpha").empty


def test_coverage_note_names_the_counts_and_the_rule(tmp_path, preset):
    store = ResultStore(tmp_path)
    empty = report.coverage_note(results.select_analysis(store, preset), preset)
    assert "**0 of the 32 cells**" in empty and "gdpd grid --preset smoke" in empty
    fill(store, preset, all_cells(preset, (1,)))
    note = report.coverage_note(results.select_analysis(store, preset), preset)
    assert "**16 of the 32 cells**" in note and "*complete seeds*" in note and "4 complete" in note
    assert "16 runs on cpu:" in note


def test_teacher_table_sets_each_teacher_beside_the_students_it_teaches():
    """Golden values: a dataset with two teachers (two teacher architectures) gets a row per teacher, named after the
    settings it teaches (or its own name, where those are teacher -> student pairs of one teacher); each row's
    students are those of its own teacher."""
    frame = pd.DataFrame({
        "dataset": ["A", "A", "A", "A", "B", "B"],
        "variant": ["lstm -> lstm", "lstm -> cnn", "cnn", "cnn", "x", "x"],
        "teacher_key": ["t1", "t1", "t2", "t2", "t3", "t3"],
        "teacher_val_accuracy": [1.0, 1.0, 0.5, 0.5, 0.8, 0.8],
        "teacher_auc_prc": [0.9, 0.9, 0.5, 0.5, 0.7, 0.7],
        "teacher_accuracy": [0.8, 0.8, 0.4, 0.4, 0.6, 0.6],
        "auc_prc": [0.8, 0.6, 0.6, 0.8, 0.75, 0.85],
        "accuracy": [0.5, 0.5, 0.5, 0.5, 0.5, 0.7],
    })
    table = report.teacher_table(frame, {"A": 4, "B": 2}, metric="auc_prc")
    assert list(table.index) == ["A (cnn)", "A (lstm teacher)", "B"]
    assert table["teacher_val_accuracy"].tolist() == pytest.approx([50, 100, 80])
    assert table["students_auc_prc"].tolist() == pytest.approx([70, 70, 80])
    assert table["weak"].tolist() == [True, False, True]
    assert table["chance_auc_prc"].tolist() == pytest.approx([25, 25, 50])
    # a score the records hold no teacher value of (fidelity) compares on accuracy
    on_fidelity = report.teacher_table(frame.assign(fidelity=0.9), metric="fidelity")
    assert "students_fidelity" not in on_fidelity
    assert on_fidelity["weak"].tolist() == [True, False, False]  # a teacher equal to its students is not weak
    # without the teacher's key, a teacher is told apart by its scores: the same rows
    keyless = report.teacher_table(frame.drop(columns="teacher_key"), metric="auc_prc")
    assert sorted(keyless.index) == sorted(table.index)
    assert report.teacher_table(frame.iloc[:0]).empty


def test_teacher_table_sets_the_base_student_at_one_earliness_beside_the_teacher():
    """Golden values: ``base_<score>`` is the seed mean of the Base runs at the asked earliness alone (neither another
    method nor another earliness), missing for a teacher without such a run."""
    frame = pd.DataFrame({
        "dataset": ["A", "A", "A", "A", "B"],
        "method": ["base", "base", "base", "kd", "kd"],
        "earliness": [0.8, 0.8, 0.2, 0.8, 0.8],
        "teacher_key": ["t1", "t1", "t1", "t1", "t2"],
        "teacher_val_accuracy": [1.0] * 5, "teacher_auc_prc": [0.9] * 5, "teacher_accuracy": [0.8] * 5,
        "auc_prc": [0.6, 0.7, 0.1, 0.95, 0.5],
    })
    table = report.teacher_table(frame, metric="auc_prc", base_earliness=0.8)
    assert table.loc["A", "base_auc_prc"] == pytest.approx(65)
    assert np.isnan(table.loc["B", "base_auc_prc"])
    assert "base_auc_prc" not in report.teacher_table(frame, metric="auc_prc")


def test_mark_released_marks_the_released_datasets_and_their_teachers_only():
    table = pd.DataFrame({"x": [1, 2, 3, 4]}, index=["GunPoint", "GunPoint (cnn)", "GunPointAgeSpan", "ACSF1"])
    marked = report.mark_released(table, ("GunPoint",))
    assert list(marked.index) == ["GunPoint †", "GunPoint (cnn) †", "GunPointAgeSpan", "ACSF1"]
    assert marked["x"].tolist() == [1, 2, 3, 4]


def test_select_cell_takes_every_seed_complete_on_that_cell(tmp_path, preset):
    """Seed 1 is complete; seed 24 holds only the GunPoint block at 0.4: Table 1 keeps seed 1, the cell both."""
    store = ResultStore(tmp_path)
    ahead = [("GunPoint", 0.4, m, 24) for m in METHODS]
    fill(store, preset, all_cells(preset, (1,)) + ahead + [("UnitTest", 0.4, "base", 24)])
    assert set(results.select_analysis(store, preset).frame["seed"]) == {1}
    cell = results.select_cell(store, preset, "GunPoint", 0.4)
    assert cell.rule == "complete seeds" and cell.complete_seeds == (1, 24)
    assert set(map(tuple, cell.frame[["dataset", "earliness"]].drop_duplicates().to_numpy())) == {("GunPoint", 0.4)}
    assert len(cell.frame) == 8
    assert results.select_cell(store, preset, "UnitTest", 0.4).complete_seeds == (1,)
    with pytest.raises(ValueError, match="has no cell .*name one of them"):
        results.select_cell(store, preset, "Coffee", 0.4)
