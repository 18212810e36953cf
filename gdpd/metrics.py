"""Evaluation metrics: per-run scores of a student (and its agreement with a teacher) and
cross-dataset summaries of a results table.

Per-run inputs are numpy arrays: ``y`` holds integer class codes ``0..K-1`` of shape ``(n,)``;
``proba`` and logits are ``(n, K)`` float arrays where ``K`` is the number of classes of the
dataset, which may exceed the number of classes present in ``y`` (e.g. a small test split).

The headline metric of the paper (Generative Diffusion Prior Distillation for Long-Context
Knowledge Transfer, ICLR 2026) is AUC-PRC, macro-averaged over classes; datasets are compared
by mean score, average rank (lower is better) and top-1 count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import auc, precision_recall_curve, roc_auc_score

__all__ = [
    "accuracy",
    "auc_prc",
    "average_rank",
    "class_auc_prc",
    "evaluate",
    "fidelity",
    "kl_divergence",
    "roc_auc",
    "softmax",
    "summarise",
    "top1_count",
    "top_k_share",
]


def _check_matrix(a: np.ndarray, name: str) -> np.ndarray:
    """Return ``a`` as a finite 2-D float array of shape (n, K), or raise ``ValueError``."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n, K), got shape {arr.shape}; "
            "for a binary problem pass both columns (one score per class)."
        )
    if arr.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 columns (classes), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; check the model outputs.")
    return arr


def _check_labels(y: np.ndarray, proba: np.ndarray, name: str = "proba") -> tuple[np.ndarray, np.ndarray]:
    """Validate ``y`` against a score matrix and return ``(y as int64, scores as float)``."""
    scores = _check_matrix(proba, name)
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class codes, got shape {labels.shape}.")
    if labels.shape[0] != scores.shape[0]:
        raise ValueError(
            f"{name} has {scores.shape[0]} rows but y has {labels.shape[0]} entries; "
            "pass one row of scores per case."
        )
    if labels.shape[0] == 0:
        raise ValueError("y is empty; at least one case is needed to compute a metric.")
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        raise ValueError(
            f"y must hold integer class codes 0..K-1, got dtype {labels.dtype}; "
            "encode the labels first (e.g. with sklearn.preprocessing.LabelEncoder)."
        )
    n_classes = scores.shape[1]
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"y holds class codes in [{labels.min()}, {labels.max()}] but {name} has {n_classes} "
            f"columns; codes must lie in 0..{n_classes - 1}."
        )
    return labels.astype(np.int64), scores


