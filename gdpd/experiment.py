"""The experiment protocol: the data a run sees, the teacher it distils from, and ``run``.

A run trains (or reuses) the dataset's teacher on full series, trains a student on prefixes with one distillation
method, evaluates it on the test prefixes and stores one record keyed by its configuration (:mod:`gdpd.config`;
the named grids of runs are :mod:`gdpd.presets`). The protocol is the GDPD paper's as its released code runs it (book
chapter "The method").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gdpd.architectures import build_classifier
from gdpd.config import RunConfig, config_key, teacher_config_dict
from gdpd.data import load_dataset
from gdpd.dataset import Dataset, validation_split
from gdpd.methods import Distiller, build_distiller, config_from_dict
from gdpd.metrics import evaluate, softmax
from gdpd.models import Classifier, Outputs, predict_outputs
from gdpd.prefix import channel_count, make_prefix, prefix_length
from gdpd.provenance import provenance, recorded_threads
from gdpd.store import ResultStore, atomic_write, atomic_write_text
from gdpd.train import FitResult, Split, fit, seed_everything

PROBABILITY_DIGITS = 5  # per-case class probabilities kept in each record (early-classification chapter)
HISTORY_DIGITS = 5


@dataclass
class PreparedData:
    """Tensors of a dataset's splits: full series for the teacher, prefixes for the student."""

    dataset: Dataset
    full: dict[str, Tensor]
    prefix: dict[str, Tensor]
    labels: dict[str, Tensor]


def prepare(config: RunConfig, device: torch.device, split_seed: int | None = None) -> PreparedData:
    """Load the dataset, split off validation, and cut prefixes at the run's earliness (and channel fraction).

    The validation split is drawn with the run's seed (``split_seed`` overrides it: a teacher seed's own split).
    """
    dataset = load_dataset(config.dataset, max_length=config.max_length)
    prefix_length(dataset.length, config.earliness)
    channels = channel_count(dataset.n_channels, config.channel_fraction)
    seed = config.seed if split_seed is None else split_seed
    train_idx, val_idx = validation_split(dataset.y_train, config.val_fraction, seed)
    arrays = {
        "train": (dataset.X_train[train_idx], dataset.y_train[train_idx]),
        "val": (dataset.X_train[val_idx], dataset.y_train[val_idx]),
        "test": (dataset.X_test, dataset.y_test),
    }

    def tensor(a: np.ndarray) -> Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), device=device)

    return PreparedData(
        dataset,
        full={k: tensor(X) for k, (X, _) in arrays.items()},
        prefix={
            k: tensor(make_prefix(X[:, :channels], config.earliness, config.prefix_mode))
            for k, (X, _) in arrays.items()
        },
        labels={k: tensor(y).long() for k, (_, y) in arrays.items()},
    )


def _new_classifier(
    architecture: str, in_channels: int, n_classes: int, hidden: int, layers: int, device: torch.device
) -> Classifier:
    return build_classifier(architecture, in_channels, n_classes, hidden=hidden, layers=layers).to(device)


def _teacher_candidate(
    config: RunConfig, seed: int, device: torch.device, progress: bool
) -> tuple[Classifier, dict[str, Any]]:
    """Train the teacher of one seed on that seed's own split; its selected epoch's validation scores and curve."""
    tc = config.teacher
    data = prepare(config, device, split_seed=seed)
    seed_everything(seed)
    teacher = _new_classifier(tc.architecture, data.dataset.n_channels, data.dataset.n_classes, tc.hidden, tc.layers,
                              device)
    result = fit(build_distiller("base", teacher, teacher.feature_dim),
                 Split(data.full["train"], data.labels["train"]), Split(data.full["val"], data.labels["val"]),
                 tc.train, seed, progress, description=f"teacher {config.dataset} seed {seed}")
    y_val = data.labels["val"].cpu().numpy()
    val_logits = predict_outputs(teacher, data.full["val"]).logits.cpu().numpy()
    candidate = {
        "seed": seed,
        "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run,
        "seconds_per_epoch": result.seconds_per_epoch,
        "majority_rate": float(np.bincount(y_val).max() / len(y_val)),
        "val_metrics": evaluate(y_val, val_logits),
        "val_loss": result.best_val_loss,
        "history": [{k: round(epoch[k], HISTORY_DIGITS) for k in ("val_loss", "val_accuracy", "ce")}
                    for epoch in result.history],
    }
    return teacher, candidate


def teacher_rank(candidate: dict[str, Any]) -> tuple[float, float]:
    """Sort key of a teacher seed, best first: higher validation accuracy, then lower validation cross-entropy."""
    return -candidate["val_metrics"]["accuracy"], candidate["val_loss"]


