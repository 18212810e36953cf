"""The results branches of the variant chapters run on a store that holds their whole grid.

nbval re-executes every chapter against the committed store, where some grids are still empty; these tests fill a
temporary store with synthetic records of a chapter's full grid and execute the chapter with papermill, so the tables,
plots and paired tests are exercised before the real runs exist. The ablation chapters are produced from one template
(``notebooks/templates``); a test checks that the committed ones are what it produces.
"""

import importlib.util
import json
import os
import re
from pathlib import Path

import numpy as np
import papermill
import pytest

from gdpd.config import RunConfig, config_key
from gdpd.presets import get_preset
from gdpd.store import ResultStore

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_spec = importlib.util.spec_from_file_location("variant_chapters", NOTEBOOKS / "templates" / "variant_chapters.py")
variant_chapters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(variant_chapters)


TEACHER_METRICS = ("teacher_auc_prc", "teacher_accuracy", "teacher_roc_auc", "teacher_val_auc_prc",
                   "teacher_val_accuracy")


def synthetic_history(config: RunConfig, rng: np.random.Generator) -> list[dict[str, float]]:
    """Every tenth epoch of a 120-epoch run with the validation loss and GDPD's alpha; a GDPD run also logs its
    hint and validation accuracy, and its prior's loss at the first and the last warm-up epoch."""
    warmup = config.train.warmup_epochs
    epochs = sorted(set(range(0, 120, 10)) | ({warmup - 1} if warmup else set()))
    history = [{"epoch": float(e), "val_loss": 1.0, "alpha": float(rng.uniform(0.2, 0.8))} for e in epochs]
    if config.method == "gdpd":
        for entry in history:
            entry.update(hint_accuracy=float(rng.uniform(0.3, 1.0)), val_accuracy=float(rng.uniform(0.3, 1.0)))
            if entry["epoch"] < warmup:
                entry["diffusion"] = float(rng.uniform(0.5, 2.0))
    return history


def synthetic_store(root: Path, preset_name: str) -> ResultStore:
    """Every cell of the preset's grid with random metrics (the same teacher scores wherever the teacher is the
    same), a per-epoch history (with GDPD's alpha) and timing."""
    store = ResultStore(root)
    rng = np.random.default_rng(0)
    teachers: dict[str, dict[str, float]] = {}
    for _, config in get_preset(preset_name).labelled_grid():
        teacher_key = config.teacher_run.key()
        teacher = teachers.setdefault(teacher_key, {name: float(rng.uniform(0.5, 1.0)) for name in TEACHER_METRICS})
        metrics = {name: float(rng.uniform(0.3, 1.0)) for name in (
            "auc_prc", "accuracy", "roc_auc", "fidelity", "val_auc_prc", "val_accuracy", "val_roc_auc",
            "val_fidelity")}
        metrics.update(kl=float(rng.uniform(0, 2)), val_kl=float(rng.uniform(0, 2)), **teacher)
        store.put({
            "key": config.key(), "config": config.to_dict(), "metrics": metrics,
            "training": {"seconds_per_epoch": float(rng.uniform(0.1, 0.5)), "train_seconds": 30.0,
                         "epochs_run": 120, "best_epoch": 90, "teacher_competent": True,
                         "teacher_key": teacher_key},
            "provenance": {"device": "cpu:x86_64"},
            "history": synthetic_history(config, rng),
        })
    return store


def checked_output(path: Path) -> str:
    """The text printed by the notebook's check cell: the one the book removes (tag ``remove-cell``)."""
    cells = json.loads(path.read_text())["cells"]
    cell = next(c for c in cells if "remove-cell" in c["metadata"].get("tags", []))
    return "".join("".join(o.get("text", "")) for o in cell["outputs"])


def markdown_outputs(path: Path) -> list[str]:
    """Every Markdown output of the executed notebook, in order."""
    cells = json.loads(path.read_text())["cells"]
    return ["".join(o["data"]["text/markdown"]) for c in cells for o in c.get("outputs", [])
            if "text/markdown" in o.get("data", {})]


