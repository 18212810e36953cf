"""Export the store in the results layout of ``aeon.benchmarking``, so aeon's comparison tools read our runs.

aeon reads ``<path>/classification/<measure>/<Estimator>_<measure>.csv``: one row per dataset, the dataset name first,
then one column per resample (here: per seed) (Middlehurst et al., JMLR 2024). Each (method, earliness) pair becomes
one estimator named like ``GDPD-e0.4`` (with the setting appended, ``GDPD-e0.4-alpha=0.5``, for a preset of several
settings). ``gdpd export`` writes the runs a preset's tables analyse (:func:`gdpd.results.select_analysis`). aeon's
reader accepts only estimator names it knows, so :func:`register_with_aeon` adds ours to its alias table before
:func:`aeon.benchmarking.results_loaders.get_estimator_results` is called. AUC-PRC is not one of aeon's measures;
it is written as ``auprc`` in the same layout for other readers. Beside ``classification/``, ``protocol.csv`` names
what the runs were computed under (:func:`gdpd.results.protocol_table`: the preset, each variant's protocol version
and teacher rule), which aeon's CSVs have no place for.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from gdpd.results import method_label

AEON_MEASURES = {"accuracy": "accuracy", "auroc": "roc_auc", "auprc": "auc_prc"}


def estimator_name(method: str, earliness: float, variant: str | None = None) -> str:
    """``GDPD-e0.4``: the method's label and the earliness it was trained at, then the setting if one is named
    (characters that do not belong in a file name replaced by ``_``)."""
    name = f"{method_label(method)}-e{earliness:g}"
    return name if variant is None else f"{name}-{re.sub(r'[^A-Za-z0-9.=+-]+', '_', variant)}"


def export_aeon(frame: pd.DataFrame, path: str | os.PathLike[str]) -> list[Path]:
    """Write one CSV per estimator and measure from a records frame (a selection's, or
    :func:`gdpd.results.records_frame`'s); a frame of several variants gives one estimator per variant."""
    root = Path(path) / "classification"
    several = "variant" in frame.columns and frame["variant"].nunique() > 1
    keys = ["method", "earliness", "variant"] if several else ["method", "earliness"]
    written = []
    for key, group in frame.groupby(keys, sort=False):
        name = estimator_name(*key)
        for measure, column in AEON_MEASURES.items():
            table = group.pivot_table(index="dataset", columns="seed", values=column, aggfunc="first")
            table.columns = [f"seed{seed}" for seed in table.columns]
            target = root / measure / f"{name}_{measure}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            table.rename_axis("Resamples:").to_csv(target)
            written.append(target)
    return written


def export_protocol(protocol: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the protocol of the exported runs (:func:`gdpd.results.protocol_table`) to ``<path>/protocol.csv``."""
    target = Path(path) / "protocol.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    protocol.to_csv(target, index=False)
    return target


def register_with_aeon(names: list[str]) -> None:
    """Make aeon's results loader accept our estimator names (it rejects names missing from its alias table)."""
    from aeon.benchmarking import results_loaders

    for name in names:
        results_loaders.NAME_ALIASES.setdefault(name, [])