def get_teacher(
    config: RunConfig, data: PreparedData, store: ResultStore | None, device: torch.device, progress: bool = False
) -> tuple[Classifier, dict[str, Any]]:
    """The dataset's teacher: loaded from the cache, or trained on full series and chosen among its seeds.

    Chosen on validation only (:class:`TeacherConfig`); the test scores are measured once, after the choice. The
    returned information holds every seed's validation curve (the book's method chapter plots them).
    """
    tc = config.teacher
    spec = teacher_config_dict(config)
    key = config_key(spec)

    paths = None if store is None else (
        store.teacher_path(config.dataset, key, ".pt"), store.teacher_path(config.dataset, key, ".json")
    )
    if store is not None and store.has_teacher(config.dataset, key):
        teacher = _new_classifier(tc.architecture, data.dataset.n_channels, data.dataset.n_classes, tc.hidden,
                                  tc.layers, device)
        teacher.load_state_dict(torch.load(paths[0], map_location=device, weights_only=True))
        teacher.eval()
        return teacher, json.loads(paths[1].read_text())
    trained = [_teacher_candidate(config, seed, device, progress) for seed in tc.seeds]
    teacher, chosen = min(trained, key=lambda pair: teacher_rank(pair[1]))
    teacher.eval()
    test_logits = predict_outputs(teacher, data.full["test"]).logits
    info = {
        "key": key, "config": spec,
        **{k: chosen[k] for k in ("seed", "best_epoch", "val_loss", "majority_rate", "val_metrics",
                                  "seconds_per_epoch")},
        "competent": chosen["val_metrics"]["accuracy"] > chosen["majority_rate"],
        "metrics": evaluate(data.labels["test"].cpu().numpy(), test_logits.cpu().numpy()),
        "candidates": [candidate for _, candidate in trained],
        "provenance": provenance(device),
    }
    if paths is not None:
        state = teacher.state_dict()
        atomic_write(paths[0], lambda handle: torch.save(state, handle))
        atomic_write_text(paths[1], json.dumps(info, sort_keys=True) + "\n")
    return teacher, info


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` picks CUDA when available; a CUDA request without a GPU is an error, not a silent fallback."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA GPU is visible; use --device cpu or auto")
    return resolved


@dataclass
class TrainedRun:
    """A trained student with everything it was trained from, for notebooks that look inside a run."""

    config: RunConfig
    data: PreparedData
    teacher: Classifier
    teacher_info: dict[str, Any]
    teacher_outputs: dict[str, Outputs]
    distiller: Distiller
    result: FitResult

    @property
    def student(self) -> Classifier:
        return self.distiller.student


def _build_student(config: RunConfig, data: PreparedData, teacher: Classifier, device: torch.device) -> Distiller:
    """A fresh student wrapped by its method, initialised from the run's seed."""
    seed_everything(config.seed)
    student = _new_classifier(config.architecture, data.prefix["train"].shape[1], data.dataset.n_classes,
                              config.hidden, config.layers, device)
    return build_distiller(config.method, student, teacher.feature_dim, config.method_config).to(device)


def train_run(
    config: RunConfig, store: ResultStore | None = None, device: str | torch.device = "cpu", progress: bool = False
) -> TrainedRun:
    """Prepare the data, get the teacher and train the student of ``config`` (no evaluation, nothing stored)."""
    torch_device = resolve_device(device)
    data = prepare(config, torch_device)
    teacher, teacher_info = get_teacher(config, data, store, torch_device, progress)
    teacher_out = {k: predict_outputs(teacher, x) for k, x in data.full.items()}
    distiller = _build_student(config, data, teacher, torch_device)
    result = fit(
        distiller,
        Split(data.prefix["train"], data.labels["train"], teacher_out["train"]),
        Split(data.prefix["val"], data.labels["val"], teacher_out["val"]),
        config.train, config.seed, progress, description=f"{config.method} {config.dataset} e={config.earliness}",
    )
    return TrainedRun(config, data, teacher, teacher_info, teacher_out, distiller, result)


def load_trained(config: RunConfig, store: ResultStore, device: str | torch.device = "cpu") -> TrainedRun:
    """A stored run with its trained modules (student and method parts), as :func:`train_run` left them.

    Needs the record and the weights that ``run(..., keep_model=True)`` (``gdpd run --keep-model``) stores; nothing
    is trained, so a chapter that looks inside a run gives the same numbers at every execution.
    """
    record = store.get(config.dataset, config.key())
    path = store.model_path(config.dataset, config.key())
    if record is None or not path.exists():
        raise LookupError(
            f"{config.method} on {config.dataset} (e = {config.earliness}, seed {config.seed}) has no stored weights "
            f"in {store.root}; store them with `gdpd run --dataset {config.dataset} --earliness {config.earliness} "
            f"--method {config.method} --seed {config.seed} --keep-model` and the preset's options"
        )
    torch_device = resolve_device(device)
    data = prepare(config, torch_device)
    teacher, teacher_info = get_teacher(config, data, store, torch_device)
    teacher_out = {k: predict_outputs(teacher, x) for k, x in data.full.items()}
    distiller = _build_student(config, data, teacher, torch_device)
    distiller.load_state_dict(torch.load(path, map_location=torch_device, weights_only=True))
    distiller.eval()
    training = record["training"]
    result = FitResult(training["best_epoch"], training["best_val_loss"], training["epochs_run"], record["history"],
                       training["train_seconds"])
    return TrainedRun(config, data, teacher, teacher_info, teacher_out, distiller, result)


