"""The results chapters' tables: which stored runs are analysed, and the aggregations the chapters display.

A table must never mix complete and incomplete method columns (ranks need complete rows), and a grid that is still
running leaves some cells out. :func:`select_analysis` states one rule for the whole book:

1. if at least one seed has *every* cell of the preset's grid stored, only those *complete seeds* are analysed, so
   every (dataset, earliness, method) cell averages the same seeds;
2. otherwise only *complete blocks* are analysed: the (dataset, earliness, seed) triples for which every method (and
   weight) of the grid is stored. Each method column of a row then averages the same seeds, though rows may differ
   in their number of seeds and earliness levels in their datasets (the tables report both counts).

Scores are x100 as in the paper; all aggregations are means over seeds first, then over datasets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gdpd.experiment import PROTOCOL_VERSION, Preset
from gdpd.metrics import summarise
from gdpd.provenance import REPO_ROOT
from gdpd.results import CELL, METHOD_LABELS, records_frame, select_weights
from gdpd.store import ResultStore

BLOCK = ["dataset", "earliness", "seed"]
MIN_CD_ROWS = 5  # fewer complete rows than this: no critical-difference diagram
PAPER_CSV = REPO_ROOT / "data" / "paper_reported.csv"
LEGACY_INDEX = REPO_ROOT / "data" / "results" / "legacy"
"""Per preset, the grid of its protocol-1 records (``<preset>.csv``: variant, dataset, earliness, method, weight, seed,
key), written by the last commit of protocol 1 (f9afa2c); a chapter whose grid has no complete seed under the
current protocol renders these, under :func:`protocol_warning`."""
LEGACY_FAULTS = (
    "teachers kept at their lowest validation loss over all epochs, so on tiny validation sets some sit on the "
    "untrained plateau, at or below the students they teach",
    "students of the book protocol stopped before they converged (120 epochs, warm-up 60)",
    "a denoiser block unlike the released one (two layers, a ReLU after the residual sum; the alpha adapter "
    "narrowing by 4, not 8)",
    "one validation split shared by every seed",
    "GDPD diagnostics drawing from the training random stream",
)


@dataclass(frozen=True)
class Selection:
    """The records a chapter analyses and how they were chosen.

    ``frame`` holds one row per analysed record (weights already selected on validation); ``rule`` is
    ``"complete seeds"``, ``"complete blocks"`` or ``"none"`` (nothing analysable yet); ``grid`` is the preset's grid,
    one row per cell with a boolean ``stored`` column; ``protocol`` the version of every analysed record.
    """

    frame: pd.DataFrame
    rule: str
    complete_seeds: tuple[int, ...]
    grid: pd.DataFrame
    protocol: int = PROTOCOL_VERSION
    current_stored: int | None = None  # with old records: the current protocol's cells already stored

    @property
    def empty(self) -> bool:
        return self.frame.empty

    @property
    def n_stored(self) -> int:
        return int(self.grid["stored"].sum())

    @property
    def n_grid(self) -> int:
        return len(self.grid)

    @property
    def n_complete_blocks(self) -> int:
        """The (dataset, earliness, seed) blocks of the grid with every method (and weight) stored."""
        return int(self.grid.groupby(BLOCK)["stored"].all().sum())


def grid_frame(preset: Preset, protocol: int = PROTOCOL_VERSION) -> pd.DataFrame:
    """One row per cell of ``preset``'s grid: its store key and the fields a table groups by.

    ``protocol=1``: the cells of the preset's protocol-1 grid that were computed, from :data:`LEGACY_INDEX`.
    """
    if protocol != PROTOCOL_VERSION:
        path = LEGACY_INDEX / f"{preset.name}.csv"
        columns = ["key", "dataset", "earliness", "method", "seed", "weight", "variant"]
        return pd.read_csv(path)[columns] if path.exists() else pd.DataFrame(columns=columns)
    return pd.DataFrame([
        {"key": c.key(), "dataset": c.dataset, "earliness": c.earliness, "method": c.method, "seed": c.seed,
         "weight": c.method_config.weight, "variant": label}
        for label, c in preset.labelled_grid()
    ])


def select_analysis(store: ResultStore, preset: Preset, select_by: str = "val_auc_prc",
                    protocol: int | None = None) -> Selection:
    """The stored records of ``preset`` that the chapters analyse (module docstring: complete seeds, else blocks).

    Where the preset has several distillation weights, each cell keeps the weight with the best seed-mean
    ``select_by``: the validation AUC-PRC by default; ``"auc_prc"`` selects on the test split as the released script
    does, to measure how much that inflates the means.

    ``protocol=None`` analyses the current protocol's records once one seed of the grid is complete, and until then
    the preset's protocol-1 records where :data:`LEGACY_INDEX` lists them (never a mix of the two).
    """
    if protocol is None:
        current = select_analysis(store, preset, select_by, PROTOCOL_VERSION)
        if current.rule == "complete seeds" or not (LEGACY_INDEX / f"{preset.name}.csv").exists():
            return current
        return replace(select_analysis(store, preset, select_by, 1), current_stored=current.n_stored)
    grid = grid_frame(preset, protocol)
    records = records_frame(store, keys=grid["key"])
    if not records.empty:
        records = records.merge(grid[["key", "variant"]], on="key")
    grid["stored"] = grid["key"].isin(records["key"]) if not records.empty else False
    seed_done = grid.groupby("seed")["stored"].all()
    complete_seeds = tuple(int(s) for s in preset.seeds if seed_done.get(s, False))
    if records.empty:
        return Selection(records, "none", (), grid, protocol)
    if complete_seeds:
        rule, keep = "complete seeds", records["seed"].isin(complete_seeds)
    else:
        blocks = grid.groupby(BLOCK)["stored"].all()
        rule, keep = "complete blocks", records.set_index(BLOCK).index.isin(blocks[blocks].index)
    kept = records[np.asarray(keep)]
    if kept.empty:
        return Selection(kept, "none", (), grid, protocol)
    chosen = select_weights(kept, select_by)
    order = {label: i for i, (label, _) in enumerate(preset.variants)}  # tables list settings in the preset's order
    chosen = chosen.sort_values(["variant", *BLOCK, "method"], key=lambda c: c.map(order) if c.name == "variant" else c,
                                kind="stable")
    return Selection(chosen.reset_index(drop=True), rule, complete_seeds, grid, protocol)


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
    return table.rename(columns=METHOD_LABELS, index=METHOD_LABELS)


def cell_means(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Seed-mean ``metric`` x100: rows (dataset, earliness), one column per method (complete rows only)."""
    table = frame.groupby(CELL)[metric].mean().mul(100).unstack("method")
    order = [m for m in METHOD_LABELS if m in table.columns]
    return table[order + [m for m in table.columns if m not in order]].dropna()


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
    return table.rename(index=METHOD_LABELS, level="method")


