"""Early classification: the harmonic mean, threshold stopping, threshold choice, the student bank and aeon's loop."""

import numpy as np
import pandas as pd
import pytest
import torch
from aeon.classification.early_classification import TEASER, ProbabilityThresholdEarlyClassifier
from aeon.classification.feature_based import SummaryClassifier
from sklearn.ensemble import RandomForestClassifier

from gdpd import early, early_peers
from gdpd.config import PROTOCOL_VERSION
from gdpd.data import load_dataset
from gdpd.early import early_frame, early_summary
from gdpd.early_banks import bank_record, evaluate_bank, student_bank
from gdpd.early_peers import evaluate_aeon, peer_record
from gdpd.early_scores import DEFAULT_THRESHOLDS, choose_threshold, harmonic_mean, score_early, threshold_stopping
from gdpd.presets import get_preset
from gdpd.provenance import recorded_threads
from gdpd.store import ResultStore
from gdpd.teacher_training import split_arrays


@pytest.mark.parametrize(
    ("acc", "earliness", "expected"),
    [
        (1.0, 0.0, 1.0),
        (0.5, 0.5, 0.5),
        (0.8, 0.4, 2 * 0.8 * 0.6 / 1.4),
        (1.0, 0.75, 0.4),
        (0.0, 1.0, 0.0),
        (0.0, 0.2, 0.0),
        (1.0, 1.0, 0.0),
    ],
)
def test_harmonic_mean_hand_values(acc, earliness, expected):
    assert harmonic_mean(acc, earliness) == pytest.approx(expected)


def test_harmonic_mean_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match="earliness"):
        harmonic_mean(0.5, 1.2)
    with pytest.raises(ValueError, match="accuracy"):
        harmonic_mean(-0.1, 0.5)


def test_threshold_stopping_early_late_and_never_confident():
    probas = {  # given out of order: levels are visited in increasing earliness
        1.0: np.array([[0.6, 0.4], [0.1, 0.9], [0.45, 0.55]]),
        0.25: np.array([[0.9, 0.1], [0.6, 0.4], [0.5, 0.5]]),
        0.5: np.array([[0.2, 0.8], [0.2, 0.8], [0.7, 0.3]]),
    }
    predictions, stopped = threshold_stopping(probas, 0.8)
    # case 0 is confident at once (0.9), case 1 at 0.5 (0.8 reaches the threshold), case 2 never: the last level
    np.testing.assert_array_equal(predictions, [0, 1, 1])
    np.testing.assert_array_equal(stopped, [0.25, 0.5, 1.0])
    predictions, stopped = threshold_stopping(probas, 0.5)
    np.testing.assert_array_equal(predictions, [0, 0, 0])  # the tie at 0.25 resolves to the lowest class
    np.testing.assert_array_equal(stopped, [0.25, 0.25, 0.25])


def test_threshold_stopping_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        threshold_stopping({}, 0.8)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        threshold_stopping({1.5: np.full((1, 2), 0.5)}, 0.8)


HAND_VAL = {0.5: np.array([[0.9, 0.1], [0.7, 0.3]]), 1.0: np.array([[0.99, 0.01], [0.2, 0.8]])}
HAND_Y = np.array([0, 1])


def test_choose_threshold_maximises_the_harmonic_mean():
    # 0.6: both stop at 0.5, acc 0.5, e 0.5, HM 0.5; 0.8: case 1 waits, acc 1, e 0.75, HM 0.4; 0.95: acc 1, e 1, HM 0
    scores = {t: score_early(*threshold_stopping(HAND_VAL, t), HAND_Y).harmonic_mean for t in (0.6, 0.8, 0.95)}
    assert scores == pytest.approx({0.6: 0.5, 0.8: 0.4, 0.95: 0.0})
    assert choose_threshold(HAND_VAL, HAND_Y, [0.95, 0.8, 0.6]) == 0.6
    # 0.55 and 0.6 make the same decisions: the tie goes to the lower threshold
    assert choose_threshold(HAND_VAL, HAND_Y, [0.6, 0.55, 0.95]) == 0.55


def test_score_early_counts_accuracy_and_mean_stopping_fraction():
    result = score_early(np.array([0, 1, 1, 0]), np.array([0.25, 0.5, 1.0, 0.25]), np.array([0, 1, 0, 0]), 0.7)
    assert (result.accuracy, result.earliness, result.threshold) == (0.75, 0.5, 0.7)
    assert result.harmonic_mean == pytest.approx(harmonic_mean(0.75, 0.5))
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        score_early(np.array([0]), np.array([0.0]), np.array([0]))


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    store = ResultStore(tmp_path_factory.mktemp("results"))
    return student_bank(get_preset("smoke"), "UnitTest", "gdpd", 1, earliness_levels=(0.75, 0.5), store=store)