def _check_pair(teacher_logits: np.ndarray, student_logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a teacher/student logit pair of equal shape (n, K) with n >= 1."""
    t = _check_matrix(teacher_logits, "teacher_logits")
    s = _check_matrix(student_logits, "student_logits")
    if t.shape != s.shape:
        raise ValueError(
            f"teacher_logits has shape {t.shape} but student_logits has shape {s.shape}; "
            "both must score the same cases over the same classes."
        )
    if t.shape[0] == 0:
        raise ValueError("the logits are empty; at least one case is needed.")
    return t, s


def _check_temperature(temperature: float) -> float:
    """Return ``temperature`` as a float after checking it is finite and positive."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite positive number, got {temperature}.")
    return float(temperature)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``z - logsumexp(z)``, shifted by the row maximum so ``exp`` cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise tempered softmax.

    ``p_ik = exp(z_ik / T) / sum_j exp(z_ij / T)``, computed after subtracting the row maximum
    (which leaves the result unchanged) so that large logits do not overflow.

    Args:
        logits: (n, K) array of logits.
        temperature: T > 0; larger T gives softer distributions.

    Returns:
        (n, K) array whose rows are probability distributions.
    """
    z = _check_matrix(logits, "logits")
    t = _check_temperature(temperature)
    return np.exp(_log_softmax(z / t))


def auc_prc(y: np.ndarray, proba: np.ndarray) -> float:
    """Macro-averaged area under the one-vs-rest precision-recall curve (the paper's AUC-PRC).

    For every class ``k`` present in ``y`` the PR curve of ``(y == k, proba[:, k])`` is computed
    with ``sklearn.metrics.precision_recall_curve`` and its area by the trapezoid rule,
    ``AUC_k = sum_i (R_i - R_{i+1}) * (P_i + P_{i+1}) / 2`` (``sklearn.metrics.auc``); the result
    is ``(1 / |C|) * sum_{k in C} AUC_k`` over the set ``C`` of classes present. Binary problems
    average both classes (class 0 scored by ``proba[:, 0]``, class 1 by ``proba[:, 1]``), so the
    value is symmetric in the labelling. Classes absent from ``y`` have no positives, hence no PR
    curve, and are skipped.

    Args:
        y: (n,) integer class codes 0..K-1.
        proba: (n, K) scores; any monotone score works (probabilities or logits).

    Returns:
        AUC-PRC in [0, 1].

    Raises:
        ValueError: if ``y`` is empty (no class present) or the shapes disagree.
    """
    labels, scores = _check_labels(y, proba)
    # _check_labels rejects an empty y, so at least one class is present here.
    areas = []
    for k in np.unique(labels):
        precision, recall, _ = precision_recall_curve(labels == k, scores[:, k])
        areas.append(auc(recall, precision))
    return float(np.mean(areas))


def class_auc_prc(y: np.ndarray, proba: np.ndarray, k: int) -> float:
    """Area under the precision-recall curve of class ``k`` alone, ``AUC_k`` of :func:`auc_prc`.

    On imbalanced data this is the number to read beside the macro average: its chance level is the prevalence of
    class ``k`` (a random score's precision), not ``1 / K``.

    Raises:
        ValueError: if class ``k`` has no case in ``y`` (no positives, no curve) or the shapes disagree.
    """
    labels, scores = _check_labels(y, proba)
    if not np.any(labels == k):
        raise ValueError(f"class {k} has no case in y; its precision-recall curve is undefined")
    precision, recall, _ = precision_recall_curve(labels == k, scores[:, k])
    return float(auc(recall, precision))


def accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    """Top-1 accuracy, ``(1/n) * sum_i [argmax_k proba_ik == y_i]``.

    Ties in ``proba`` resolve to the lowest class index (``np.argmax``).
    """
    labels, scores = _check_labels(y, proba)
    return float(np.mean(scores.argmax(axis=1) == labels))


def roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """Macro one-vs-rest ROC-AUC over the classes present in ``y``.

    ``(1 / |C|) * sum_{k in C} roc_auc_score(y == k, proba[:, k])``, where ``C`` is the set of
    classes present. Equals ``roc_auc_score(y, proba, multi_class='ovr', average='macro')`` when
    every class is present; unlike it, classes absent from ``y`` are skipped rather than failing.

    Raises:
        ValueError: if fewer than two classes are present (ROC-AUC needs negatives).
    """
    labels, scores = _check_labels(y, proba)
    present = np.unique(labels)
    if present.size < 2:
        raise ValueError(
            f"roc_auc needs at least 2 classes present in y, got {present.size}; "
            "evaluate on a split that contains more than one class."
        )
    return float(np.mean([roc_auc_score(labels == k, scores[:, k]) for k in present]))


def fidelity(teacher_logits: np.ndarray, student_logits: np.ndarray) -> float:
    """Top-1 agreement between teacher and student, ``(1/n) * sum_i [argmax t_i == argmax s_i]``."""
    t, s = _check_pair(teacher_logits, student_logits)
    return float(np.mean(t.argmax(axis=1) == s.argmax(axis=1)))


def kl_divergence(
    teacher_logits: np.ndarray, student_logits: np.ndarray, temperature: float = 1.0
) -> float:
    """Mean KL divergence from the tempered teacher to the tempered student distribution.

    ``(1/n) * sum_i sum_k p_ik * (log p_ik - log q_ik)`` with ``p = softmax(t / T)``,
    ``q = softmax(s / T)`` and the natural logarithm. Both log-distributions come from a stable
    log-softmax, so near-zero probabilities never produce ``log(0)``. No ``T**2`` factor is applied
    (that factor belongs to the distillation loss, not to this diagnostic).

    Returns:
        Mean KL in nats, >= 0; 0 exactly when the logits agree up to a per-row constant.
    """
    t, s = _check_pair(teacher_logits, student_logits)
    temp = _check_temperature(temperature)
    log_p = _log_softmax(t / temp)
    log_q = _log_softmax(s / temp)
    per_case = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    # KL is non-negative; rounding can leave values like -1e-17 when p and q coincide.
    return float(max(per_case.mean(), 0.0))


def evaluate(
    y: np.ndarray, student_logits: np.ndarray, teacher_logits: np.ndarray | None = None
) -> dict[str, float]:
    """All per-run metrics of one student.

    Returns:
        ``auc_prc``, ``accuracy`` and ``roc_auc`` of ``softmax(student_logits)`` against ``y``;
        with ``teacher_logits`` also ``fidelity`` (top-1 agreement) and ``kl``
        (``kl_divergence`` at T = 1). All values are plain floats, the first four in [0, 1].
    """
    labels, logits = _check_labels(y, student_logits, "student_logits")
    proba = softmax(logits)
    out = {
        "auc_prc": auc_prc(labels, proba),
        "accuracy": accuracy(labels, proba),
        "roc_auc": roc_auc(labels, proba),
    }
    if teacher_logits is not None:
        out["fidelity"] = fidelity(teacher_logits, logits)
        out["kl"] = kl_divergence(teacher_logits, logits)
    return out


def confidence(y: np.ndarray, logits: np.ndarray) -> dict[str, float]:
    """How sure a classifier is, and how justly: ``top_probability``, the mean of max_k p_k over the cases, and
    ``nll``, the mean negative log-likelihood -log p_y of the true class (natural log), with p = softmax(logits).

    A classifier whose outputs sit near uniform has a top probability near 1/K and a likelihood near ln K whatever
    its accuracy; soft targets from it carry little.
    """
    labels, checked = _check_labels(y, logits, "logits")
    log_p = _log_softmax(checked)
    return {
        "top_probability": float(np.exp(log_p.max(axis=1)).mean()),
        "nll": float(-log_p[np.arange(len(labels)), labels].mean()),
    }


def _check_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Validate a (datasets x methods) table of scores, higher is better."""
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(
            f"scores must be a pandas DataFrame (rows = datasets, columns = methods), "
            f"got {type(scores).__name__}."
        )
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        raise ValueError(f"scores is empty (shape {scores.shape}); it needs datasets and methods.")
    try:
        table = scores.astype(float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"scores must be numeric; convert the columns first ({err}).") from err
    missing = table.index[table.isna().any(axis=1)]
    if len(missing) > 0:
        raise ValueError(
            f"scores has missing values for datasets {list(missing)}; a table with a missing "
            "cell cannot be ranked fairly: finish those runs or drop those datasets."
        )
    return table


def average_rank(scores: pd.DataFrame) -> pd.Series:
    """Average rank of each method over datasets (lower is better).

    Within each dataset (row) methods are ranked so the highest score gets rank 1; tied methods
    share the mean of the ranks they span (``method='average'``, as in Demsar, JMLR 2006). The
    result is ``(1 / N) * sum_d rank_d(method)`` over the ``N`` datasets.
    """
    table = _check_scores(scores)
    ranks = table.rank(axis=1, ascending=False, method="average")
    return ranks.mean(axis=0).rename("average_rank")


def top1_count(scores: pd.DataFrame) -> pd.Series:
    """Number of datasets on which each method attains the best score; every tied best counts."""
    table = _check_scores(scores)
    best = table.eq(table.max(axis=1), axis=0)
    return best.sum(axis=0).astype(int).rename("top1")


def top_k_share(scores: pd.DataFrame, k: int = 3) -> pd.Series:
    """Share of datasets on which each method ranks in the top ``k``.

    Ranks use ``method='min'`` (tied methods all get the best rank they span), so
    ``share = (1 / N) * sum_d [rank_d(method) <= k]``.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    table = _check_scores(scores)
    ranks = table.rank(axis=1, ascending=False, method="min")
    return (ranks <= k).mean(axis=0).rename(f"top{int(k)}_share")


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Per-method summary: ``mean`` score, ``average_rank`` (lower is better) and ``top1`` count.

    Returns:
        DataFrame indexed by method with columns ``mean``, ``average_rank``, ``top1``.
    """
    table = _check_scores(scores)
    return pd.DataFrame(
        {
            "mean": table.mean(axis=0),
            "average_rank": average_rank(table),
            "top1": top1_count(table),
        }
    )
