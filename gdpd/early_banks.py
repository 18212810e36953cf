"""Banks of students: the fixed-prefix students of one method, assembled from their stored run records into an
adaptive early classifier.

The fixed-prefix students of this book are early classifiers with a *fixed* earliness: a student trained at
earliness ``e`` always decides after ``floor(e * L)`` steps, so its earliness is ``floor(e * L) / L`` for every
case. A *bank* of such students at increasing earliness levels, closed by the full-series teacher at earliness 1,
becomes an *adaptive* early classifier with a confidence threshold (the rule of aeon's
``ProbabilityThresholdEarlyClassifier``, :func:`gdpd.early_scores.threshold_stopping`): each case is labelled by the
first classifier of the bank whose top class probability reaches the threshold, and by the teacher if none does.
The threshold is chosen on the validation split, so the test split is used only for scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gdpd.config import RunConfig
from gdpd.early_scores import DEFAULT_THRESHOLDS, EarlyResult, choose_threshold, score_early, threshold_stopping
from gdpd.experiment import prepare, resolve_device, run
from gdpd.metrics import softmax
from gdpd.models import predict_outputs
from gdpd.prefix import prefix_length
from gdpd.presets import Preset
from gdpd.store import ResultStore
from gdpd.teacher_training import Report, get_teacher

__all__ = ["BANK_LEVELS", "BankReference", "StudentBank", "assemble_bank", "bank_record", "bank_records",
           "bank_reference", "check_levels", "evaluate_bank", "student_bank"]

BANK_LEVELS = (0.2, 0.4, 0.6, 0.8)
BANK_SPLITS = ("val", "test")


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
        """The probabilities on ``split`` keyed by the fraction of the series seen, for
        :func:`gdpd.early_scores.threshold_stopping`."""
        return {self.fractions[level]: by_split[split] for level, by_split in self.probas.items()}


def _probabilities(logits: torch.Tensor) -> np.ndarray:
    return softmax(logits.detach().cpu().numpy())


def check_levels(earliness_levels: Sequence[float]) -> list[float]:
    """The students' earliness levels in increasing order.

    Raises:
        ValueError: if a level lies outside (0, 1) (the teacher supplies earliness 1) or the levels repeat.
    """
    levels = sorted(float(e) for e in earliness_levels)
    if not levels or levels[0] <= 0 or levels[-1] >= 1 or len(set(levels)) != len(levels):
        raise ValueError(
            f"earliness_levels must be distinct fractions in (0, 1), got {tuple(earliness_levels)}; "
            "the teacher supplies earliness 1"
        )
    return levels


def bank_record(
    config: RunConfig, store: ResultStore, compute: bool = True, device: str | torch.device = "cpu",
    report: Report | None = None,
) -> dict[str, Any]:
    """The stored record of ``config`` with the student's per-case probabilities, computed if it lacks them.

    Records written before probabilities were stored are trained again with the thread count they were computed
    with and replaced (the run usually comes back bit for bit, not always: ``gdpd rerun KEY --check``). With
    ``compute=False`` a missing record raises instead.

    Raises:
        LookupError: if the record (or its probabilities) is missing and ``compute`` is false.

    ``report`` receives a line for each step of a run that is trained (:func:`gdpd.experiment.run`).
    """
    record = store.get(config.dataset, config.key())
    if record is not None and "probabilities" in record:
        return record
    if not compute:
        raise LookupError(
            f"no stored probabilities for {config.method} on {config.dataset} at e={config.earliness:g}, "
            f"seed {config.seed}; compute them with `gdpd early --datasets {config.dataset}`"
        )
    return run(config, store, device, recompute=record is not None, report=report)


def bank_records(
    preset: Preset,
    dataset: str,
    method: str,
    seed: int,
    levels: Sequence[float],
    store: ResultStore,
    compute: bool = True,
    device: str | torch.device = "cpu",
    report: Report | None = None,
) -> dict[float, dict[str, Any]]:
    """The run record (:func:`bank_record`) of ``preset``'s ``method`` student at each earliness level, by level.

    Raises:
        LookupError: if ``compute`` is false and a level's record is not stored.
    """
    return {level: bank_record(preset.config(dataset, level, method, seed), store, compute, device, report)
            for level in levels}


def missing_records(preset: Preset, dataset: str, method: str, seed: int, levels: Sequence[float],
                    store: ResultStore) -> int:
    """How many of the bank's student records :func:`bank_records` would have to train: absent, or stored without
    their per-case probabilities."""
    records = (store.get(dataset, preset.config(dataset, level, method, seed).key()) for level in levels)
    return sum(record is None or "probabilities" not in record for record in records)


@dataclass(frozen=True, eq=False)
class BankReference:
    """What every bank of one dataset shares: the split labels, the teacher's probabilities on the full validation
    and test series (earliness 1), and the series length that turns nominal levels into fractions seen."""

    labels: dict[str, np.ndarray]
    teacher: dict[str, np.ndarray]
    length: int


def bank_reference(
    preset: Preset, dataset: str, seed: int, store: ResultStore | None = None, device: str | torch.device = "cpu",
    report: Report | None = None,
) -> BankReference:
    """The dataset's splits for ``seed`` and the answers of ``preset``'s cached teacher (trained when absent).

    Neither depends on the student's method or level: the validation split is drawn with the run's seed and the
    teacher is shared by every run of the preset on ``dataset``.
    """
    config = preset.config(dataset, BANK_LEVELS[0], "base", seed)
    torch_device = resolve_device(device)
    data = prepare(config, torch_device)
    teacher, _ = get_teacher(config.teacher_run, store, torch_device, report=report)
    return BankReference(
        labels={split: data.labels[split].cpu().numpy() for split in BANK_SPLITS},
        teacher={split: _probabilities(predict_outputs(teacher, data.full[split]).logits) for split in BANK_SPLITS},
        length=data.dataset.length,
    )


def assemble_bank(
    dataset: str, method: str, seed: int, records: dict[float, dict[str, Any]], reference: BankReference
) -> StudentBank:
    """A :class:`StudentBank` from the students' run records by level (:func:`bank_records`) and the dataset's
    reference (:func:`bank_reference`).

    Raises:
        ValueError: if a record scores other cases than the reference's splits.
    """
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

    The students' probabilities come from their stored run records (:func:`bank_records`), so a bank over the book
    preset's levels reuses the book's runs; the teacher and the labels come from :func:`bank_reference`.

    Raises:
        ValueError: if a level lies outside (0, 1) or the levels repeat, or a record scores other cases.
        LookupError: if ``compute`` is false and a level's record is not stored.
    """
    levels = check_levels(earliness_levels)
    store = store if store is not None else ResultStore()
    records = bank_records(preset, dataset, method, seed, levels, store, compute, device)
    return assemble_bank(dataset, method, seed, records, bank_reference(preset, dataset, seed, store, device))


def evaluate_bank(
    bank: StudentBank, y_val: np.ndarray, y_test: np.ndarray, candidates: Sequence[float] = DEFAULT_THRESHOLDS
) -> EarlyResult:
    """The bank as an adaptive early classifier: threshold chosen on validation, scored on test.

    Earliness counts the fraction of each series actually seen, ``floor(e * L) / L`` at nominal level ``e``.
    """
    threshold = choose_threshold(bank.split("val"), y_val, candidates)
    return score_early(*threshold_stopping(bank.split("test"), threshold), y_test, threshold)
