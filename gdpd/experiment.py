"""The experiment protocol: the data a run sees, the teacher it distils from, and ``run``.

A run trains (or reuses) the dataset's teacher on full series (:mod:`gdpd.teacher_training`), trains a student on
prefixes with one distillation method, evaluates it on the test prefixes and stores one record keyed by its
configuration (:mod:`gdpd.config`; the named grids of runs are :mod:`gdpd.presets`). The protocol is the GDPD
paper's as its released code runs it (book chapter "The method").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gdpd.config import RunConfig
from gdpd.data import load_dataset
from gdpd.dataset import Dataset
from gdpd.methods import Distiller, build_distiller, config_from_dict
from gdpd.metrics import evaluate, softmax
from gdpd.models import Classifier, Outputs, predict_outputs
from gdpd.prefix import channel_count, make_prefix
from gdpd.provenance import provenance, recorded_threads
from gdpd.store import ResultStore, atomic_write, safe_name
from gdpd.teacher_training import Report, as_tensor, duration, get_teacher, new_classifier, split_arrays
from gdpd.train import FitResult, Split, fit, seed_everything

PROBABILITY_DIGITS = 5  # per-case class probabilities kept in each record (early-classification chapter)


@dataclass
class PreparedData:
    """Tensors of a dataset's splits: full series for the teacher, prefixes for the student."""

    dataset: Dataset
    full: dict[str, Tensor]
    prefix: dict[str, Tensor]
    labels: dict[str, Tensor]


def prepare(config: RunConfig, device: torch.device) -> PreparedData:
    """Load the dataset, split off the run seed's validation cases, and cut prefixes at the run's earliness (and
    channel fraction)."""
    dataset = load_dataset(config.dataset, max_length=config.max_length)
    channels = channel_count(dataset.n_channels, config.channel_fraction)
    arrays = split_arrays(dataset, config.val_fraction, config.seed)
    return PreparedData(
        dataset,
        full={k: as_tensor(X, device) for k, (X, _) in arrays.items()},
        prefix={
            k: as_tensor(make_prefix(X[:, :channels], config.earliness, config.prefix_mode), device)
            for k, (X, _) in arrays.items()
        },
        labels={k: as_tensor(y, device).long() for k, (_, y) in arrays.items()},
    )


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
    student = new_classifier(config.architecture, data.prefix["train"].shape[1], data.dataset.n_classes,
                              config.hidden, config.layers, device)
    return build_distiller(config.method, student, teacher.feature_dim, config.method_config).to(device)


def train_run(
    config: RunConfig, store: ResultStore | None = None, device: str | torch.device = "cpu", progress: bool = False,
    report: Report | None = None,
) -> TrainedRun:
    """Prepare the data, get the teacher and train the student of ``config`` (no evaluation, nothing stored);
    ``report`` receives a line per step (:func:`gdpd.teacher_training.get_teacher`)."""
    torch_device = resolve_device(device)
    data = prepare(config, torch_device)
    teacher, teacher_info = get_teacher(config.teacher_run, store, torch_device, progress, report)
    if report is not None and not teacher_info["competent"]:
        report(f"teacher {safe_name(config.dataset)}: not competent (validation accuracy at or below the majority "
               "rate); the student is trained, but a comparison of distillers on this dataset says little")
    teacher_out = {k: predict_outputs(teacher, x) for k, x in data.full.items()}
    distiller = _build_student(config, data, teacher, torch_device)
    if report is not None:
        report(f"student: {config.method} on {safe_name(config.dataset)} at earliness {config.earliness} "
               f"(seed {config.seed}), up to {config.train.epochs} epochs on prefixes "
               f"({len(data.labels['train'])} training series)")
    result = fit(
        distiller,
        Split(data.prefix["train"], data.labels["train"], teacher_out["train"]),
        Split(data.prefix["val"], data.labels["val"], teacher_out["val"]),
        config.train, config.seed, progress,
        description=f"{config.method} {safe_name(config.dataset)} e={config.earliness}",
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
    teacher, teacher_info = get_teacher(config.teacher_run, store, torch_device)
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
    report: Report | None = None,
) -> dict[str, Any]:
    """Train and evaluate one student, or return its stored record; store the new record when ``store`` is given.

    ``report`` receives a line for each step: whether the record was read from the store, each teacher seed, the
    student's training and its time.

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
        if report is not None:
            report(f"record {stored['key']} read from the store, not trained (--recompute trains it again)")
        return stored
    with recorded_threads(stored):  # a recomputed record is retrained with the thread count it was computed with
        record, trained = _train_and_record(config, store, device, progress, report)
    if report is not None:
        report(f"student trained in {duration(record['training']['train_seconds'])} "
               f"({record['training']['epochs_run']} epochs, kept epoch {record['training']['best_epoch']})")
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
    config: RunConfig, store: ResultStore | None, device: str | torch.device, progress: bool,
    report: Report | None = None,
) -> tuple[dict[str, Any], TrainedRun]:
    """Train one student and build its record (:func:`run`); the trained run comes with it."""
    started = time.perf_counter()
    trained = train_run(config, store, device, progress, report)
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
