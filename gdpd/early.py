"""Early classification: the students as early classifiers, scored as the early-classification literature does.

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

The fixed-prefix students of this book are early classifiers with a *fixed* earliness: a student trained at
earliness ``e`` always decides after ``floor(e * L)`` steps, so its earliness is ``floor(e * L) / L`` for every
case. A *bank* of such students at increasing earliness levels, closed by the full-series teacher at earliness 1,
becomes an *adaptive* early classifier with a confidence threshold (the rule of aeon's
``ProbabilityThresholdEarlyClassifier``): each case is labelled by the first classifier of the bank whose top class
probability reaches the threshold, and by the teacher if none does. The threshold is chosen on the validation
split, so the test split is used only for scoring.

Why this module is long: the scores, the banks of students and aeon's peers form one protocol (every classifier of
the chapter is scored by the same functions on the same splits, and the records of banks and peers share one
store); apart, each part would import the other two.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from gdpd.config import PROTOCOL_VERSION, RunConfig, config_key
from gdpd.data import load_dataset
from gdpd.dataset import Dataset
from gdpd.experiment import prepare, resolve_device, run
from gdpd.metrics import softmax
from gdpd.models import predict_outputs
from gdpd.prefix import prefix_length
from gdpd.presets import Preset
from gdpd.provenance import provenance
from gdpd.results import method_label
from gdpd.store import ResultStore
from gdpd.teacher_training import get_teacher

if TYPE_CHECKING:
    from aeon.classification.early_classification import BaseEarlyClassifier

__all__ = [
    "BANK_LEVELS",
    "BankReference",
    "EarlyResult",
    "StudentBank",
    "bank_record",
    "bank_reference",
    "choose_threshold",
    "early_frame",
    "early_summary",
    "evaluate_aeon",
    "evaluate_bank",
    "harmonic_mean",
    "make_peer",
    "peer_record",
    "score_early",
    "student_bank",
    "threshold_stopping",
]

DEFAULT_THRESHOLDS = np.linspace(0.5, 1.0, 11)
BANK_LEVELS = (0.2, 0.4, 0.6, 0.8)
BANK_SPLITS = ("val", "test")


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
    the test split is for scoring the chosen threshold (:func:`evaluate_bank`).

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


@dataclass(frozen=True, eq=False)
class StudentBank:
    """Class probabilities of one method's students at increasing earliness, closed by the teacher at earliness 1.

    ``probas[level][split]`` is the ``(n, K)`` softmax output on the ``"val"`` or ``"test"`` cases at a nominal
    earliness ``level``; ``fractions[level] = floor(level * L) / L`` is the fraction of the series that level
    actually shows (the earliness it is scored with); ``labels[split]`` are the cases' class codes, the same cases
    at every level.
    """

    dataset: str
    method: str
    seed: int
    probas: dict[float, dict[str, np.ndarray]]
    fractions: dict[float, float]
    labels: dict[str, np.ndarray]

    def split(self, split: str) -> dict[float, np.ndarray]:
        """The probabilities on ``split`` keyed by the fraction of the series seen, for :func:`threshold_stopping`."""
        return {self.fractions[level]: by_split[split] for level, by_split in self.probas.items()}


def _probabilities(logits: torch.Tensor) -> np.ndarray:
    return softmax(logits.detach().cpu().numpy())


def _check_levels(earliness_levels: Sequence[float]) -> list[float]:
    levels = sorted(float(e) for e in earliness_levels)
    if not levels or levels[0] <= 0 or levels[-1] >= 1 or len(set(levels)) != len(levels):
        raise ValueError(
            f"earliness_levels must be distinct fractions in (0, 1), got {tuple(earliness_levels)}; "
            "the teacher supplies earliness 1"
        )
    return levels


def bank_record(
    config: RunConfig, store: ResultStore, compute: bool = True, device: str | torch.device = "cpu"
) -> dict[str, Any]:
    """The stored record of ``config`` with the student's per-case probabilities, computed if it lacks them.

    Records written before probabilities were stored are trained again with the thread count they were computed
    with and replaced (the run usually comes back bit for bit, not always: ``gdpd rerun KEY --check``). With
    ``compute=False`` a missing record raises instead.

    Raises:
        LookupError: if the record (or its probabilities) is missing and ``compute`` is false.
    """
    record = store.get(config.dataset, config.key())
    if record is not None and "probabilities" in record:
        return record
    if not compute:
        raise LookupError(
            f"no stored probabilities for {config.method} on {config.dataset} at e={config.earliness:g}, "
            f"seed {config.seed}; compute them with `gdpd early --datasets {config.dataset}`"
        )
    return run(config, store, device, recompute=record is not None)


@dataclass(frozen=True, eq=False)
class BankReference:
    """What every bank of one dataset shares: the split labels, the teacher's probabilities on the full validation
    and test series (earliness 1), and the series length that turns nominal levels into fractions seen."""

    labels: dict[str, np.ndarray]
    teacher: dict[str, np.ndarray]
    length: int


def bank_reference(
    preset: Preset, dataset: str, seed: int, store: ResultStore | None = None, device: str | torch.device = "cpu"
) -> BankReference:
    """The dataset's splits for ``seed`` and the answers of ``preset``'s cached teacher (trained when absent).

    Neither depends on the student's method or level: the validation split is drawn with the run's seed and the
    teacher is shared by every run of the preset on ``dataset``.
    """
    config = preset.config(dataset, BANK_LEVELS[0], "base", seed)
    torch_device = resolve_device(device)
    data = prepare(config, torch_device)
    teacher, _ = get_teacher(config.teacher_run, store, torch_device)
    return BankReference(
        labels={split: data.labels[split].cpu().numpy() for split in BANK_SPLITS},
        teacher={split: _probabilities(predict_outputs(teacher, data.full[split]).logits) for split in BANK_SPLITS},
        length=data.dataset.length,
    )


def student_bank(
    preset: Preset,
    dataset: str,
    method: str,
    seed: int,
    earliness_levels: Sequence[float] = BANK_LEVELS,
    store: ResultStore | None = None,
    compute: bool = True,
    device: str | torch.device = "cpu",
) -> StudentBank:
    """One ``method`` student per earliness level of ``preset``, closed by the dataset's teacher at earliness 1.

    The students' probabilities come from their stored run records (:func:`bank_record`), so a bank over the book
    preset's levels reuses the book's runs; the teacher and the labels come from :func:`bank_reference`.

    Raises:
        ValueError: if a level lies outside (0, 1) or the levels repeat, or a record scores other cases.
        LookupError: if ``compute`` is false and a level's record is not stored.
    """
    levels = _check_levels(earliness_levels)
    store = store if store is not None else ResultStore()
    records = {level: bank_record(preset.config(dataset, level, method, seed), store, compute, device)
               for level in levels}
    return _assemble(dataset, method, seed, records, bank_reference(preset, dataset, seed, store, device))


def _assemble(
    dataset: str, method: str, seed: int, records: dict[float, dict[str, Any]], reference: BankReference
) -> StudentBank:
    """A :class:`StudentBank` from the students' run records by level and the dataset's reference."""
    probas: dict[float, dict[str, np.ndarray]] = {}
    fractions: dict[float, float] = {}
    for level, record in records.items():
        probas[level] = {split: np.asarray(record["probabilities"][split], dtype=float) for split in BANK_SPLITS}
        if any(len(probas[level][split]) != len(reference.labels[split]) for split in BANK_SPLITS):
            raise ValueError(f"the {dataset} record at e={level:g} scores other cases than the bank's splits")
        fractions[level] = prefix_length(reference.length, level) / reference.length
    probas[1.0] = reference.teacher
    fractions[1.0] = 1.0
    return StudentBank(dataset, method, seed, probas, fractions, reference.labels)


def evaluate_bank(
    bank: StudentBank, y_val: np.ndarray, y_test: np.ndarray, candidates: Sequence[float] = DEFAULT_THRESHOLDS
) -> EarlyResult:
    """The bank as an adaptive early classifier: threshold chosen on validation, scored on test.

    Earliness counts the fraction of each series actually seen, ``floor(e * L) / L`` at nominal level ``e``.
    """
    threshold = choose_threshold(bank.split("val"), y_val, candidates)
    return score_early(*threshold_stopping(bank.split("test"), threshold), y_test, threshold)


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


PEER_LABELS = {"teaser": "TEASER", "probability-threshold": "ProbabilityThreshold"}


PEER_ESTIMATORS = ("tsf", "default")
PEER_TREES = 100


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
) -> dict[str, Any] | None:
    """The stored score of aeon's early classifier ``name`` on ``dataset`` (fit on train, scored on test).

    The series are loaded exactly as the students' (``max_length`` resampling), so earliness fractions compare.
    Computed and stored when absent and ``compute`` is true; ``None`` when absent otherwise.
    """
    _check_peer(name, estimator)
    config = {"classifier": name, "estimator": estimator, "dataset": dataset, "seed": seed, "max_length": max_length}
    key = config_key(config)
    stored = store.get_side("early", key, dataset)
    if stored is not None or not compute:
        return stored
    started = time.perf_counter()
    result = evaluate_aeon(make_peer(name, seed, estimator), load_dataset(dataset, max_length=max_length))
    record = {
        "key": key,
        "config": config,
        "metrics": result.scores(),
        "provenance": {**provenance(torch.device("cpu")), "wall_seconds": time.perf_counter() - started},
    }
    store.put_side("early", record, dataset)
    return record


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
) -> pd.DataFrame:
    """Every early classifier of the chapter scored on the test split, one row per (dataset, seed, classifier).

    ``kind`` is ``"fixed"`` for a single student at one earliness level (its earliness is the fraction it sees),
    ``"bank"`` for a method's students at every level closed by the teacher, with the threshold chosen on validation
    (:func:`evaluate_bank`), ``"teacher"`` for the full-series teacher, and ``"peer"`` for aeon's early classifiers.
    With ``compute=False`` only stored results are read and a (dataset, seed, method) bank that lacks a record is
    left out; with ``compute=True`` what is missing is trained and stored. ``peer_estimator`` is the base
    classifier of the aeon peers (:func:`make_peer`), scored on ``peer_seeds`` (default: ``seeds``) only.
    """
    store = store if store is not None else ResultStore()
    levels = _check_levels(earliness_levels)
    rows: list[dict[str, Any]] = []
    references: dict[tuple[str, int], BankReference] = {}
    blocks = [(dataset, seed) for dataset in datasets for seed in seeds]
    for dataset, seed in tqdm(blocks, desc="early classifiers", unit="block", disable=not progress):
        banks = []
        for method in methods:
            try:
                records = {level: bank_record(preset.config(dataset, level, method, seed), store, compute, device)
                           for level in levels}
            except LookupError:
                continue
            if (dataset, seed) not in references:  # one teacher and one split per seed, whatever the method
                references[dataset, seed] = bank_reference(preset, dataset, seed, store, device)
            banks.append(_assemble(dataset, method, seed, records, references[dataset, seed]))
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
            max_length = preset.config(dataset, levels[0], "base", seed).max_length
            record = peer_record(name, dataset, seed, store, compute, max_length, peer_estimator)
            if record is not None:
                rows.append(_row(dataset, seed, PEER_LABELS[name], "peer", name, record["metrics"]))
    return pd.DataFrame(rows, columns=EARLY_COLUMNS)


EARLY_COLUMNS = ["dataset", "seed", "classifier", "kind", "method", "accuracy", "earliness", "harmonic_mean",
                 "threshold"]


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


def chapter_frame(
    preset: Preset,
    datasets: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    store: ResultStore,
    peers: Sequence[str] = tuple(PEER_LABELS),
    peer_seeds: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, int]:
    """The early-classification chapter's frame from stored results only, and the protocol version of its students.

    While ``preset`` has no complete seed under the current protocol, the frame is the protocol-1 one that the last
    protocol-1 commit computed (``legacy/early.csv`` of :data:`gdpd.results.LEGACY_INDEX`): its banks need the
    protocol-1 teachers and validation splits, which this code does not rebuild.
    """
    from gdpd.results import LEGACY_INDEX, select_analysis

    protocol = select_analysis(store, preset).protocol
    if protocol == PROTOCOL_VERSION:
        return early_frame(preset, datasets, methods, seeds, store, peers, peer_seeds), protocol
    frame = pd.read_csv(LEGACY_INDEX / "early.csv")
    keep = frame["dataset"].isin(datasets) & frame["seed"].isin(seeds) & frame["method"].isin([*methods, *peers,
                                                                                                 "teacher"])
    if peer_seeds is not None:
        keep &= (frame["kind"] != "peer") | frame["seed"].isin(peer_seeds)
    return frame[keep].reset_index(drop=True), protocol
