"""aeon's early classifiers as the students' peers: TEASER and ProbabilityThreshold, fit, scored and stored.

The peers are fit on the training split and scored on the test split by aeon's own decision loop, with the scores
of :mod:`gdpd.early_scores`; their records live in the store's ``early`` side records, keyed by their configuration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from gdpd.config import config_key
from gdpd.data import load_dataset
from gdpd.dataset import Dataset
from gdpd.early_scores import EarlyResult, score_early
from gdpd.provenance import provenance
from gdpd.store import ResultStore

if TYPE_CHECKING:
    from aeon.classification.early_classification import BaseEarlyClassifier

__all__ = ["PEER_ESTIMATORS", "PEER_LABELS", "PEER_TREES", "evaluate_aeon", "make_peer", "peer_record"]

PEER_LABELS = {"teaser": "TEASER", "probability-threshold": "ProbabilityThreshold"}
PEER_ESTIMATORS = ("tsf", "default")
PEER_TREES = 100


def evaluate_aeon(estimator: BaseEarlyClassifier, dataset: Dataset) -> EarlyResult:
    """Fit an aeon early classifier on the training split and score it on the test split as aeon does.

    ``estimator`` is an unfitted ``aeon.classification.early_classification.BaseEarlyClassifier`` (e.g. ``TEASER``
    or ``ProbabilityThresholdEarlyClassifier``). Its ``predict`` on the full test series runs aeon's own decision
    loop over its classification points and forces a decision at the full length; its ``state_info`` then records,
    per case, the decided class (column 2) and the series length seen at the decision (column 3). As in aeon's
    ``compute_harmonic_mean``, ``accuracy = mean(class_i == y_i)`` and ``earliness = mean(t_i / L)``, the fraction of
    the series seen: the same definition as the students' ``floor(e * L) / L`` on the same ``L``-step series.

    Raises:
        ValueError: if the estimator leaves a test case undecided at the full length.
    """
    estimator.fit(dataset.X_train, dataset.y_train)
    _, decisions = estimator.predict(dataset.X_test)
    if not np.all(decisions):
        raise ValueError(f"{type(estimator).__name__} left test cases undecided at the full series length")
    state = np.asarray(estimator.get_state_info())
    predictions = np.asarray(estimator.classes_)[state[:, 2]]
    return score_early(predictions, state[:, 3] / estimator.n_timepoints_, dataset.y_test)


def _check_peer(name: str, estimator: str) -> None:
    if name not in PEER_LABELS:
        raise ValueError(f"unknown early classifier {name!r}; choose one of {', '.join(PEER_LABELS)}")
    if estimator not in PEER_ESTIMATORS:
        raise ValueError(f"unknown peer estimator {estimator!r}; choose one of {', '.join(PEER_ESTIMATORS)}")


def make_peer(name: str, seed: int, estimator: str = "tsf") -> BaseEarlyClassifier:
    """aeon's early classifier ``name`` at aeon's default classification points, with ``random_state=seed``.

    ``teaser``: TEASER (Schäfer & Leser 2020) — a probabilistic classifier at each classification point and a
    one-class SVM per point that accepts or defers its prediction. ``probability-threshold``: aeon's
    ``ProbabilityThresholdEarlyClassifier`` — a prediction is accepted when its top class probability reaches 0.85.

    ``estimator="tsf"`` gives both the same base classifier at every point, a time series forest of
    :data:`PEER_TREES` trees (aeon's ``TimeSeriesForestClassifier``), so the comparison is between stopping rules;
    ``"default"`` keeps aeon's own choices (WEASEL for TEASER, DrCIF for ProbabilityThreshold), which take many
    minutes per fit on a 2-core machine.

    Raises:
        ValueError: if ``name`` is not one of ``PEER_LABELS`` or ``estimator`` not one of ``PEER_ESTIMATORS``.
    """
    from aeon.classification.early_classification import TEASER, ProbabilityThresholdEarlyClassifier
    from aeon.classification.interval_based import TimeSeriesForestClassifier

    _check_peer(name, estimator)
    base = None if estimator == "default" else TimeSeriesForestClassifier(n_estimators=PEER_TREES, random_state=seed)
    if name == "teaser":
        return TEASER(estimator=base, random_state=seed)
    return ProbabilityThresholdEarlyClassifier(estimator=base, random_state=seed)


def peer_record(
    name: str,
    dataset: str,
    seed: int,
    store: ResultStore,
    compute: bool = True,
    max_length: int = 100,
    estimator: str = "tsf",
    report: Callable[[str], None] | None = None,
) -> dict[str, Any] | None:
    """The stored score of aeon's early classifier ``name`` on ``dataset`` (fit on train, scored on test).

    The series are loaded exactly as the students' (``max_length`` resampling), so earliness fractions compare.
    Computed and stored when absent and ``compute`` is true (``report`` then receives a line before the fit and one
    after); ``None`` when absent otherwise.
    """
    _check_peer(name, estimator)
    config = {"classifier": name, "estimator": estimator, "dataset": dataset, "seed": seed, "max_length": max_length}
    key = config_key(config)
    stored = store.get_side("early", key, dataset)
    if stored is not None or not compute:
        return stored
    started = time.perf_counter()
    if report is not None:
        report(f"aeon {PEER_LABELS[name]} on {dataset} (seed {seed}): fitting on the training series")
    result = evaluate_aeon(make_peer(name, seed, estimator), load_dataset(dataset, max_length=max_length))
    if report is not None:
        report(f"aeon {PEER_LABELS[name]} on {dataset} (seed {seed}): scored in {time.perf_counter() - started:.0f} s")
    record = {
        "key": key,
        "config": config,
        "metrics": result.scores(),
        "provenance": {**provenance(torch.device("cpu")), "wall_seconds": time.perf_counter() - started},
    }
    store.put_side("early", record, dataset)
    return record