def teacher_rows(path: Path) -> int:
    """The number of teachers in the table of the chapter's teacher section (its HTML output's body rows)."""
    cells = json.loads(path.read_text())["cells"]
    cell = next(c for c in cells if "report.teacher_table(" in "".join(c["source"]))
    html = "".join("".join(o["data"]["text/html"]) for o in cell["outputs"] if "text/html" in o.get("data", {}))
    return html.split("<tbody>")[1].count("<tr>")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "preset"),
    [
        ("06_kd_zoo", "zoo"),
        ("07_multivariate", "uea"),
        ("08_architectures", "architectures"),
        *((chapter.file, chapter.preset) for chapter in variant_chapters.CHAPTERS),
        ("17_ablation_lambda", "ablation-lambda"),
    ],
)
def test_chapter_renders_a_complete_grid(tmp_path, monkeypatch, notebook, preset):
    synthetic_store(tmp_path / "results", preset)
    if preset == "ablation-protocol":  # the chapter's second grid: the schedules where an epoch has several batches
        synthetic_store(tmp_path / "results", "ablation-schedule")
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path / "results"))
    out = tmp_path / f"{notebook}.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{notebook}.ipynb"), str(out), kernel_name="python3",
                               parameters={"preset": preset}, cwd=str(NOTEBOOKS), progress_bar=False,
                               log_output=False)
    printed = checked_output(out)
    assert "rule: complete seeds" in printed
    assert "no complete results yet" not in printed
    config = get_preset(preset)
    n_teachers = len({c.teacher_run.key() for _, c in config.labelled_grid()})
    assert teacher_rows(out) == n_teachers
    assert os.environ["GDPD_RESULTS"] == str(tmp_path / "results")
    if preset == "ablation-protocol":
        schedule = get_preset("ablation-schedule")
        blocks = len(schedule.datasets) * len(schedule.earliness) * len(schedule.seeds)
        assert f"preset ablation-schedule: {blocks} complete blocks" in printed and "per-epoch lr" in printed


@pytest.mark.slow
def test_main_results_chapter_table_equals_the_aggregation_of_the_store(tmp_path, monkeypatch):
    import pandas as pd

    store = synthetic_store(tmp_path / "results", "paper")
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "04_main_results.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / "04_main_results.ipynb"), str(out), kernel_name="python3",
                               parameters={"preset": "paper"}, cwd=str(NOTEBOOKS), progress_bar=False,
                               log_output=False)
    printed = checked_output(out)
    assert "rule: complete seeds" in printed and "analysed runs: 480" in printed
    # The same table by hand: seed means per cell, then per earliness and method the mean over datasets.
    rows = pd.DataFrame([{**r["config"], **r["metrics"]} for r in store.records()])
    means = rows.groupby(["earliness", "method", "dataset"])["auc_prc"].mean().mul(100)
    expected = means.groupby(["earliness", "method"]).mean().round(2)
    labels = {"base": "Base", "kd": "Base-KD", "fitnets": "FitNets", "gdpd": "GDPD"}
    printed_rows = {tuple(line.split()[:2]): line.split() for line in printed.splitlines()}
    for (earliness, method), value in expected.items():
        row = printed_rows[(f"{earliness:g}", labels[method])]  # earliness, method, n_datasets, mean, rank, top1
        assert float(row[3]) == value, (earliness, method, row)
    # The check without the datasets of weak teachers: below the mean of the students they teach.
    students = rows.groupby("dataset")["auc_prc"].mean().mul(100)
    teacher = rows.groupby("dataset")["teacher_auc_prc"].first().mul(100)
    flagged = sorted(teacher.index[teacher < students])
    check = [line for line in markdown_outputs(out) if line.startswith("**Without the datasets")]
    if flagged:
        kept = rows[~rows["dataset"].isin(flagged)]
        assert len(check) == 1 and f"({', '.join(flagged)}: a test-split criterion" in check[0]
        assert f"; {len(kept)} runs, {kept['dataset'].nunique()} datasets)" in check[0]
    else:
        assert check == []
    # The pooled effect GDPD - Base by hand: per (dataset, seed) the mean over earliness of the difference x100,
    # then the mean over seeds, then over datasets.
    wide = rows.pivot_table(index=["dataset", "seed", "earliness"], columns="method", values="auc_prc")
    pooled = (100 * (wide["gdpd"] - wide["base"])).groupby(["dataset", "seed"]).mean()
    effect = pooled.groupby("dataset").mean().mean()
    assert any(line.split()[:3] == ["gdpd", "base", f"{effect:.2f}"] for line in printed.splitlines())
    # The summary at the top counts the same verdicts as the claim-by-claim table at the end.
    counted = re.compile(r"can test \((\d+)\), (?:\*\*)?(\d+) holds?, (\d+) do(?:es)? not hold and (\d+) cannot "
                         r"be told")
    glance = [text for text in markdown_outputs(out) if text.startswith("**The verdict.**")]
    verdict = [text for text in markdown_outputs(out) if text.startswith("Of Table 1's statements")]
    assert len(glance) == len(verdict) == 1
    counts = counted.search(glance[0]).groups()
    assert counts == counted.search(verdict[0]).groups()
    table = verdict[0].split("**This book's checks**")[0]
    rows_by_verdict = [table.count(f"| **{v}** |") for v in ("holds", "does not hold", "cannot tell with these data")]
    assert rows_by_verdict == [int(c) for c in counts[1:]] and sum(rows_by_verdict) == int(counts[0])
    # The prior census counts the analysed GDPD runs whose last warm-up epoch logged a loss below one.
    warmup = get_preset("paper").student.warmup_epochs
    ends = [next(e["diffusion"] for e in r["history"] if e["epoch"] == warmup - 1)
            for r in store.records() if r["config"]["method"] == "gdpd"]
    census = [line for line in markdown_outputs(out) if "analysed GDPD runs the prior ends" in line]
    assert len(census) == 1 and f"In **{sum(end < 1 for end in ends)} of {len(ends)}** analysed" in census[0]