def per_dataset_spread(frame: pd.DataFrame, metric: str, earliness: float) -> pd.DataFrame:
    """Rows dataset, columns (method label, mean/std): seed mean and sample std (ddof 1) x100 at ``earliness``,
    plus ``n_seeds``; rows are the complete ones at that earliness."""
    rows = frame[frame["earliness"] == earliness]
    complete = cell_means(rows, metric).index.get_level_values("dataset")
    rows = rows[rows["dataset"].isin(complete)]
    grouped = rows.groupby(["dataset", "method"])[metric]
    table = pd.DataFrame({"mean": grouped.mean() * 100, "std": grouped.std(ddof=1) * 100}).unstack("method")
    table = table.swaplevel(axis=1)
    methods = [m for m in METHOD_LABELS if m in table.columns.get_level_values(0)]
    table = table.reindex(columns=pd.MultiIndex.from_product([methods, ["mean", "std"]]))
    table[("n_seeds", "")] = rows.groupby("dataset")["seed"].nunique()
    return table.rename(columns=METHOD_LABELS, level=0)


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
    order = {m: i for i, m in enumerate(METHOD_LABELS)}
    return table.sort_values(["earliness", "method"], key=lambda c: c.map(order) if c.name == "method" else c,
                             ignore_index=True)


def teacher_curve(frame: pd.DataFrame, metric: str = "accuracy", reference: str = "auc_prc") -> pd.DataFrame:
    """Per earliness: the mean over the complete rows' datasets of the teacher's ``metric`` x100 (full series)."""
    complete = cell_means(frame, reference).index
    teacher = frame.groupby(["dataset", "earliness"])[f"teacher_{metric}"].mean().mul(100)
    teacher = teacher[teacher.index.isin(complete)]
    return teacher.groupby(level="earliness").mean().rename("teacher").reset_index()