def test_student_bank_holds_students_and_teacher_on_the_same_cases(bank):
    assert list(bank.probas) == [0.5, 0.75, 1.0]
    assert bank.fractions == {0.5: 0.5, 0.75: 0.75, 1.0: 1.0}  # UnitTest has 24 steps: 12 and 18 are seen
    for split in ("val", "test"):
        for probas in bank.split(split).values():
            assert probas.shape == (len(bank.labels[split]), 2)
            np.testing.assert_allclose(probas.sum(axis=1), 1.0, rtol=1e-6)


def test_evaluate_bank_chooses_on_validation_and_scores_test(bank):
    result = evaluate_bank(bank, bank.labels["val"], bank.labels["test"])
    assert result.threshold == choose_threshold(bank.split("val"), bank.labels["val"])
    assert result.threshold in DEFAULT_THRESHOLDS
    assert 0 <= result.accuracy <= 1 and 0.5 <= result.earliness <= 1 and 0 <= result.harmonic_mean <= 1
    assert result.predictions.shape == result.stopping.shape == bank.labels["test"].shape
    assert set(result.stopping) <= {0.5, 0.75, 1.0}


def test_student_bank_rejects_the_full_length_level():
    with pytest.raises(ValueError, match="teacher supplies earliness 1"):
        student_bank(get_preset("smoke"), "UnitTest", "gdpd", 1, earliness_levels=(0.5, 1.0))


def _fast_forest() -> SummaryClassifier:
    return SummaryClassifier(estimator=RandomForestClassifier(n_estimators=2, random_state=0), random_state=0)


@pytest.mark.parametrize(
    "estimator",
    [
        ProbabilityThresholdEarlyClassifier(estimator=_fast_forest(), classification_points=[6, 12], random_state=0),
        # the smallest TEASER: three classification points, one one-class SVM setting instead of its gamma grid
        TEASER(
            estimator=_fast_forest(),
            one_class_param_grid={"gamma": [1.0]},
            classification_points=[8, 16],
            random_state=0,
        ),
    ],
    ids=["probability-threshold", "teaser"],
)
def test_evaluate_aeon_matches_aeons_own_scores(estimator):
    dataset = load_dataset("UnitTest")
    result = evaluate_aeon(estimator, (dataset.X_train, dataset.y_train), (dataset.X_test, dataset.y_test))
    aeon_hm, aeon_acc, aeon_earliness = estimator.compute_harmonic_mean(estimator.get_state_info(), dataset.y_test)
    assert (result.accuracy, result.earliness) == pytest.approx((aeon_acc, aeon_earliness))
    assert result.harmonic_mean == pytest.approx(aeon_hm)
    assert estimator.score(dataset.X_test, dataset.y_test) == pytest.approx((aeon_hm, aeon_acc, aeon_earliness))
    assert 0 <= result.accuracy <= 1 and 0 < result.earliness <= 1 and 0 <= result.harmonic_mean <= 1
    assert set(result.stopping) <= {points / dataset.length for points in (6, 8, 12, 16, 24)}


def _fast_peer(name, seed, estimator="tsf"):
    return ProbabilityThresholdEarlyClassifier(estimator=_fast_forest(), classification_points=[6, 12],
                                               random_state=seed)


@pytest.fixture
def fast_peers(monkeypatch):
    monkeypatch.setattr(early_peers, "make_peer", _fast_peer)


def test_bank_record_recomputes_a_record_without_probabilities_to_the_same_metrics(tmp_path):
    store = ResultStore(tmp_path)
    config = get_preset("smoke").config("UnitTest", 0.5, "kd", 1)
    with pytest.raises(LookupError, match="gdpd early"):
        bank_record(config, store, compute=False)
    with recorded_threads({"provenance": {"torch_threads": 1}}):  # computed single-threaded, like a grid worker
        first = bank_record(config, store)
    assert first["provenance"]["torch_threads"] == 1
    probabilities = np.asarray(first["probabilities"]["test"])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    legacy = {k: v for k, v in first.items() if k != "probabilities"}  # a record from before probabilities
    store.put(legacy)
    assert "probabilities" not in store.get("UnitTest", config.key())
    with recorded_threads({"provenance": {"torch_threads": 2}}):  # this process runs two threads
        again = bank_record(config, store)  # retrained with the record's thread count, not this process's
        assert torch.get_num_threads() == 2
    assert again["provenance"]["torch_threads"] == 1
    assert again["metrics"] == first["metrics"]
    np.testing.assert_array_equal(np.asarray(again["probabilities"]["test"]), probabilities)
    assert bank_record(config, store, compute=False)["probabilities"] == again["probabilities"]


