"""A dataset's teacher: one candidate per seed, trained on full series and kept as it finishes, then one chosen.

Each seed of :class:`gdpd.config.TeacherConfig` trains the ``base`` method on the full training series with that
seed's own validation split, keeps one epoch by its ``train.selection``, and is stored as a *candidate* at once, so an
interrupted teacher resumes with its finished seeds. :func:`choose` then picks the seed by the teacher's ``choice``;
the test scores of the chosen teacher are part of every student record. Every candidate's test scores are measured
too, for the report only (book chapter "Teacher and prior"), except under the ``test_auc_prc`` choice, the released
rule that the book runs solely to measure what choosing on the test split adds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, get_args

import numpy as np
import torch
from torch import Tensor

from gdpd.architectures import build_classifier
from gdpd.config import TeacherChoice, TeacherRun
from gdpd.data import load_dataset
from gdpd.dataset import Dataset, validation_split
from gdpd.methods import build_distiller
from gdpd.metrics import confidence, evaluate
from gdpd.models import Classifier, predict_outputs
from gdpd.provenance import provenance
from gdpd.store import ResultStore, atomic_write, atomic_write_text, safe_name
from gdpd.train import Split, fit, seed_everything

HISTORY_DIGITS = 5


def split_arrays(dataset: Dataset, val_fraction: float, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``train``, ``val`` and ``test`` as ``(X, y)``: the validation cases drawn from the training split with
    ``seed`` (:func:`gdpd.dataset.validation_split`), the official test split as it is."""
    train_idx, val_idx = validation_split(dataset.y_train, val_fraction, seed)
    return {
        "train": (dataset.X_train[train_idx], dataset.y_train[train_idx]),
        "val": (dataset.X_train[val_idx], dataset.y_train[val_idx]),
        "test": (dataset.X_test, dataset.y_test),
    }


def as_tensor(a: np.ndarray, device: torch.device) -> Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), device=device)


def new_classifier(architecture: str, in_channels: int, n_classes: int, hidden: int, layers: int,
                   device: torch.device) -> Classifier:
    return build_classifier(architecture, in_channels, n_classes, hidden=hidden, layers=layers).to(device)


def _new_teacher(run: TeacherRun, dataset: Dataset, device: torch.device) -> Classifier:
    tc = run.teacher
    return new_classifier(tc.architecture, dataset.n_channels, dataset.n_classes, tc.hidden, tc.layers, device)


def _read_teacher(run: TeacherRun, dataset: Dataset, store: ResultStore, key: str, device: torch.device,
                  candidate: bool) -> tuple[Classifier, dict[str, Any]]:
    """A stored teacher (or teacher seed) in eval mode, with its stored information."""
    model = _new_teacher(run, dataset, device)
    model.load_state_dict(torch.load(store.teacher_path(run.dataset, key, ".pt", candidate=candidate),
                                     map_location=device, weights_only=True))
    return model.eval(), json.loads(store.teacher_path(run.dataset, key, ".json", candidate=candidate).read_text())


