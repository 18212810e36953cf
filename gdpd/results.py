"""The results layer: the store's records as a frame, and the one rule that selects the runs a table analyses.

Every table, chapter and export reads the runs of a preset through :func:`select_analysis`, so they all analyse the
same runs. A table must never mix complete and incomplete method columns (ranks need complete rows), and a grid that
is still running leaves some cells out, hence the rule:

1. if at least one seed has *every* cell of the preset's grid stored, only those *complete seeds* are analysed, so
   every (dataset, earliness, method) cell averages the same seeds;
2. otherwise only *complete blocks* are analysed: the (dataset, earliness, seed) triples for which every method (and
   weight) of the grid is stored. Each method column of a row then averages the same seeds, though rows may differ
   in their number of seeds and earliness levels in their datasets (the tables report both counts).

With several distillation weights in a preset (the paper's lambda grid), the weight of each (dataset, earliness,
method) is chosen by the best seed-mean *validation* AUC-PRC; the released protocol chose it on the test split, which
:func:`select_weights` reproduces with ``by="auc_prc"`` for comparison. Selecting never trains: computing runs is
``gdpd grid``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from gdpd.config import DistillationSettings, RunConfig, field_default
from gdpd.methods import METHODS
from gdpd.presets import Preset
from gdpd.store import ResultStore

DEFAULT_WEIGHT = field_default(DistillationSettings, "weight")
"""The lambda a table gives a run that has none (Base) or that kept the default, so that runs group by weight."""
CELL = ["dataset", "earliness", "method"]
BLOCK = ["dataset", "earliness", "seed"]


def method_order(methods: Iterable[str]) -> list[str]:
    """``methods`` in the order tables list them: the registry's (the paper's comparison first), then any name that
    is not a registered method, in the order given."""
    methods = list(dict.fromkeys(methods))
    return [m for m in METHODS if m in methods] + [m for m in methods if m not in METHODS]


def method_labels() -> dict[str, str]:
    """Every registered method's label in the paper's tables (``kd``: ``Base-KD``), in the order tables list them."""
    return {name: cls.label for name, cls in METHODS.items()}


def method_label(method: str) -> str:
    """The label of a registered method; any other name (``teacher``, an aeon peer) as it is."""
    return METHODS[method].label if method in METHODS else method


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One row per record: the configuration fields a table groups by, metrics, timing and the protocol version.

    Read from the stored configuration as it is (fields at their default are not stored), so that records of an
    earlier protocol version, which this code cannot rerun, still read.
    """
    config = record["config"]
    training = record["training"]
    return {
        "key": record["key"],
        "protocol": config.get("protocol", 1),
        "dataset": config["dataset"],
        "earliness": config["earliness"],
        "method": config["method"],
        "seed": config["seed"],
        "weight": config.get("method_config", {}).get("weight", DEFAULT_WEIGHT),
        "prefix_mode": config.get("prefix_mode", field_default(RunConfig, "prefix_mode")),
        **record["metrics"],
        "seconds_per_epoch": training["seconds_per_epoch"],
        "train_seconds": training["train_seconds"],
        "epochs_run": training["epochs_run"],
        "best_epoch": training["best_epoch"],
        "teacher_key": training.get("teacher_key"),
        "teacher_competent": training.get("teacher_competent"),
        "device": record["provenance"]["device"],
    }


def records_frame(store: ResultStore, configs: Iterable[RunConfig] | None = None,
                  keys: Iterable[str] | None = None) -> pd.DataFrame:
    """The store as a DataFrame, restricted to ``configs`` or to ``keys`` when given."""
    if configs is not None:
        keys = {c.key() for c in configs}
    keys = None if keys is None else set(keys)
    rows = [flatten(r) for r in store.records() if keys is None or r["key"] in keys]
    return pd.DataFrame(rows)


def select_weights(frame: pd.DataFrame, by: str = "val_auc_prc") -> pd.DataFrame:
    """Keep, per (dataset, earliness, method[, variant]), the weight with the best seed-mean ``by`` (ties: the
    smaller weight)."""
    cell = CELL + (["variant"] if "variant" in frame.columns else [])
    means = frame.groupby(cell + ["weight"])[by].mean().reset_index()
    order = [True] * len(cell) + [False, True]
    best = means.sort_values(cell + [by, "weight"], ascending=order).groupby(cell).head(1)
    return frame.merge(best[cell + ["weight"]], on=cell + ["weight"])


def missing_cells(store: ResultStore, configs: Iterable[RunConfig]) -> list[RunConfig]:
    """The configurations whose records are not (validly) in the store."""
    return [c for c in configs if store.get(c.dataset, c.key()) is None]