def test_peer_record_fits_on_the_students_training_cases_and_is_stored_once(tmp_path, fast_peers, monkeypatch):
    store = ResultStore(tmp_path)
    run = get_preset("smoke").config("UnitTest", 0.4, "base", 1)
    fitted = []
    real = early_peers.evaluate_aeon

    def evaluate_recording(estimator, train, test):
        fitted.append(train)
        return real(estimator, train, test)

    monkeypatch.setattr(early_peers, "evaluate_aeon", evaluate_recording)
    assert peer_record("probability-threshold", run, store, compute=False) is None
    record = peer_record("probability-threshold", run, store)
    assert 0 < record["metrics"]["earliness"] <= 1
    students = split_arrays(load_dataset("UnitTest"), run.val_fraction, run.seed)["train"]
    np.testing.assert_array_equal(fitted[0][1], students[1])  # the students' training cases, not the whole split
    assert record["config"]["val_fraction"] == run.val_fraction and record["config"]["protocol"] == PROTOCOL_VERSION
    assert peer_record("probability-threshold", run, store, compute=False) == record
    other_seed = get_preset("smoke").config("UnitTest", 0.4, "base", 24)
    assert peer_record("probability-threshold", other_seed, store, compute=False) is None
    path = store.side_path("early", record["key"], "UnitTest")
    path.write_text(path.read_text()[:40])  # a partial file reads as missing
    assert peer_record("probability-threshold", run, store, compute=False) is None
    with pytest.raises(ValueError, match="unknown early classifier"):
        peer_record("weasel", run, store)


@pytest.mark.slow  # trains the banks of two methods end to end
def test_early_frame_reads_back_what_it_computed_and_summarises_complete_blocks(tmp_path, fast_peers):
    store = ResultStore(tmp_path)
    args = (get_preset("smoke"), ["UnitTest"], ["base", "gdpd"], [1], store)
    kwargs = {"peers": ["probability-threshold"], "earliness_levels": (0.5, 0.75)}
    assert early_frame(*args, **kwargs).empty  # nothing stored, nothing computed
    frame = early_frame(*args, compute=True, **kwargs)
    assert set(frame["kind"]) == {"fixed", "bank", "teacher", "peer"}
    assert len(frame) == 2 * 3 + 1 + 1
    pd.testing.assert_frame_equal(early_frame(*args, **kwargs), frame)
    fixed = frame.set_index("classifier").loc["GDPD e=0.5"]
    assert fixed["earliness"] == 0.5
    assert fixed["harmonic_mean"] == pytest.approx(harmonic_mean(fixed["accuracy"], 0.5))
    more = pd.concat([frame, frame.iloc[:1].assign(seed=2, accuracy=0.0),  # a second seed of one classifier
                      frame.iloc[:1].assign(dataset="Other")])  # a dataset with one classifier only: left out
    summary = early_summary(more)
    assert (summary["n_datasets"] == 1).all()
    assert summary.loc[("fixed", "GDPD e=0.5"), "accuracy"] == pytest.approx(fixed["accuracy"])
    first = frame.iloc[0]
    assert summary.loc[(first["kind"], first["classifier"]), "accuracy"] == pytest.approx(first["accuracy"] / 2)
    assert summary.loc[(first["kind"], first["classifier"]), "n_seeds"] == 2
    only_students = early_frame(*args, peer_seeds=[2], **kwargs)
    assert "peer" not in set(only_students["kind"])


@pytest.mark.slow  # trains the banks of two methods end to end
def test_early_frame_loads_each_seeds_split_once(tmp_path, fast_peers, monkeypatch):
    store = ResultStore(tmp_path)
    calls = []
    real = early.bank_reference
    monkeypatch.setattr(early, "bank_reference", lambda *args: calls.append(args[1:3]) or real(*args))
    frame = early_frame(get_preset("smoke"), ["UnitTest"], ["base", "gdpd"], [1, 24], store, peers=[],
                        earliness_levels=(0.5, 0.75), compute=True)
    assert set(frame["kind"]) == {"fixed", "bank", "teacher"} and frame["seed"].nunique() == 2
    assert calls == [("UnitTest", 1), ("UnitTest", 24)]  # four banks, one split per seed


def test_gdpd_early_says_first_what_it_will_train(tmp_path):
    from gdpd.early import _plan
    from gdpd.presets import get_preset
    from gdpd.store import ResultStore

    smoke = get_preset("smoke")
    message = _plan(smoke, [("UnitTest", 1)], ["base", "gdpd"], [0.2, 0.5], ResultStore(tmp_path))
    assert message.startswith("early classification: 4 of 4 student runs to train (2 methods × 2 earliness levels")
    assert f"up to {smoke.student.epochs} epochs each" in message and "resumes" in message
