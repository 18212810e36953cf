"""Tables computed from the results store: every number the book shows is an aggregation defined here.

Scores are reported x100 as in the paper. With several distillation weights in a preset (the paper's lambda grid),
the weight of each (dataset, earliness, method) is chosen by the best seed-mean *validation* AUC-PRC; the released
protocol chose it on the test split, which :func:`select_weights` can reproduce with ``by="auc_prc"`` for comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from gdpd.experiment import Preset, RunConfig
from gdpd.store import ResultStore

CELL = ["dataset", "earliness", "method"]
METHOD_LABELS = {
    "base": "Base", "kd": "Base-KD", "fitnets": "FitNets", "gdpd": "GDPD", "rkd": "RKD", "attention": "Attention",
    "dkd": "DKD", "dt2w": "DT2W", "vid": "VID", "pkt": "PKT", "tekap": "TeKAP", "ttm": "TTM",
}


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
        "weight": config.get("method_config", {}).get("weight", 1.0),
        "prefix_mode": config.get("prefix_mode", "stretch"),
        **record["metrics"],
        "seconds_per_epoch": training["seconds_per_epoch"],
        "train_seconds": training["train_seconds"],
        "epochs_run": training["epochs_run"],
        "best_epoch": training["best_epoch"],
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


def preset_frame(store: ResultStore, preset: Preset) -> pd.DataFrame:
    """The stored records of a preset's grid, with the distillation weight chosen on validation."""
    frame = records_frame(store, preset.grid())
    if frame.empty:
        raise LookupError(
            f"no records of preset {preset.name!r} in {store.root}; run `gdpd grid --preset {preset.name}`"
        )
    return select_weights(frame)


def select_weights(frame: pd.DataFrame, by: str = "val_auc_prc") -> pd.DataFrame:
    """Keep, per (dataset, earliness, method[, variant]), the weight with the best seed-mean ``by`` (ties: the
    smaller weight)."""
    cell = CELL + (["variant"] if "variant" in frame.columns else [])
    means = frame.groupby(cell + ["weight"])[by].mean().reset_index()
    order = [True] * len(cell) + [False, True]
    best = means.sort_values(cell + [by, "weight"], ascending=order).groupby(cell).head(1)
    return frame.merge(best[cell + ["weight"]], on=cell + ["weight"])


def seed_spread(frame: pd.DataFrame, metric: str = "auc_prc") -> pd.DataFrame:
    """Mean and standard deviation over seeds x100, per cell."""
    grouped = frame.groupby(CELL)[metric]
    return pd.DataFrame({"mean": grouped.mean() * 100, "std": grouped.std(ddof=1) * 100, "n": grouped.size()})


def missing_cells(store: ResultStore, configs: Iterable[RunConfig]) -> list[RunConfig]:
    """The configurations whose records are not (validly) in the store."""
    return [c for c in configs if store.get(c.dataset, c.key()) is None]