def _scores(model: Classifier, x: Tensor, y: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    logits = predict_outputs(model, x).logits.cpu().numpy()
    return evaluate(y, logits), confidence(y, logits)


def _train_candidate(run: TeacherRun, dataset: Dataset, seed: int, device: torch.device,
                     progress: bool) -> tuple[Classifier, dict[str, Any]]:
    """Train the teacher of one seed on that seed's own split; its kept epoch's scores and its curve."""
    arrays = split_arrays(dataset, run.val_fraction, seed)
    x = {split: as_tensor(X, device) for split, (X, _) in arrays.items()}
    y = {split: as_tensor(labels, device).long() for split, (_, labels) in arrays.items()}
    seed_everything(seed)
    teacher = _new_teacher(run, dataset, device)
    result = fit(build_distiller("base", teacher, teacher.feature_dim), Split(x["train"], y["train"]),
                 Split(x["val"], y["val"]), run.teacher.train, seed, progress,
                 description=f"teacher {safe_name(run.dataset)} seed {seed}")
    val_metrics, val_confidence = _scores(teacher, x["val"], arrays["val"][1])
    test_metrics, test_confidence = _scores(teacher, x["test"], arrays["test"][1])
    candidate = {
        "seed": seed,
        "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run,
        "seconds_per_epoch": result.seconds_per_epoch,
        "majority_rate": float(np.bincount(arrays["val"][1]).max() / len(arrays["val"][1])),
        "val_metrics": val_metrics,
        "val_loss": result.best_val_loss,
        "val_confidence": val_confidence,
        "test_metrics": test_metrics,
        "test_confidence": test_confidence,
        "history": [{k: round(epoch[k], HISTORY_DIGITS) for k in ("val_loss", "val_accuracy", "ce")}
                    for epoch in result.history],
    }
    return teacher, candidate


Report = Callable[[str], None]
"""Where long computations say what they do, one line at a time (``gdpd run`` prints them; ``None`` is silent)."""


def duration(seconds: float) -> str:
    """A time for a progress line: seconds under two minutes, else minutes."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _say(report: Report | None, message: str) -> None:
    if report is not None:
        report(message)


def candidate(run: TeacherRun, dataset: Dataset, seed: int, store: ResultStore | None, device: torch.device,
              progress: bool = False, report: Report | None = None) -> tuple[Classifier, dict[str, Any]]:
    """The teacher of one seed: read from the store's candidates, or trained and stored there at once."""
    key = run.candidate_key(seed)
    if store is not None and store.has_teacher(run.dataset, key, candidate=True):
        _say(report, f"teacher {safe_name(run.dataset)}: seed {seed} read from the store (it finished training before)")
        model, stored = _read_teacher(run, dataset, store, key, device, candidate=True)
        return model, {k: v for k, v in stored.items() if k != "key"}
    model, info = _train_candidate(run, dataset, seed, device, progress)
    _say(report, f"teacher {safe_name(run.dataset)}: seed {seed} trained: {info['epochs_run']} epochs, kept epoch "
                 f"{info['best_epoch']}, validation accuracy {100 * info['val_metrics']['accuracy']:.1f} %")
    if store is not None:
        state = model.state_dict()
        atomic_write(store.teacher_path(run.dataset, key, ".pt", candidate=True),
                     lambda handle: torch.save(state, handle))
        atomic_write_text(store.teacher_path(run.dataset, key, ".json", candidate=True),
                          json.dumps({"key": key, **info}, sort_keys=True) + "\n")
    return model.eval(), info


def competent(candidate_info: Mapping[str, Any]) -> bool:
    """Whether a teacher seed's kept epoch is more accurate on its validation cases than the majority class: the
    one criterion of a teacher that has learnt something (every chapter reports teachers by it)."""
    return candidate_info["val_metrics"]["accuracy"] > candidate_info["majority_rate"]


def choose(candidates: Sequence[Mapping[str, Any]], choice: TeacherChoice) -> int:
    """The index of the chosen teacher seed among ``candidates`` (ties go to the earlier seed).

    - ``val_accuracy``: the highest validation accuracy at the kept epoch, then the lowest validation cross-entropy.
    - ``val_loss``: the lowest validation cross-entropy among the :func:`competent` seeds, or among all seeds when
      none is. The released criterion, guarded: on a handful of validation cases a seed whose kept epoch is the
      untrained plateau (outputs near uniform, validation cross-entropy near ln K) can have the lowest loss.
    - ``test_auc_prc``: the highest test AUC-PRC, the released rule exactly (it leaks the test split).
    """
    if not candidates:
        raise ValueError("no teacher seed to choose from; a teacher needs at least one seed")
    order = range(len(candidates))
    if choice == "val_accuracy":
        return min(order, key=lambda i: (-candidates[i]["val_metrics"]["accuracy"], candidates[i]["val_loss"]))
    if choice == "val_loss":
        eligible = [i for i in order if competent(candidates[i])] or list(order)
        return min(eligible, key=lambda i: candidates[i]["val_loss"])
    if choice == "test_auc_prc":
        return max(order, key=lambda i: (candidates[i]["test_metrics"]["auc_prc"], -i))
    raise ValueError(f"choice must be one of {', '.join(get_args(TeacherChoice))}; got {choice!r}")


def get_teacher(run: TeacherRun, store: ResultStore | None, device: torch.device, progress: bool = False,
                report: Report | None = None) -> tuple[Classifier, dict[str, Any]]:
    """The dataset's teacher: read from the store, or each seed read or trained (:func:`candidate`), one chosen
    (:func:`choose`), and stored. The returned information holds every seed's scores and validation curve.

    ``progress`` shows per-epoch bars; ``report`` receives a line per seed and one for the choice, with an estimate
    of the time left from the seeds trained so far.
    """
    key = run.key()
    dataset = load_dataset(run.dataset, max_length=run.max_length)
    if store is not None and store.has_teacher(run.dataset, key):
        return _read_teacher(run, dataset, store, key, device, candidate=False)
    seeds = run.teacher.seeds
    _say(report, f"teacher {safe_name(run.dataset)}: {len(seeds)} seeds on the full series, up to "
                 f"{run.teacher.train.epochs} epochs each; each seed is stored as it finishes, so an interrupted "
                 "teacher resumes")
    trained, seconds = [], []
    for number, seed in enumerate(seeds, 1):
        left = f"; about {duration((len(seeds) - number + 1) * sum(seconds) / len(seconds))} left" if seconds else ""
        _say(report, f"teacher {safe_name(run.dataset)}: seed {seed} ({number} of {len(seeds)}){left}")
        started = time.perf_counter()
        stored = store is not None and store.has_teacher(run.dataset, run.candidate_key(seed), candidate=True)
        trained.append(candidate(run, dataset, seed, store, device, progress, report))
        if not stored:
            seconds.append(time.perf_counter() - started)
    teacher, chosen = trained[choose([info for _, info in trained], run.teacher.choice)]
    info = {
        "key": key, "config": run.to_dict(),
        **{k: chosen[k] for k in ("seed", "best_epoch", "val_loss", "majority_rate", "val_metrics",
                                  "seconds_per_epoch", "val_confidence", "test_confidence")},
        "competent": competent(chosen),
        "metrics": chosen["test_metrics"],
        "candidates": [info for _, info in trained],
        "provenance": provenance(device),
    }
    _say(report, f"teacher {safe_name(run.dataset)}: seed {info['seed']} chosen ({run.teacher.choice}); "
                 f"validation accuracy {100 * chosen['val_metrics']['accuracy']:.1f} % against a majority rate of "
                 f"{100 * chosen['majority_rate']:.1f} %")
    if store is not None:
        state = teacher.state_dict()
        atomic_write(store.teacher_path(run.dataset, key, ".pt"), lambda handle: torch.save(state, handle))
        atomic_write_text(store.teacher_path(run.dataset, key, ".json"), json.dumps(info, sort_keys=True) + "\n")
    return teacher, info