def teacher_table(frame: pd.DataFrame, n_classes: dict[str, int] | None = None) -> pd.DataFrame:
    """Per dataset, the teacher beside the students it teaches (one teacher per dataset, read from the records): its
    validation accuracy and AUC-PRC x100 (what it was chosen on; protocol 2 and later), its test AUC-PRC and accuracy
    x100, whether it is competent (validation accuracy above the majority-class rate) and, given ``n_classes``, the
    chance AUC-PRC 100/K (the expected macro AUC-PRC of random scores)."""
    columns = [c for c in ("teacher_val_accuracy", "teacher_val_auc_prc", "teacher_auc_prc", "teacher_accuracy")
               if c in frame.columns]
    table = frame.groupby("dataset")[columns].mean().mul(100)
    if "teacher_competent" in frame.columns and frame["teacher_competent"].notna().any():
        table["competent"] = frame.groupby("dataset")["teacher_competent"].first().astype(bool)
    if n_classes is not None:
        table["n_classes"] = [n_classes.get(d, np.nan) for d in table.index]
        table["chance_auc_prc"] = 100 / table["n_classes"]
        table["teacher_over_chance"] = table["teacher_auc_prc"] - table["chance_auc_prc"]
    return table


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
                "earliness": earliness, "rival": METHOD_LABELS.get(rival, rival),
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
    order = [m for m in METHOD_LABELS if m in table.index]
    return labelled(table.loc[order])


def device_note(frame: pd.DataFrame) -> str:
    """Which devices computed the analysed runs, e.g. ``"600 runs on cuda:NVIDIA H200"`` (read from provenance)."""
    counts = frame["device"].value_counts()
    return "; ".join(f"{n} runs on {device}" for device, n in counts.items())


def critical_difference(scores: pd.DataFrame, title: str, alpha: float = 0.1) -> tuple[Any, str | None]:
    """aeon's Wilcoxon-Holm critical-difference diagram of ``scores`` (rows datasets, columns methods, higher is
    better), or ``(None, reason)`` when it cannot be drawn (fewer than :data:`MIN_CD_ROWS` rows, or no differences)."""
    from aeon.visualisation import plot_critical_difference

    if len(scores) < MIN_CD_ROWS:
        return None, f"{title}: only {len(scores)} complete rows, fewer than {MIN_CD_ROWS}; no diagram yet."
    labels = [METHOD_LABELS.get(m, m) for m in scores.columns]
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


def open_chapter(preset_name: str, compute_missing: bool = False, workers: int = 2) -> tuple[Preset, ResultStore,
                                                                                               Selection]:
    """A results chapter's first step: the preset, the store, and the selection it analyses.

    With ``compute_missing`` the cells the store lacks are trained first (``workers`` Dask processes).
    """
    from gdpd.experiment import get_preset
    from gdpd.grid import run_grid
    from gdpd.results import missing_cells

    preset = get_preset(preset_name)
    store = ResultStore()
    if compute_missing:
        run_grid(missing_cells(store, preset.grid()), store, workers=workers)
    return preset, store, select_analysis(store, preset)


def protocol_warning(selection: Selection) -> str:
    """Markdown: an empty string for records of the current protocol; otherwise a warning naming the old faults."""
    if selection.protocol == PROTOCOL_VERSION:
        return ""
    faults = "; ".join(LEGACY_FAULTS)
    return (f"```{{warning}}\nThese are records of **protocol version {selection.protocol}**, computed before the "
            f"fixes of protocol {PROTOCOL_VERSION}: {faults}. They are shown until this chapter's grid is recomputed; "
            "read them as the old experiment, not as a verdict on the paper.\n```\n\n")


def coverage_note(selection: Selection, preset: Preset) -> str:
    """Markdown: how much of ``preset``'s grid is stored, the protocol version of its records, which analysis rule
    applies and which devices computed it (preceded by :func:`protocol_warning` for old records)."""
    grid = (f"{len(preset.datasets)} datasets, earliness {', '.join(f'{e:g}' for e in preset.earliness)}, "
            f"{len(preset.seeds)} seeds" + (f", {len(preset.variants)} settings" if len(preset.variants) > 1 else ""))
    version = f"protocol version {selection.protocol}"
    if selection.protocol != PROTOCOL_VERSION:
        version += f"; of its protocol-{PROTOCOL_VERSION} grid, {selection.current_stored} cells are stored"
    head = (protocol_warning(selection) + f"The store holds **{selection.n_stored} of the {selection.n_grid} cells** "
            f"of the `{preset.name}` grid ({grid}; records of {version}); ")
    if selection.empty:
        return head + f"no complete block yet: compute them with `gdpd grid --preset {preset.name} --workers 2`."
    return head + (f"the analysis uses the rule *{selection.rule}* ({selection.n_complete_blocks} complete "
                   "(dataset, earliness, seed) blocks). Devices, as the records name them: "
                   f"{device_note(selection.frame)}.")