@dataclass(frozen=True)
class Selection:
    """The records a chapter analyses and how they were chosen.

    ``frame`` holds one row per analysed record (weights already selected on validation); ``rule`` is
    ``"complete seeds"``, ``"complete blocks"`` or ``"none"`` (nothing analysable yet); ``grid`` is the preset's grid,
    one row per cell with a boolean ``stored`` column. Every record is of the current protocol version: the grid's
    keys hold it.
    """

    frame: pd.DataFrame
    rule: str
    complete_seeds: tuple[int, ...]
    grid: pd.DataFrame

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


def protocol_table(preset: Preset, selection: Selection) -> pd.DataFrame:
    """What the analysed records of ``preset`` were computed under, one row per variant: the preset, the variant, the
    protocol version the records hold (one per selection: a run's key holds its version), how the teacher's seed is
    chosen and the teacher's learning-rate schedule (:class:`gdpd.config.TeacherConfig`), and the number of runs.
    ``gdpd table`` prints it above its table and ``gdpd export`` writes it beside the scores."""
    teachers = {variant: config.teacher for variant, config in preset.labelled_grid()}
    return pd.DataFrame([
        {"preset": preset.name, "variant": variant, "protocol": int(runs["protocol"].iloc[0]),
         "teacher_choice": teachers[variant].choice, "teacher_lr_schedule": teachers[variant].train.lr_schedule,
         "runs": len(runs)}
        for variant, runs in selection.frame.groupby("variant", sort=False)
    ], columns=["preset", "variant", "protocol", "teacher_choice", "teacher_lr_schedule", "runs"])


def grid_frame(preset: Preset) -> pd.DataFrame:
    """One row per cell of ``preset``'s grid: its store key and the fields a table groups by."""
    return pd.DataFrame([
        {"key": c.key(), "dataset": c.dataset, "earliness": c.earliness, "method": c.method, "seed": c.seed,
         "weight": getattr(c.method_config, "weight", DEFAULT_WEIGHT), "variant": variant}
        for variant, c in preset.labelled_grid()
    ])


def select_analysis(store: ResultStore, preset: Preset, select_by: str = "val_auc_prc") -> Selection:
    """The stored records of ``preset`` that the chapters analyse (module docstring: complete seeds, else blocks).

    Where the preset has several distillation weights, each cell keeps the weight with the best seed-mean
    ``select_by``: the validation AUC-PRC by default; ``"auc_prc"`` selects on the test split as the released script
    does, to measure how much that inflates the means.
    """
    grid = grid_frame(preset)
    records = records_frame(store, keys=grid["key"])
    if not records.empty:
        records = records.merge(grid[["key", "variant"]], on="key")
    grid["stored"] = grid["key"].isin(records["key"]) if not records.empty else False
    seed_done = grid.groupby("seed")["stored"].all()
    complete_seeds = tuple(int(s) for s in preset.seeds if seed_done.get(s, False))
    if records.empty:
        return Selection(records, "none", (), grid)
    if complete_seeds:
        rule, keep = "complete seeds", records["seed"].isin(complete_seeds)
    else:
        blocks = grid.groupby(BLOCK)["stored"].all()
        rule, keep = "complete blocks", records.set_index(BLOCK).index.isin(blocks[blocks].index)
    kept = records[np.asarray(keep)]
    if kept.empty:
        return Selection(kept, "none", (), grid)
    chosen = select_weights(kept, select_by)
    order = {label: i for i, (label, _) in enumerate(preset.variants)}  # tables list settings in the preset's order
    chosen = chosen.sort_values(["variant", *BLOCK, "method"], key=lambda c: c.map(order) if c.name == "variant" else c,
                                kind="stable")
    return Selection(chosen.reset_index(drop=True), rule, complete_seeds, grid)


def select_cell(store: ResultStore, preset: Preset, dataset: str, earliness: float) -> Selection:
    """:func:`select_analysis` on one (``dataset``, ``earliness``) cell of ``preset``'s grid: every seed whose block
    there is complete, whether or not the rest of that seed's grid is stored. A cell computed ahead of its grid (the
    one the released code's reference run covers) is then compared on all its seeds, where Table 1 waits for whole
    seeds."""
    if dataset not in preset.datasets or earliness not in preset.earliness:
        raise ValueError(
            f"preset {preset.name!r} has no cell ({dataset}, earliness {earliness:g}): its datasets are "
            f"{', '.join(preset.datasets)} and its earliness levels {', '.join(f'{e:g}' for e in preset.earliness)}; "
            "name one of them"
        )
    return select_analysis(store, replace(preset, datasets=(dataset,), earliness=(earliness,)))
