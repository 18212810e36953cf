"""The tables and notes of the results chapters: aggregations of a :func:`gdpd.results.select_analysis` selection.

Scores are x100 as in the paper; all aggregations are means over seeds first, then over datasets. Methods appear
under their labels (:func:`gdpd.results.method_labels`), in the order of the paper's comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gdpd.config import PROTOCOL_VERSION
from gdpd.metrics import summarise
from gdpd.presets import Preset, get_preset
from gdpd.provenance import REPO_ROOT
from gdpd.results import BLOCK, CELL, Selection, method_label, method_labels, method_order, select_analysis
from gdpd.store import ResultStore

MIN_CD_ROWS = 5  # fewer complete rows than this: no critical-difference diagram
PAPER_CSV = REPO_ROOT / "data" / "paper_reported.csv"


def coverage(selection: Selection) -> pd.DataFrame:
    """Per seed: stored cells, grid cells, whether the seed is complete, and records analysed."""
    grid = selection.grid
    table = grid.groupby("seed", sort=False)["stored"].agg(stored="sum", cells="size")
    table["complete"] = table["stored"] == table["cells"]
    analysed = selection.frame.groupby("seed").size() if not selection.empty else pd.Series(dtype=int)
    table["analysed"] = analysed.reindex(table.index).fillna(0).astype(int)
    return table


def complete_blocks(selection: Selection) -> pd.DataFrame:
    """Rows dataset, columns earliness: the number of seeds whose every method is stored for that row."""
    blocks = selection.grid.groupby(BLOCK)["stored"].all()
    return blocks.groupby(["dataset", "earliness"]).sum().astype(int).unstack("earliness")


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """Method codes replaced by the paper's labels (Base, Base-KD, FitNets, GDPD) in columns and index levels."""
    labels = method_labels()
    return table.rename(columns=labels, index=labels)