def run(
    config: RunConfig,
    store: ResultStore | None = None,
    device: str | torch.device = "cpu",
    progress: bool = False,
    recompute: bool = False,
    keep_model: bool = False,
) -> dict[str, Any]:
    """Train and evaluate one student, or return its stored record; store the new record when ``store`` is given.

    ``keep_model`` also stores the trained modules' weights (:func:`load_trained` reads them back); a stored record
    without them is trained again to get them.

    The record holds the configuration, test and validation metrics, the training history, provenance, and the
    student's class probabilities on the validation and test cases (``probabilities[split]``, rounded), from which
    the early-classification chapter assembles banks of students without training them again. ``recompute``
    trains a stored configuration again, with the torch thread count its record was computed with.
    """
    stored = None if store is None else store.get(config.dataset, config.key())
    if stored is not None and not recompute and not (keep_model and not store.model_path(config.dataset,
                                                                                        config.key()).exists()):
        return stored
    with recorded_threads(stored):  # a recomputed record is retrained with the thread count it was computed with
        record, trained = _train_and_record(config, store, device, progress)
    if store is not None:
        store.put(record)
        if keep_model:
            state = trained.distiller.state_dict()
            atomic_write(store.model_path(config.dataset, record["key"]), lambda handle: torch.save(state, handle))
    return record


def check_record(record: dict[str, Any], store: ResultStore, device: str | torch.device = "cpu") -> pd.DataFrame:
    """Train a stored record's configuration again, with its recorded thread count, and compare, storing nothing.

    The teacher comes from ``store`` as it did for the record. One row per metric and the best epoch: ``stored``,
    ``recomputed`` and ``identical`` (exact equality; most records come back bit for bit, not all: floating-point
    differences of a last digit can grow over many epochs).
    """
    config = config_from_dict(record["config"])
    with recorded_threads(record):
        fresh, _ = _train_and_record(config, store, device, progress=False)

    def facts(run_record: dict[str, Any]) -> pd.Series:
        return pd.Series({**run_record["metrics"], "best_epoch": run_record["training"]["best_epoch"]}, dtype=object)

    table = pd.DataFrame({"stored": facts(record)}).join(facts(fresh).rename("recomputed"))
    table["identical"] = table["stored"] == table["recomputed"]
    return table.rename_axis("metric")


def _train_and_record(
    config: RunConfig, store: ResultStore | None, device: str | torch.device, progress: bool
) -> tuple[dict[str, Any], TrainedRun]:
    """Train one student and build its record (:func:`run`); the trained run comes with it."""
    started = time.perf_counter()
    trained = train_run(config, store, device, progress)
    data, teacher_out, result = trained.data, trained.teacher_outputs, trained.result
    teacher_info = trained.teacher_info
    metrics = {}
    probabilities = {}
    for split in ("test", "val"):
        student_logits = predict_outputs(trained.student, data.prefix[split]).logits.cpu().numpy()
        scores = evaluate(data.labels[split].cpu().numpy(), student_logits, teacher_out[split].logits.cpu().numpy())
        metrics.update(scores if split == "test" else {f"val_{k}": v for k, v in scores.items()})
        probabilities[split] = np.round(softmax(student_logits), PROBABILITY_DIGITS).tolist()
    metrics.update({f"teacher_{k}": v for k, v in teacher_info["metrics"].items()})
    metrics.update({f"teacher_val_{k}": v for k, v in teacher_info["val_metrics"].items()})
    record = {
        "key": config.key(),
        "config": config.to_dict(),
        "metrics": metrics,
        "training": {
            "best_epoch": result.best_epoch, "epochs_run": result.epochs_run, "best_val_loss": result.best_val_loss,
            "train_seconds": result.train_seconds, "seconds_per_epoch": result.seconds_per_epoch,
            "teacher_key": teacher_info["key"], "teacher_seed": teacher_info["seed"],
            "teacher_competent": teacher_info["competent"],
        },
        "history": [{k: round(v, 5) for k, v in epoch.items()} for epoch in result.history],
        "probabilities": probabilities,
        "provenance": {**provenance(trained.data.full["train"].device), "wall_seconds": time.perf_counter() - started},
    }
    return record, trained
