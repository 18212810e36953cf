"""The early-classification chapter: every early classifier scored by the same functions on the same splits.

An *early classifier* labels a time series before it has seen all of it, trading its accuracy against its
*earliness*, the mean fraction of the series it has observed when it commits to a label; the two are combined by
their harmonic mean as aeon and the early-classification literature do. The chapter's protocol is in three parts,
each a module of its own:

- :mod:`gdpd.early_scores`: how an early classifier's decisions are scored (``accuracy``, ``earliness``,
  ``harmonic_mean``) and the confidence-threshold rule with its threshold chosen on validation;
- :mod:`gdpd.early_banks`: the book's fixed-prefix students of one method, assembled from their stored run records
  into a bank closed by the teacher, an adaptive early classifier;
- :mod:`gdpd.early_peers`: aeon's TEASER and ProbabilityThreshold early classifiers, fit, scored and stored.

This module ties them together: the chapter's frame of every classifier on the test split (:func:`early_frame`;
the chapter reads it from the store with ``compute=False``) and its summary (:func:`early_summary`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from gdpd.early_banks import (
    BANK_LEVELS,
    BankReference,
    assemble_bank,
    bank_records,
    bank_reference,
    check_levels,
    evaluate_bank,
    missing_records,
)
from gdpd.early_peers import PEER_LABELS, PEER_TREES, peer_record
from gdpd.early_scores import harmonic_mean, score_early
from gdpd.presets import Preset
from gdpd.results import method_label
from gdpd.store import ResultStore
from gdpd.teacher_training import Report

# harmonic_mean and PEER_TREES are not used here: gdpd.findings.early and the findings tests import them from here.
__all__ = ["EARLY_COLUMNS", "PEER_TREES", "early_frame", "early_summary", "harmonic_mean"]

EARLY_COLUMNS = ["dataset", "seed", "classifier", "kind", "method", "accuracy", "earliness", "harmonic_mean",
                 "threshold"]


def early_frame(
    preset: Preset,
    datasets: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    store: ResultStore | None = None,
    peers: Sequence[str] = tuple(PEER_LABELS),
    peer_seeds: Sequence[int] | None = None,
    earliness_levels: Sequence[float] = BANK_LEVELS,
    compute: bool = False,
    progress: bool = False,
    device: str | torch.device = "cpu",
    peer_estimator: str = "tsf",
    report: Report | None = None,
) -> pd.DataFrame:
    """Every early classifier of the chapter scored on the test split, one row per (dataset, seed, classifier).

    ``kind`` is ``"fixed"`` for a single student at one earliness level (its earliness is the fraction it sees),
    ``"bank"`` for a method's students at every level closed by the teacher, with the threshold chosen on validation
    (:func:`gdpd.early_banks.evaluate_bank`), ``"teacher"`` for the full-series teacher, and ``"peer"`` for aeon's
    early classifiers. With ``compute=False`` only stored results are read and a (dataset, seed, method) bank that
    lacks a record is left out; with ``compute=True`` what is missing is trained and stored. ``peer_estimator`` is
    the base classifier of the aeon peers (:func:`gdpd.early_peers.make_peer`), scored on ``peer_seeds`` (default:
    ``seeds``) only. ``report`` receives, when computing, first what will be trained, then a line per teacher seed,
    student and peer fit (:func:`gdpd.experiment.run`).
    """
    store = store if store is not None else ResultStore()
    levels = check_levels(earliness_levels)
    rows: list[dict[str, Any]] = []
    references: dict[tuple[str, int], BankReference] = {}
    blocks = [(dataset, seed) for dataset in datasets for seed in seeds]
    if compute and report is not None:
        report(_plan(preset, blocks, methods, levels, store))
    for dataset, seed in tqdm(blocks, desc="early classifiers", unit="block", disable=not progress):
        banks = []
        for method in methods:
            try:
                records = bank_records(preset, dataset, method, seed, levels, store, compute, device, report)
            except LookupError:
                continue
            if (dataset, seed) not in references:  # one teacher and one split per seed, whatever the method
                references[dataset, seed] = bank_reference(preset, dataset, seed, store, device, report)
            banks.append(assemble_bank(dataset, method, seed, records, references[dataset, seed]))
        for bank in banks:
            label = method_label(bank.method)
            for level in levels:
                predictions = bank.probas[level]["test"].argmax(axis=1)
                result = score_early(predictions, np.full(len(predictions), bank.fractions[level]),
                                     bank.labels["test"])
                rows.append(_row(dataset, seed, f"{label} e={level:g}", "fixed", bank.method, result.scores()))
            result = evaluate_bank(bank, bank.labels["val"], bank.labels["test"])
            rows.append(_row(dataset, seed, f"{label} bank", "bank", bank.method, result.scores(), result.threshold))
        if banks:
            labels = banks[0].labels["test"]
            teacher = score_early(banks[0].probas[1.0]["test"].argmax(axis=1), np.ones(len(labels)), labels)
            rows.append(_row(dataset, seed, "teacher (full series)", "teacher", "teacher", teacher.scores()))
        for name in peers if peer_seeds is None or seed in peer_seeds else ():
            record = peer_record(name, preset.config(dataset, levels[0], "base", seed), store, compute,
                                 peer_estimator, report)
            if record is not None:
                rows.append(_row(dataset, seed, PEER_LABELS[name], "peer", name, record["metrics"]))
    return pd.DataFrame(rows, columns=EARLY_COLUMNS)


def _plan(preset: Preset, blocks: Sequence[tuple[str, int]], methods: Sequence[str], levels: Sequence[float],
          store: ResultStore) -> str:
    """What :func:`early_frame` is about to train, in one line: the student runs absent from the store, of how
    many, and their budget."""
    total = len(blocks) * len(methods) * len(levels)
    missing = sum(missing_records(preset, dataset, method, seed, levels, store)
                  for dataset, seed in blocks for method in methods)
    epochs = preset.student.epochs
    if not missing:
        return f"early classification: all {total} student runs are read from the store; nothing to train"
    return (f"early classification: {missing} of {total} student runs to train ({len(methods)} methods × "
            f"{len(levels)} earliness levels per dataset and seed, up to {epochs} epochs each; on a CPU each takes "
            "minutes), plus each dataset's teacher where it is not stored; every run is kept as it finishes, so an "
            "interrupted command resumes")


def _row(dataset: str, seed: int, classifier: str, kind: str, method: str, scores: Mapping[str, float],
         threshold: float | None = None) -> dict[str, Any]:
    return {"dataset": dataset, "seed": seed, "classifier": classifier, "kind": kind, "method": method, **scores,
            "threshold": threshold}


def early_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per classifier: accuracy, earliness and harmonic mean averaged over seeds, then over datasets.

    Rows are grouped by kind (banks, aeon peers, fixed-prefix students, the teacher), best harmonic mean first.

    Only datasets where every classifier of the frame is scored are averaged, so every row covers the same datasets
    (``n_datasets``); ``n_seeds`` is the mean number of seeds per dataset behind a row (the aeon peers may be
    scored on fewer seeds than the students, see :func:`early_frame`).
    """
    counts = frame.groupby("dataset")["classifier"].nunique()
    complete = counts[counts == frame["classifier"].nunique()].index
    kept = frame[frame["dataset"].isin(complete)]
    scores = ["accuracy", "earliness", "harmonic_mean"]
    grouped = kept.groupby(["kind", "classifier", "dataset"])
    per_dataset = grouped[scores].mean()
    per_dataset["n_seeds"] = grouped["seed"].nunique()
    table = per_dataset.groupby(["kind", "classifier"]).mean()
    table["n_datasets"] = len(complete)
    kinds = {kind: i for i, kind in enumerate(("bank", "peer", "fixed", "teacher"))}
    rank = [kinds.get(kind, len(kinds)) for kind in table.index.get_level_values("kind")]
    return table.assign(_rank=rank).sort_values(["_rank", "harmonic_mean"], ascending=[True, False]).drop(
        columns="_rank")