def cell_means(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Seed-mean ``metric`` x100: rows (dataset, earliness), one column per method (complete rows only)."""
    table = frame.groupby(CELL)[metric].mean().mul(100).unstack("method")
    return table[method_order(table.columns)].dropna()


def cell_spread(frame: pd.DataFrame, metric: str = "auc_prc") -> pd.DataFrame:
    """Mean and sample standard deviation (ddof 1) over seeds x100, and the number of seeds, per cell."""
    grouped = frame.groupby(CELL)[metric]
    return pd.DataFrame({"mean": grouped.mean() * 100, "std": grouped.std(ddof=1) * 100, "n": grouped.size()})


def table1(frame: pd.DataFrame, metric: str = "auc_prc") -> pd.DataFrame:
    """The paper's Table 1 layout: per earliness and method the mean over datasets of the seed-mean x100, the
    average rank (lower is better) and the top-1 count, plus ``n_datasets`` (complete rows at that earliness)."""
    parts = []
    for earliness, rows in cell_means(frame, metric).groupby(level="earliness"):
        stats = summarise(rows.droplevel("earliness"))
        stats.insert(0, "n_datasets", len(rows))
        stats.insert(0, "earliness", earliness)
        parts.append(stats.rename_axis("method").reset_index())
    if not parts:
        return pd.DataFrame(columns=["earliness", "method", "n_datasets", "mean", "average_rank", "top1"])
    return pd.concat(parts, ignore_index=True)


def read_paper(path: str | Path = PAPER_CSV) -> pd.DataFrame:
    """The numbers transcribed from the paper's Table 1 (``#`` lines are comments): earliness, method, mean,
    average_rank, top1; the rank and top-1 count are missing where the paper does not report them."""
    return pd.read_csv(path, comment="#")


def side_by_side(ours: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Rows (earliness, method label), columns (statistic, source): our :func:`table1` next to the paper's numbers
    for the same earliness and method, and our ``n_datasets``; the paper's unreported ranks stay missing."""
    stats = ["mean", "average_rank", "top1"]
    index = ["earliness", "method"]
    mine = ours.set_index(index)
    theirs = paper.set_index(index).reindex(mine.index)
    table = pd.concat({"ours": mine[stats], "paper": theirs[stats]}, axis=1).swaplevel(axis=1)
    table = table.reindex(columns=pd.MultiIndex.from_product([stats, ["ours", "paper"]]))
    for source in ("ours", "paper"):
        table[("top1", source)] = table[("top1", source)].astype("Int64")
    table[("n_datasets", "ours")] = mine["n_datasets"]
    return table.rename(index=method_labels(), level="method")


def per_dataset_spread(frame: pd.DataFrame, metric: str, earliness: float) -> pd.DataFrame:
    """Rows dataset, columns (method label, mean/std): seed mean and sample std (ddof 1) x100 at ``earliness``,
    plus ``n_seeds``; rows are the complete ones at that earliness."""
    rows = frame[frame["earliness"] == earliness]
    complete = cell_means(rows, metric).index.get_level_values("dataset")
    rows = rows[rows["dataset"].isin(complete)]
    grouped = rows.groupby(["dataset", "method"])[metric]
    table = pd.DataFrame({"mean": grouped.mean() * 100, "std": grouped.std(ddof=1) * 100}).unstack("method")
    table = table.swaplevel(axis=1)
    methods = method_order(table.columns.get_level_values(0))
    table = table.reindex(columns=pd.MultiIndex.from_product([methods, ["mean", "std"]]))
    table[("n_seeds", "")] = rows.groupby("dataset")["seed"].nunique()
    return table.rename(columns=method_labels(), level=0)


def format_mean_std(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """A :func:`per_dataset_spread` table as ``"mean ± std"`` strings (std ``–`` with a single seed)."""
    out = pd.DataFrame(index=table.index)
    for method in dict.fromkeys(m for m, s in table.columns if s):
        mean, std = table[(method, "mean")], table[(method, "std")]
        out[method] = [f"{m:.{digits}f} ± {s:.{digits}f}" if np.isfinite(s) else f"{m:.{digits}f} ± –"
                       for m, s in zip(mean, std)]
    if ("n_seeds", "") in table.columns:
        out["n_seeds"] = table[("n_seeds", "")]
    return out


def curve(frame: pd.DataFrame, metric: str, scale: float = 100.0) -> pd.DataFrame:
    """Per earliness and method (complete rows only): ``mean`` over datasets of the seed-mean ``metric`` x``scale``,
    ``seed_std``, the mean over datasets of the per-dataset seed std (ddof 1; missing with one seed), and
    ``n_datasets``."""
    rows = frame.set_index(["dataset", "earliness"])
    complete = cell_means(frame, metric).index
    rows = rows[rows.index.isin(complete)].reset_index()
    per_cell = rows.groupby(CELL)[metric].agg(["mean", "std"]) * scale
    grouped = per_cell.groupby(["earliness", "method"])
    table = pd.DataFrame({
        "mean": grouped["mean"].mean(), "seed_std": grouped["std"].mean(), "n_datasets": grouped.size(),
    }).reset_index()
    order = {m: i for i, m in enumerate(method_order(table["method"]))}
    return table.sort_values(["earliness", "method"], key=lambda c: c.map(order) if c.name == "method" else c,
                             ignore_index=True)


def teacher_curve(frame: pd.DataFrame, metric: str = "accuracy", reference: str = "auc_prc") -> pd.DataFrame:
    """Per earliness: the mean over the complete rows' datasets of the teacher's ``metric`` x100 (full series)."""
    complete = cell_means(frame, reference).index
    teacher = frame.groupby(["dataset", "earliness"])[f"teacher_{metric}"].mean().mul(100)
    teacher = teacher[teacher.index.isin(complete)]
    return teacher.groupby(level="earliness").mean().rename("teacher").reset_index()


TEACHER_SCORES = ("teacher_val_accuracy", "teacher_val_auc_prc", "teacher_auc_prc", "teacher_accuracy")
"""A teacher's scores in a record: validation accuracy and AUC-PRC (what it was chosen on),
then test AUC-PRC and accuracy on the full series (measured once, after the choice)."""


def teacher_score(frame: pd.DataFrame, metric: str) -> str | None:
    """The score a teacher is compared with its students on: ``metric`` where the records hold the teacher's
    (``teacher_<metric>``), else accuracy; ``None`` where they hold neither."""
    for name in (metric, "accuracy"):
        if f"teacher_{name}" in frame.columns and name in frame.columns and frame[f"teacher_{name}"].notna().any():
            return name
    return None


def teachers_of(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The analysed runs of each teacher, by the teacher's name, in the order of the names: its dataset, or, where a
    chapter's settings give a dataset several teachers (another teacher architecture), the dataset and the settings
    it teaches; settings labelled ``"<teacher> -> <student>"`` that share their teacher name it alone.

    A teacher is told apart by its record's key (``teacher_key``), else by its test scores.
    """
    if "teacher_key" in frame.columns and frame["teacher_key"].notna().all():
        identity = ["teacher_key"]
    else:
        identity = [c for c in ("teacher_auc_prc", "teacher_accuracy") if c in frame.columns]
    if not identity or frame.empty:
        return {}
    per_dataset = frame.groupby("dataset")[identity].nunique().max(axis=1)
    groups: dict[str, pd.DataFrame] = {}
    for (dataset, *teacher), part in frame.groupby(["dataset", *identity], sort=True):
        name = dataset
        if per_dataset[dataset] > 1:
            settings = [str(s) for s in (dict.fromkeys(part["variant"]) if "variant" in part.columns else teacher)]
            pairs = {s.split(" -> ")[0] for s in settings}
            name = (f"{dataset} ({pairs.pop()} teacher)" if all(" -> " in s for s in settings) and len(pairs) == 1
                    else f"{dataset} ({', '.join(settings)})")
        groups[name] = part
    return dict(sorted(groups.items()))


def teacher_table(frame: pd.DataFrame, n_classes: dict[str, int] | None = None, metric: str | None = None,
                  base_earliness: float | None = None) -> pd.DataFrame:
    """Per teacher (:func:`teachers_of`), the teacher beside the students it teaches: its validation accuracy and
    AUC-PRC x100 (what it was chosen on), its test AUC-PRC and accuracy x100, whether it is
    competent (validation accuracy above the majority-class rate) and, given ``n_classes`` (by dataset), the chance
    AUC-PRC 100/K (the expected macro AUC-PRC of random scores).

    Given ``metric``, also the mean test score x100 of the analysed students it teaches, ``students_<score>``, and
    whether the teacher is ``weak`` on that score (:func:`gdpd.teachers.weak`; :func:`teacher_score`: ``metric``,
    else accuracy): below its students, it knows less than they do on prefixes. Given ``base_earliness`` too, the
    seed-mean test score x100 of the Base student at that earliness, ``base_<score>``: the student without a
    teacher, on the longest prefix, that distillation has to improve on (missing where no such run is analysed).
    """
    from gdpd.teachers import weak

    score = teacher_score(frame, metric) if metric is not None else None
    scores = [c for c in dict.fromkeys(TEACHER_SCORES + ((f"teacher_{score}",) if score else ())) if c in frame.columns]
    rows = {}
    for name, part in teachers_of(frame).items():
        row = part[scores].mean().mul(100).to_dict()
        if "teacher_competent" in part.columns and part["teacher_competent"].notna().any():
            row["competent"] = bool(part["teacher_competent"].dropna().iloc[0])
        if n_classes is not None:
            row["n_classes"] = n_classes.get(part["dataset"].iloc[0], np.nan)
            row["chance_auc_prc"] = 100 / row["n_classes"]
        if score is not None:
            row[f"students_{score}"] = 100 * part[score].mean()
            row["weak"] = bool(weak(row[f"teacher_{score}"], row[f"students_{score}"]))
            if base_earliness is not None:
                base = part[(part["method"] == "base") & np.isclose(part["earliness"], base_earliness)]
                row[f"base_{score}"] = 100 * base[score].mean() if len(base) else np.nan
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "teacher"
    return table


def mark_released(table: pd.DataFrame, released: tuple[str, ...]) -> pd.DataFrame:
    """``table`` with every row whose index names a dataset in ``released`` (the released loader's list,
    :data:`gdpd.presets.PAPER_DATASETS`), or begins with one and a space, marked ``"<name> †"``
    (:data:`gdpd.style.RELEASED_MARK`)."""
    from gdpd.style import RELEASED_MARK

    def marked(name: Any) -> Any:
        named = isinstance(name, str) and any(name == d or name.startswith(f"{d} ") for d in released)
        return f"{name} {RELEASED_MARK}" if named else name

    return table.rename(index=marked)


def dataset_classes(datasets: list[str]) -> dict[str, int]:
    """The number of classes of each dataset (loaded through :func:`gdpd.data.load_dataset`)."""
    from gdpd.data import load_dataset

    return {name: load_dataset(name).n_classes for name in datasets}


def wins(frame: pd.DataFrame, metric: str, method: str = "gdpd", rivals: tuple[str, ...] = ("base", "kd", "fitnets")
         ) -> pd.DataFrame:
    """Per earliness and rival: datasets where ``method``'s seed-mean ``metric`` is above/equal to/below the
    rival's, and whether its mean over datasets is above the rival's (``mean_above``)."""
    rows = []
    for earliness, table in cell_means(frame, metric).groupby(level="earliness"):
        for rival in (r for r in rivals if r in table.columns and method in table.columns):
            diff = table[method] - table[rival]
            rows.append({
                "earliness": earliness, "rival": method_label(rival),
                "above": int((diff > 0).sum()), "equal": int((diff == 0).sum()), "below": int((diff < 0).sum()),
                "mean_difference": float(diff.mean()), "mean_above": bool(diff.mean() > 0),
            })
    return pd.DataFrame(rows, columns=["earliness", "rival", "above", "equal", "below", "mean_difference",
                                       "mean_above"])


def cost_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per method: median seconds per training epoch over the analysed runs, and its ratio to Base's."""
    table = frame.groupby("method")["seconds_per_epoch"].median().rename("median_s_per_epoch").to_frame()
    if "base" in table.index:
        table["vs_base"] = table["median_s_per_epoch"] / table.loc["base", "median_s_per_epoch"]
    return labelled(table.loc[method_order(table.index)])


def device_note(frame: pd.DataFrame) -> str:
    """Which devices computed the analysed runs, e.g. ``"600 runs on cuda:NVIDIA H200"`` (read from provenance)."""
    counts = frame["device"].value_counts()
    return "; ".join(f"{n} runs on {device}" for device, n in counts.items())


def critical_difference(scores: pd.DataFrame, title: str, alpha: float = 0.1) -> tuple[Any, str | None]:
    """aeon's critical-difference diagram of ``scores`` (rows datasets, columns methods, higher is better), or
    ``(None, reason)`` when it cannot be drawn (fewer than :data:`MIN_CD_ROWS` rows, or no differences).

    What aeon computes: a Friedman test (tie-corrected) at ``alpha``; if it does not reject, one bar joins every
    method; otherwise one-sided Wilcoxon signed-rank tests between every pair, the better-ranked method scoring
    higher, and a bar joins two methods whose p-value is above alpha / (k - 1), a fixed threshold aeon calls Holm's
    correction (not Holm's step-down procedure, :func:`gdpd.statistics.holm`)."""
    from aeon.visualisation import plot_critical_difference

    if len(scores) < MIN_CD_ROWS:
        return None, f"{title}: only {len(scores)} complete rows, fewer than {MIN_CD_ROWS}; no diagram yet."
    labels = [method_label(m) for m in scores.columns]
    try:
        figure, axis = plot_critical_difference(scores.to_numpy(), labels, alpha=alpha, width=6)
    except ValueError as error:  # e.g. every pairwise difference is zero
        return None, f"{title}: no diagram ({error})."
    axis.set_title(f"{title} ({len(scores)} rows)", pad=20)
    return figure, None


def history_frame(store: ResultStore, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The per-epoch ``column`` of each analysed run's training history (e.g. GDPD's mean learned ``alpha`` on the
    validation cases), one row per (run, epoch), with the run's dataset, earliness, method, seed and variant."""
    fields = [c for c in ("key", "dataset", "earliness", "method", "seed", "variant") if c in frame.columns]
    rows = []
    for run in frame[fields].itertuples(index=False):
        record = store.get(run.dataset, run.key)
        for epoch in record["history"] if record is not None else ():
            if column in epoch:
                rows.append({**run._asdict(), "epoch": int(epoch["epoch"]), column: epoch[column]})
    return pd.DataFrame(rows, columns=[*fields, "epoch", column])


def open_chapter(preset_name: str) -> tuple[Preset, ResultStore, Selection]:
    """A results chapter's first step: the preset, the store, and the selection it analyses.

    Nothing is trained: ``gdpd grid --preset NAME`` computes what the store lacks, and the chapter says how much of
    its grid is stored (:func:`coverage_note`).
    """
    preset = get_preset(preset_name)
    store = ResultStore()
    return preset, store, select_analysis(store, preset)


def coverage_note(selection: Selection, preset: Preset) -> str:
    """Markdown: how much of ``preset``'s grid is stored, the protocol version of its records, which analysis rule
    applies and which devices computed it."""
    grid = (f"{len(preset.datasets)} datasets, earliness {', '.join(f'{e:g}' for e in preset.earliness)}, "
            f"{len(preset.seeds)} seeds" + (f", {len(preset.variants)} settings" if len(preset.variants) > 1 else ""))
    head = (f"The store holds **{selection.n_stored} of the {selection.n_grid} cells** of the `{preset.name}` grid "
            f"({grid}; records of protocol version {PROTOCOL_VERSION}); ")
    if selection.empty:
        return head + f"no complete block yet: compute them with `gdpd grid --preset {preset.name} --workers 2`."
    return head + (f"the analysis uses the rule *{selection.rule}* ({selection.n_complete_blocks} complete "
                   "(dataset, earliness, seed) blocks). Devices, as the records name them: "
                   f"{device_note(selection.frame)}.")
