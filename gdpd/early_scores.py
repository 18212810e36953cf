"""How an early classifier is scored: accuracy, earliness, their harmonic mean, and the confidence-threshold rule.

An *early classifier* labels a time series before it has seen all of it. It trades two things: its accuracy, and
its *earliness*, the mean fraction of the series it has observed when it commits to a label,

    earliness = (1/n) * sum_i t_i / L,

where ``t_i`` is the number of time steps case ``i`` had revealed when the decision was made and ``L`` the full
length (lower is earlier). The two are combined by their harmonic mean (Schäfer & Leser, "TEASER: early and
accurate time series classification", Data Mining and Knowledge Discovery 34(5), 2020),

    HM = 2 * accuracy * (1 - earliness) / (accuracy + (1 - earliness)),

which is how aeon (``aeon.classification.early_classification``, ``compute_harmonic_mean`` and ``score`` of
``TEASER`` and ``ProbabilityThresholdEarlyClassifier``) scores its early classifiers; this module uses the same
definitions and names (``accuracy``, ``earliness``, ``harmonic_mean``) so that numbers compare with that literature.
It also holds the decision rule of aeon's ``ProbabilityThresholdEarlyClassifier`` (:func:`threshold_stopping`) and
the choice of its threshold on validation data (:func:`choose_threshold`), which need nothing but class
probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_THRESHOLDS", "EarlyResult", "choose_threshold", "harmonic_mean", "score_early",
           "threshold_stopping"]

DEFAULT_THRESHOLDS = np.linspace(0.5, 1.0, 11)


def harmonic_mean(accuracy: float, earliness: float) -> float:
    """Harmonic mean of accuracy and earliness, ``HM = 2 * acc * (1 - e) / (acc + (1 - e))``.

    Schäfer & Leser, "TEASER: early and accurate time series classification", Data Mining and Knowledge Discovery
    34(5), 2020; the same formula as aeon's ``compute_harmonic_mean``. Earliness is the mean fraction of the series
    seen when deciding, so ``1 - e`` rewards early decisions. Where both terms are 0 (accuracy 0 at earliness 1) the
    formula is 0/0, and the value returned is 0, its limit along any path, where aeon would return NaN.

    Raises:
        ValueError: if ``accuracy`` or ``earliness`` lies outside [0, 1].
    """
    for name, value in (("accuracy", accuracy), ("earliness", earliness)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    timeliness = 1.0 - earliness
    total = accuracy + timeliness
    return 0.0 if total == 0 else float(2.0 * accuracy * timeliness / total)


@dataclass(frozen=True, eq=False)
class EarlyResult:
    """Scores of an early classifier on one split, with its per-case decisions.

    ``predictions`` are class codes, ``stopping`` the fraction ``t_i / L`` of each series seen when its label was
    decided; ``earliness`` is the mean of ``stopping``. ``threshold`` is the confidence threshold used, where one
    was chosen (``None`` otherwise). ``eq=False`` because element-wise array comparison has no single truth value.
    """

    accuracy: float
    earliness: float
    harmonic_mean: float
    predictions: np.ndarray
    stopping: np.ndarray
    threshold: float | None = None

    def scores(self) -> dict[str, float]:
        """``accuracy``, ``earliness`` and ``harmonic_mean``, as stored and tabulated."""
        return {"accuracy": self.accuracy, "earliness": self.earliness, "harmonic_mean": self.harmonic_mean}


def score_early(
    predictions: np.ndarray, stopping: np.ndarray, y: np.ndarray, threshold: float | None = None
) -> EarlyResult:
    """Score per-case early decisions: ``accuracy = mean(pred_i == y_i)``, ``earliness = mean(stopping_i)``.

    Raises:
        ValueError: if the three arrays are not 1-D of one non-zero length, or a stopping fraction is outside (0, 1].
    """
    predictions, stopping, labels = np.asarray(predictions), np.asarray(stopping, dtype=float), np.asarray(y)
    shapes = {predictions.shape, stopping.shape, labels.shape}
    if len(shapes) != 1 or labels.ndim != 1:
        raise ValueError(
            f"predictions, stopping and y must be 1-D of one length, got shapes {predictions.shape}, "
            f"{stopping.shape} and {labels.shape}"
        )
    if len(labels) == 0:
        raise ValueError("y is empty; at least one case is needed to score an early classifier")
    if np.any(stopping <= 0) or np.any(stopping > 1):
        raise ValueError("stopping fractions must lie in (0, 1]: the fraction of each series seen when deciding")
    acc = float(np.mean(predictions == labels))
    earliness = float(np.mean(stopping))
    return EarlyResult(acc, earliness, harmonic_mean(acc, earliness), predictions, stopping, threshold)


def threshold_stopping(probas: Mapping[float, np.ndarray], threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Decide each case at the first earliness whose top class probability reaches ``threshold``.

    ``probas`` maps earliness levels (fractions of the series seen) to ``(n, K)`` class probabilities of the same
    ``n`` cases; levels are visited in increasing order. Case ``i`` stops at the first level ``e`` with
    ``max_k p_ik(e) >= threshold`` and is labelled ``argmax_k p_ik(e)`` (ties to the lowest class); a case never
    confident enough is labelled at the last level. This is the decision rule of aeon's
    ``ProbabilityThresholdEarlyClassifier`` with one consecutive prediction.

    Returns:
        ``(predictions, earliness)``: class codes and the earliness level each case was decided at, both ``(n,)``.

    Raises:
        ValueError: if ``probas`` is empty, a level lies outside (0, 1], or the arrays differ in shape.
    """
    if not probas:
        raise ValueError("probas is empty; pass class probabilities for at least one earliness level")
    levels = sorted(probas)
    if levels[0] <= 0 or levels[-1] > 1:
        raise ValueError(f"earliness levels must lie in (0, 1], got {levels}")
    stack = np.stack([np.asarray(probas[level], dtype=float) for level in levels])
    if stack.ndim != 3:
        raise ValueError(f"every level needs an (n, K) probability array of one shape, got {stack.shape[1:]}")
    confident = stack.max(axis=2) >= threshold
    confident[-1] = True
    stop = confident.argmax(axis=0)
    cases = np.arange(stack.shape[1])
    return stack[stop, cases].argmax(axis=1), np.asarray(levels, dtype=float)[stop]


def choose_threshold(
    val_probas: Mapping[float, np.ndarray], y_val: np.ndarray, candidates: Sequence[float] = DEFAULT_THRESHOLDS
) -> float:
    """The candidate threshold with the highest harmonic mean on the validation split.

    Ties go to the higher validation accuracy, then to the lower threshold. Only validation data enters the choice;
    the test split is for scoring the chosen threshold (:func:`gdpd.early_banks.evaluate_bank`).

    Raises:
        ValueError: if ``candidates`` is empty.
    """
    if len(candidates) == 0:
        raise ValueError("candidates is empty; pass thresholds such as np.linspace(0.5, 1.0, 11)")
    best: tuple[float, float, float] | None = None
    for threshold in sorted(float(c) for c in candidates):
        result = score_early(*threshold_stopping(val_probas, threshold), y_val)
        key = (result.harmonic_mean, result.accuracy, -threshold)
        if best is None or key > best:
            best = key
    assert best is not None
    return -best[2]

