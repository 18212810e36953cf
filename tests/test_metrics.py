"""Tests for gdpd.metrics; golden values are worked out by hand in the comments."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from gdpd.metrics import (
    accuracy,
    auc_prc,
    average_rank,
    class_auc_prc,
    confidence,
    evaluate,
    fidelity,
    kl_divergence,
    roc_auc,
    softmax,
    summarise,
    top1_count,
    top_k_share,
)

# Three-class example shared by several tests.
Y3 = np.array([0, 1, 2, 2])
P3 = np.array(
    [
        [0.8, 0.1, 0.1],
        [0.1, 0.6, 0.3],
        [0.1, 0.2, 0.7],
        [0.2, 0.5, 0.3],
    ]
)


def test_softmax_rows_sum_to_one_and_temperature() -> None:
    p = softmax(np.array([[math.log(3.0), 0.0], [1000.0, 1000.0]]))
    np.testing.assert_allclose(p, [[0.75, 0.25], [0.5, 0.5]])
    # T = 2 halves the logits: exp(ln3 / 2) = sqrt(3).
    p2 = softmax(np.array([[math.log(3.0), 0.0]]), temperature=2.0)
    r3 = math.sqrt(3.0)
    np.testing.assert_allclose(p2, [[r3 / (1 + r3), 1 / (1 + r3)]])
    with pytest.raises(ValueError, match="temperature"):
        softmax(np.zeros((1, 2)), temperature=0.0)


def test_auc_prc_perfect_separation_is_one() -> None:
    y = np.array([0, 0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    assert auc_prc(y, proba) == pytest.approx(1.0)
    y3 = np.array([0, 1, 2])
    assert auc_prc(y3, np.eye(3)) == pytest.approx(1.0)


def test_auc_prc_three_class_hand_value() -> None:
    # Classes 0 and 1: the single positive has the top score -> PR curve (0,1)-(1,1), area 1.
    # Class 2: scores [.1, .3, .7, .3], positives at .7 and .3, a negative tied at .3.
    #   threshold .7: TP=1 FP=0 -> (R=.5, P=1); threshold .3: TP=2 FP=1 -> (R=1, P=2/3).
    #   Curve (0,1)-(.5,1)-(1,2/3): area .5*1 + .5*(1+2/3)/2 = 1/2 + 5/12 = 11/12.
    # Macro: (1 + 1 + 11/12) / 3 = 35/36.
    assert auc_prc(Y3, P3) == pytest.approx(35 / 36)


def test_auc_prc_binary_averages_both_classes() -> None:
    y = np.array([1, 0, 0])
    p1 = np.array([0.5, 0.8, 0.2])
    proba = np.column_stack([1 - p1, p1])
    # Class 1 by p1: scores desc .8(neg), .5(pos).
    #   threshold .8: TP=0 FP=1 -> (R=0, P=0); threshold .5: TP=1 FP=1 -> (R=1, P=.5).
    #   Curve (0,1), (0,0), (1,.5): area 0 + 1*(0+.5)/2 = 1/4.
    # Class 0 by 1-p1 = [.5, .2, .8]: desc .8(pos), .5(neg), .2(pos).
    #   (R=.5, P=1), (R=.5, P=.5), (R=1, P=2/3): area .5 + 0 + .5*(.5+2/3)/2 = 1/2 + 7/24 = 19/24.
    # Macro over both classes: (1/4 + 19/24) / 2 = 25/48, not the positive-class-only 1/4.
    assert auc_prc(y, proba) == pytest.approx(25 / 48)
    assert auc_prc(y, proba) != pytest.approx(0.25)


def test_auc_prc_skips_absent_class() -> None:
    # A fourth class column that never occurs in y contributes no PR curve.
    proba4 = np.column_stack([P3, np.full(len(Y3), 0.05)])
    assert auc_prc(Y3, proba4) == pytest.approx(35 / 36)


def test_accuracy_hand_value() -> None:
    # Row argmaxes are [0, 1, 2, 1] against y = [0, 1, 2, 2]: 3 of 4 correct.
    assert accuracy(Y3, P3) == pytest.approx(0.75)


def test_roc_auc_hand_value_and_sklearn() -> None:
    # Classes 0 and 1: positive outscores all negatives -> 1.
    # Class 2: positives {.7, .3}, negatives {.1, .3}; pairs 1 + 1 + 1 + 0.5 (tie) = 3.5 of 4.
    # Macro: (1 + 1 + .875) / 3 = 23/24.
    assert roc_auc(Y3, P3) == pytest.approx(23 / 24)
    assert roc_auc(Y3, P3) == pytest.approx(roc_auc_score(Y3, P3, multi_class="ovr", average="macro"))


def test_roc_auc_skips_absent_class_and_needs_two_classes() -> None:
    proba4 = np.column_stack([P3, np.full(len(Y3), 0.05)])
    assert roc_auc(Y3, proba4) == pytest.approx(23 / 24)
    with pytest.raises(ValueError, match="at least 2 classes"):
        roc_auc(np.array([1, 1]), np.array([[0.2, 0.8], [0.6, 0.4]]))


def test_fidelity_hand_value() -> None:
    t = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    s = np.array([[1.0, 0.5, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 9.0], [4.0, 0.0, 0.0]])
    # argmax t = [0, 1, 2, 0], argmax s = [0, 2, 2, 0]: 3 of 4 agree.
    assert fidelity(t, s) == pytest.approx(0.75)


def test_kl_hand_values() -> None:
    t = np.array([[0.0, 0.0]])
    s = np.array([[math.log(3.0), 0.0]])
    # p = [1/2, 1/2], q = [3/4, 1/4]: .5 ln(.5/.75) + .5 ln(.5/.25) = .5 ln(4/3).
    assert kl_divergence(t, s) == pytest.approx(0.5 * math.log(4 / 3))
    # T = 2: q = [sqrt3, 1] / (1 + sqrt3); KL = .5 ln(.5/q0) + .5 ln(.5/q1).
    r3 = math.sqrt(3.0)
    q0, q1 = r3 / (1 + r3), 1 / (1 + r3)
    expected = 0.5 * math.log(0.5 / q0) + 0.5 * math.log(0.5 / q1)
    assert kl_divergence(t, s, temperature=2.0) == pytest.approx(expected)
    # Mean over cases: second row identical -> KL 0, so the mean halves.
    t2 = np.vstack([t, [[1.0, 2.0]]])
    s2 = np.vstack([s, [[1.0, 2.0]]])
    assert kl_divergence(t2, s2) == pytest.approx(0.25 * math.log(4 / 3))


def test_kl_zero_nonnegative_and_shift_invariant() -> None:
    rng = np.random.default_rng(0)
    t = rng.normal(scale=5.0, size=(50, 6))
    s = rng.normal(scale=5.0, size=(50, 6))
    assert kl_divergence(t, t) == 0.0
    assert kl_divergence(t, s) >= 0.0
    assert kl_divergence(t, s, temperature=4.0) >= 0.0
    shift = rng.normal(scale=100.0, size=(50, 1))
    assert kl_divergence(t + shift, s - shift) == pytest.approx(kl_divergence(t, s))


def test_evaluate_keys_and_hand_values() -> None:
    y = np.array([0, 1, 2, 2])
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 1.8], [0.0, 0.0, 2.0], [0.0, 2.0, 1.5]])
    # softmax(logits) rounded:
    #   [.787 .107 .107], [.069 .512 .419], [.107 .107 .787], [.078 .574 .348]
    # (no cross-row ties, so the ranking is robust to rounding in the softmax).
    # AUC-PRC: class 0 perfect -> 1.
    #   class 1: desc .574(neg), .512(pos) -> (R=0,P=0), (R=1,P=.5): area 1/4.
    #   class 2: desc .787(pos), .419(neg), .348(pos) -> area 19/24 (as in the binary test).
    #   macro (1 + 1/4 + 19/24) / 3 = 49/72.
    # Accuracy: argmaxes [0, 1, 2, 1] -> 3/4.
    # ROC-AUC: class 0 1; class 1 pos .512 beats 2 of 3 negatives -> 2/3;
    #   class 2 pos {.787, .348} vs neg {.419, .107}: 3 of 4 pairs -> 3/4; macro 29/36.
    out = evaluate(y, logits)
    assert set(out) == {"auc_prc", "accuracy", "roc_auc"}
    assert out["auc_prc"] == pytest.approx(49 / 72)
    assert out["accuracy"] == pytest.approx(0.75)
    assert out["roc_auc"] == pytest.approx(29 / 36)
    full = evaluate(y, logits, teacher_logits=logits)
    assert set(full) == {"auc_prc", "accuracy", "roc_auc", "fidelity", "kl"}
    assert full["fidelity"] == 1.0 and full["kl"] == 0.0
    assert all(type(v) is float for v in full.values())


@pytest.mark.parametrize(
    ("y", "proba", "match"),
    [
        (np.array([0, 1, 1]), np.array([[0.5, 0.5], [0.2, 0.8]]), "rows"),
        (np.array([0, 1]), np.array([0.3, 0.7]), "2-D"),
        (np.array([0.0, 1.0]), np.eye(2), "integer"),
        (np.array([0, 3]), np.eye(2), "0..1"),
        (np.array([0, 1]), np.array([[np.nan, 1.0], [0.0, 1.0]]), "NaN"),
        (np.array([], dtype=int), np.zeros((0, 2)), "empty"),
    ],
)
def test_bad_inputs_raise(y: np.ndarray, proba: np.ndarray, match: str) -> None:
    for metric in (auc_prc, accuracy, roc_auc):
        with pytest.raises(ValueError, match=match):
            metric(y, proba)


def test_teacher_student_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="shape"):
        fidelity(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="shape"):
        evaluate(Y3, P3, teacher_logits=np.zeros((3, 3)))


# Datasets x methods, with ties on d2 (A = B) and d3 (B = C).
SCORES = pd.DataFrame(
    {"A": [0.9, 0.6, 0.5], "B": [0.8, 0.6, 0.7], "C": [0.7, 0.9, 0.7]},
    index=["d1", "d2", "d3"],
)


def test_average_rank_with_ties() -> None:
    # Ranks: d1 A1 B2 C3; d2 C1 A2.5 B2.5; d3 B1.5 C1.5 A3.
    # A (1 + 2.5 + 3)/3 = 6.5/3, B (2 + 2.5 + 1.5)/3 = 2, C (3 + 1 + 1.5)/3 = 5.5/3.
    r = average_rank(SCORES)
    np.testing.assert_allclose(r[["A", "B", "C"]].to_numpy(), [6.5 / 3, 2.0, 5.5 / 3])


def test_top1_count_counts_every_tied_best() -> None:
    # d1 best A; d2 best C; d3 best B and C (tie).
    assert top1_count(SCORES).to_dict() == {"A": 1, "B": 1, "C": 2}


def test_top_k_share_min_ranks() -> None:
    # method='min' ranks: d1 A1 B2 C3; d2 C1 A2 B2; d3 B1 C1 A3.
    s1 = top_k_share(SCORES, k=1)
    np.testing.assert_allclose(s1[["A", "B", "C"]].to_numpy(), [1 / 3, 1 / 3, 2 / 3])
    s2 = top_k_share(SCORES, k=2)
    np.testing.assert_allclose(s2[["A", "B", "C"]].to_numpy(), [2 / 3, 1.0, 2 / 3])
    with pytest.raises(ValueError, match="positive integer"):
        top_k_share(SCORES, k=0)


def test_summarise_columns_and_values() -> None:
    summary = summarise(SCORES)
    assert list(summary.columns) == ["mean", "average_rank", "top1"]
    assert list(summary.index) == ["A", "B", "C"]
    np.testing.assert_allclose(summary["mean"].to_numpy(), [2.0 / 3, 2.1 / 3, 2.3 / 3])
    np.testing.assert_allclose(summary["average_rank"].to_numpy(), [6.5 / 3, 2.0, 5.5 / 3])
    assert summary["top1"].tolist() == [1, 1, 2]


@pytest.mark.parametrize("fn", [average_rank, top1_count, top_k_share, summarise])
def test_nan_rows_raise_naming_datasets(fn: Callable[[pd.DataFrame], object]) -> None:
    scores = SCORES.copy()
    scores.loc["d2", "B"] = np.nan
    with pytest.raises(ValueError, match=r"\['d2'\]"):
        fn(scores)


def test_class_auc_prc_is_one_term_of_the_macro_average() -> None:
    y = np.array([1, 0, 0])
    p1 = np.array([0.5, 0.8, 0.2])
    proba = np.column_stack([1 - p1, p1])
    # the hand values of test_auc_prc_binary_averages_both_classes: 1/4 for class 1, 19/24 for class 0
    assert class_auc_prc(y, proba, 1) == pytest.approx(1 / 4)
    assert class_auc_prc(y, proba, 0) == pytest.approx(19 / 24)
    assert class_auc_prc(Y3, P3, 2) == pytest.approx(11 / 12)
    with pytest.raises(ValueError, match="no case"):
        class_auc_prc(np.array([0, 0]), np.array([[0.6, 0.4], [0.3, 0.7]]), 1)


def test_confidence_hand_values() -> None:
    # logits (ln 3, 0): p = (3/4, 1/4); logits (0, 0): p = (1/2, 1/2)
    logits = np.array([[np.log(3.0), 0.0], [0.0, 0.0]])
    scores = confidence(np.array([1, 0]), logits)
    assert scores["top_probability"] == pytest.approx((0.75 + 0.5) / 2)
    assert scores["nll"] == pytest.approx((np.log(4.0) + np.log(2.0)) / 2)


def test_confidence_of_uniform_outputs_is_one_over_k_and_ln_k() -> None:
    scores = confidence(np.array([0, 1, 2]), np.zeros((3, 3)))
    assert scores == pytest.approx({"top_probability": 1 / 3, "nll": np.log(3.0)})
