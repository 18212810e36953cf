"""The grid: in-process and Dask LocalCluster give the same records; a killed grid resumes without loss."""

import os
import signal
import subprocess
import sys
import time

import pytest

from gdpd.grid import distinct_teachers, missing_teachers, run_grid
from gdpd.presets import get_preset
from gdpd.store import ResultStore

SMOKE = get_preset("smoke")
CELLS = [SMOKE.config("UnitTest", e, m, 1) for e in (0.5, 1.0) for m in ("base", "gdpd")]


def _metrics(store):
    return {r["key"]: r["metrics"] for r in store.records()}


@pytest.mark.slow
def test_in_process_grid_then_resume(tmp_path):
    store = ResultStore(tmp_path)
    first = run_grid(CELLS, store, progress=False, threads=1)
    assert (first.total, first.stored, first.computed) == (4, 0, 4)
    again = run_grid(CELLS, store, progress=False, threads=1)
    assert (again.stored, again.computed) == (4, 0)
    assert len(distinct_teachers(CELLS)) == 1


@pytest.mark.slow
def test_local_cluster_matches_in_process(tmp_path):
    local, dask = ResultStore(tmp_path / "local"), ResultStore(tmp_path / "dask")
    run_grid(CELLS, local, progress=False, threads=1)
    report = run_grid(CELLS, dask, workers=2, progress=False)
    assert report.computed == 4
    assert _metrics(dask) == _metrics(local)


@pytest.mark.slow
def test_corrupt_record_is_recomputed(tmp_path):
    store = ResultStore(tmp_path)
    run_grid(CELLS[:1], store, progress=False, threads=1)
    path = store.run_path(CELLS[0].dataset, CELLS[0].key())
    good = path.read_text()
    path.write_text(good[: len(good) // 2])
    report = run_grid(CELLS[:1], store, progress=False, threads=1)
    assert report.computed == 1
    assert store.get(CELLS[0].dataset, CELLS[0].key()) is not None


def _grid_command(root):
    return [sys.executable, "-m", "gdpd.cli", "grid", "--preset", "smoke", "--datasets", "UnitTest",
            "--results", str(root), "--threads", "1"]


@pytest.mark.slow
def test_kill_minus_nine_then_rerun_loses_and_duplicates_nothing(tmp_path):
    root = tmp_path / "store"
    # The whole smoke grid (both datasets): the GunPoint cells keep it busy long after its first record.
    command = [arg for arg in _grid_command(root) if arg not in ("--datasets", "UnitTest")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not list(root.glob("runs/*/*.json")):
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stored_before = {p.name for p in root.glob("runs/*/*.json")}
    cells = SMOKE.grid()
    assert 1 <= len(stored_before) < len(cells), "kill the grid while it is part-way"
    subprocess.run(command, check=True, capture_output=True)
    store = ResultStore(root)
    keys = [r["key"] for r in store.records()]
    assert sorted(keys) == sorted(c.key() for c in cells)
    assert len(list(root.glob("runs/*/*.json"))) == len(cells)  # a temporary left by the kill is never read
    assert stored_before <= {f"{k}.json" for k in keys}


@pytest.mark.parametrize("bad", [["--seeds", "99"], ["--methods", "nope"]])
def test_grid_filters_that_match_nothing_are_an_error(tmp_path, bad, capsys):
    from gdpd.cli import main

    assert main(["grid", "--preset", "smoke", "--results", str(tmp_path), *bad]) == 2
    assert "no cell" in capsys.readouterr().err


@pytest.mark.slow
def test_two_grids_on_one_store_at_once_corrupt_nothing(tmp_path):
    root = tmp_path / "shared"
    processes = [subprocess.Popen(_grid_command(root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(2)]
    for process in processes:
        assert process.wait(timeout=600) == 0, process.stderr.read().decode()
    store = ResultStore(root)
    cells = [c for c in SMOKE.grid() if c.dataset == "UnitTest"]
    assert sorted(r["key"] for r in store.records()) == sorted(c.key() for c in cells)
    assert len(list(root.glob("runs/*/*.json"))) == len(cells)
    assert not list(root.rglob("*.tmp"))
    assert len(list((root / "teachers").glob("*.pt"))) == 1


@pytest.mark.slow
def test_dask_runs_teachers_first_then_cells_in_grid_order(tmp_path):
    store = ResultStore(tmp_path)
    configs = [SMOKE.config(dataset, 0.5, "base", seed) for seed in (1, 2) for dataset in ("UnitTest", "GunPoint")]
    run_grid(configs, store, workers=1, progress=False)
    written = sorted(store.root.glob("runs/*/*.json"), key=lambda path: path.stat().st_mtime_ns)
    assert [path.stem for path in written] == [config.key() for config in configs]
    first_record = min(path.stat().st_mtime_ns for path in written)
    assert all(path.stat().st_mtime_ns < first_record for path in store.root.glob("teachers/*.pt"))


@pytest.mark.slow
def test_teachers_only_trains_each_missing_teacher_once_and_no_student(tmp_path):
    store = ResultStore(tmp_path)
    cells = [*CELLS, SMOKE.config("GunPoint", 0.4, "base", 1)]
    first = run_grid(cells, store, progress=False, threads=1, teachers_only=True)
    assert (first.total, first.stored, first.computed) == (2, 0, 2)
    assert list(store.records()) == []
    assert missing_teachers(store, cells) == []
    again = run_grid(cells, store, progress=False, threads=1, teachers_only=True)
    assert (again.stored, again.computed) == (2, 0)
