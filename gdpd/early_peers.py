"""aeon's early classifiers as the students' peers: TEASER and ProbabilityThreshold, fit, scored and stored.

A peer of the students of seed ``s`` is fit on the training cases those students are fit on (the official training
split less the validation cases drawn with ``s``, :func:`gdpd.teacher_training.split_arrays`) and scored on the
official test split by aeon's own decision loop, with the scores of :mod:`gdpd.early_scores`. aeon's rules tune
themselves on their training cases, so the validation cases, which choose the banks' thresholds, are left unused.
The records live in the store's ``early`` side records, keyed by their configuration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from gdpd.config import PROTOCOL_VERSION, RunConfig, config_key
from gdpd.data import load_dataset
from gdpd.early_scores import EarlyResult, score_early
from gdpd.provenance import provenance
from gdpd.store import ResultStore
from gdpd.teacher_training import split_arrays

if TYPE_CHECKING:
    from aeon.classification.early_classification import BaseEarlyClassifier

__all__ = ["PEER_ESTIMATORS", "PEER_LABELS", "PEER_TREES", "evaluate_aeon", "make_peer", "peer_record"]

PEER_LABELS = {"teaser": "TEASER", "probability-threshold": "ProbabilityThreshold"}
PEER_ESTIMATORS = ("tsf", "default")
PEER_TREES = 100


Cases = tuple[np.ndarray, np.ndarray]
"""Series and class codes of one split, ``(X, y)``."""


def evaluate_aeon(estimator: BaseEarlyClassifier, train: Cases, test: Cases) -> EarlyResult:
    """Fit an aeon early classifier on the ``(X, y)`` cases ``train`` and score it on ``test`` as aeon does.

    ``estimator`` is an unfitted ``aeon.classification.early_classification.BaseEarlyClassifier`` (e.g. ``TEASER``
    or ``ProbabilityThresholdEarlyClassifier``). Its ``predict`` on the full test series runs aeon's own decision
    loop over its classification points and forces a decision at the full length; its ``state_info`` then records,
    per case, the decided class (column 2) and the series length seen at the decision (column 3). As in aeon's
    ``compute_harmonic_mean``, ``accuracy = mean(class_i == y_i)`` and ``earliness = mean(t_i / L)``, the fraction of
    the series seen: the same definition as the students' ``floor(e * L) / L`` on the same ``L``-step series.

    Raises:
        ValueError: if the estimator leaves a test case undecided at the full length.
    """
    estimator.fit(*train)
    X_test, y_test = test
    _, decisions = estimator.predict(X_test)
    if not np.all(decisions):
        raise ValueError(f"{type(estimator).__name__} left test cases undecided at the full series length")
    state = np.asarray(estimator.get_state_info())
    predictions = np.asarray(estimator.classes_)[state[:, 2]]
    return score_early(predictions, state[:, 3] / estimator.n_timepoints_, y_test)


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
    run: RunConfig,
    store: ResultStore,
    compute: bool = True,
    estimator: str = "tsf",
    report: Callable[[str], None] | None = None,
) -> dict[str, Any] | None:
    """The stored score of aeon's early classifier ``name`` beside the students of ``run``'s dataset and seed.

    The series are loaded and split exactly as the students' (``run.max_length`` resampling, the validation cases of
    ``run.val_fraction`` drawn with ``run.seed``), so the peer sees the students' training cases and earliness
    fractions compare. Computed and stored when absent and ``compute`` is true (``report`` then receives a line
    before the fit and one after); ``None`` when absent otherwise.
    """
    _check_peer(name, estimator)
    config = {"classifier": name, "estimator": estimator, "dataset": run.dataset, "seed": run.seed,
              "max_length": run.max_length, "val_fraction": run.val_fraction, "protocol": PROTOCOL_VERSION}
    key = config_key(config)
    stored = store.get_side("early", key, run.dataset)
    if stored is not None or not compute:
        return stored
    started = time.perf_counter()
    where = f"aeon {PEER_LABELS[name]} on {run.dataset} (seed {run.seed})"
    if report is not None:
        report(f"{where}: fitting on the students' training cases")
    arrays = split_arrays(load_dataset(run.dataset, max_length=run.max_length), run.val_fraction, run.seed)
    result = evaluate_aeon(make_peer(name, run.seed, estimator), arrays["train"], arrays["test"])
    if report is not None:
        report(f"{where}: scored in {time.perf_counter() - started:.0f} s")
    record = {
        "key": key,
        "config": config,
        "metrics": result.scores(),
        "provenance": {**provenance(torch.device("cpu")), "wall_seconds": time.perf_counter() - started},
    }
    store.put_side("early", record, run.dataset)
    return record