@pytest.mark.slow
def test_main_results_on_ten_datasets_mark_the_released_six_and_give_their_table_alone(tmp_path, monkeypatch):
    import pandas as pd

    from gdpd.presets import PAPER_DATASETS

    store = synthetic_store(tmp_path / "results", "paper-released-teacher")
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "04_main_results.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / "04_main_results.ipynb"), str(out), kernel_name="python3",
                               parameters={"preset": "paper-released-teacher"}, cwd=str(NOTEBOOKS),
                               progress_bar=False, log_output=False)
    assert "analysed runs: 800" in checked_output(out)
    cells = json.loads(out.read_text())["cells"]
    html = "".join("".join(o["data"]["text/html"]) for c in cells for o in c.get("outputs", [])
                   if "text/html" in o.get("data", {}))
    assert "Table 1 over 10 datasets" in html and "Table 1 over the released loader's datasets alone" in html
    assert all(f"{d} †" in html for d in PAPER_DATASETS) and "ACSF1 †" not in html and "ACSF1" in html
    six = [text for text in markdown_outputs(out) if text.startswith("**On the released loader's six datasets")]
    assert len(six) == 1 and "(480 runs)" in six[0]
    # The teacher table sets the Base student at e = 0.8 beside each teacher: its seed mean x100.
    rows = pd.DataFrame([{**r["config"], **r["metrics"]} for r in store.records()])
    base = rows[(rows["method"] == "base") & (rows["earliness"] == 0.8)].groupby("dataset")["auc_prc"].mean()
    assert "Base student's AUC-PRC" in html and f"{100 * base['ACSF1']:.2f}" in html


@pytest.mark.slow
def test_the_claims_ledger_page_counts_the_verdicts_of_its_table(tmp_path, monkeypatch):
    for preset in ("paper", "ablation-samples", "ablation-warmup"):
        synthetic_store(tmp_path / "results", preset)
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "00_claims_ledger.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / "00_claims_ledger.ipynb"), str(out), kernel_name="python3",
                               parameters={"zoo": "paper", "table1": "paper"}, cwd=str(NOTEBOOKS), progress_bar=False,
                               log_output=False)
    printed = checked_output(out).splitlines()
    verdicts = [line for line in printed[1:] if line.strip()]
    pages = markdown_outputs(out)
    headline = next(text for text in pages if text.startswith("**The verdict.**"))
    table = next(text for text in pages if text.startswith("**The paper's claims**"))
    assert sum(line.startswith("| ") and "{doc}" in line for line in table.splitlines()) == len(verdicts)
    paper = table.split("**This book's checks**")[0]
    counts = re.search(r"can test \((\d+)\), \*\*(\d+) holds?, (\d+) do(?:es)? not hold and (\d+) cannot",
                       headline).groups()
    rows = [paper.count(f"| **{v}** |") for v in ("holds", "does not hold", "cannot tell with these data")]
    assert rows == [int(c) for c in counts[1:]] and sum(rows) == int(counts[0])


def _cells(path: Path) -> list[tuple[str, str, list[str]]]:
    """A notebook's cells as (type, source, tags): what the template writes; outputs come from executing it."""
    cells = json.loads(path.read_text())["cells"]
    return [(c["cell_type"], "".join(c["source"]), c["metadata"].get("tags", [])) for c in cells]


def test_the_variant_chapters_are_what_the_template_produces(tmp_path):
    for chapter in variant_chapters.CHAPTERS:
        produced = variant_chapters.produce(chapter, tmp_path)
        assert _cells(produced) == _cells(NOTEBOOKS / produced.name), (
            f"{produced.name} differs from what notebooks/templates produces; run `make chapters`")
