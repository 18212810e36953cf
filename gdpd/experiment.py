"""The experiment protocol in one place: a run's configuration, the presets, the teacher cache and ``run``.

A run trains (or reuses) the dataset's teacher on full series, trains a student on prefixes with one distillation
method, evaluates it on the test prefixes and stores one record keyed by its configuration. The protocol is the GDPD
paper's as its released code runs it (book chapter "The method").
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gdpd.architectures import build_classifier
from gdpd.data import PHYSIONET_NAME, load_dataset
from gdpd.dataset import Dataset, DatasetError, validation_split
from gdpd.methods import METHODS, Distiller, MethodConfig, build_distiller
from gdpd.metrics import evaluate, softmax
from gdpd.models import Classifier, Outputs, predict_outputs
from gdpd.prefix import PrefixMode, channel_count, make_prefix, prefix_length
from gdpd.provenance import provenance, recorded_threads
from gdpd.store import ResultStore, atomic_write, atomic_write_text, config_key
from gdpd.train import FitResult, Split, TrainConfig, fit, seed_everything

PAPER_SEEDS = (1, 24, 300, 49000, 1001)
PROBABILITY_DIGITS = 5  # per-case class probabilities kept in each record (early-classification chapter)
PROTOCOL_VERSION = 2
"""The version of the experiment protocol; every run key holds it, so a change of protocol retires every record
computed under the previous one in one step. Version 1 (before 2026-12): teacher kept at its lowest validation loss
over all epochs, one validation split for every seed, a denoiser block with two layers and a ReLU after the residual
sum, diagnostics drawing from the training random stream. Version 2 fixes all four (book chapter "The method")."""

TEACHER_TRAIN = TrainConfig(
    epochs=600, warmup_epochs=0, patience=150, lr_schedule="constant", selection="val_accuracy", select_from=50
)
"""How every teacher trains: up to 600 epochs at a constant rate, keeping the epoch of highest validation accuracy
from epoch 50 on (ties to the later epoch) and stopping 150 epochs after the last improvement."""


@dataclass(frozen=True)
class TeacherConfig:
    """The full-series teacher: architecture, optimisation, and the seeds it is chosen from.

    Each seed trains on its own validation split; the teacher kept is the seed with the highest validation accuracy
    at its selected epoch (ties: the lower validation cross-entropy). A teacher whose validation accuracy does not beat
    the majority-class rate of its validation cases is reported as not competent.
    """

    architecture: str = "lstm"
    hidden: int = 100
    layers: int = 3
    train: TrainConfig = TEACHER_TRAIN
    seeds: tuple[int, ...] = PAPER_SEEDS

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("a teacher needs at least one seed to be chosen from; pass e.g. seeds=(1,)")


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one student run; its hash is the run's key in the store."""

    dataset: str
    earliness: float
    method: str
    seed: int
    prefix_mode: PrefixMode = "stretch"
    channel_fraction: float = 1.0
    architecture: str = "lstm"
    hidden: int = 100
    layers: int = 3
    method_config: MethodConfig = MethodConfig()  # noqa: RUF009 (frozen dataclasses: a shared default is safe)
    train: TrainConfig = TrainConfig()  # noqa: RUF009
    teacher: TeacherConfig = TeacherConfig()
    max_length: int = 100
    val_fraction: float = 0.2
    protocol: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        if self.protocol != PROTOCOL_VERSION:
            raise ValueError(
                f"protocol version {self.protocol!r} is not the one this code runs ({PROTOCOL_VERSION}); records of "
                "another version were computed by other code: check out the commit named in their provenance, or "
                f"drop the protocol field to run under version {PROTOCOL_VERSION}"
            )
        if not 0 < self.earliness <= 1:
            raise DatasetError(f"earliness must be in (0, 1], got {self.earliness}; pass a fraction such as 0.4")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; `gdpd methods` lists them: {', '.join(METHODS)}")
        settings = METHODS[self.method].settings
        unused = self.method_config.unused(settings)
        if unused:
            raise ValueError(
                f"method {self.method!r} has no setting {', '.join(unused)} (its settings: "
                f"{', '.join(settings) or 'none'}); drop the option or choose a method that reads it"
            )
        if not 0 < self.channel_fraction <= 1:
            raise DatasetError(
                f"channel_fraction must be in (0, 1], got {self.channel_fraction}; pass e.g. 0.5 for half the channels"
            )
        if self.prefix_mode not in ("stretch", "truncate"):
            raise DatasetError(f"prefix_mode must be 'stretch' or 'truncate', got {self.prefix_mode!r}")

    def full_dict(self) -> dict[str, Any]:
        """Every field, as JSON types."""
        return json.loads(json.dumps(asdict(self)))

    def to_dict(self) -> dict[str, Any]:
        """The fields that differ from their defaults, plus the four that have none and the protocol version.

        Keys hash this form, so adding an option with a default later leaves every stored key valid, while changing
        a default changes the keys of the runs it affects (their records then read as missing and are recomputed).
        """
        return _prune(self.full_dict(), _defaults(self))

    def key(self) -> str:
        return config_key(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_dict` (and of :meth:`full_dict`), so a stored record's configuration can be rerun."""
        if "protocol" not in data:
            raise ValueError(
                "this configuration predates protocol versions (version 1): it was computed by earlier code and "
                f"cannot be rerun by this one (version {PROTOCOL_VERSION}); check out the commit in its provenance"
            )
        required = cls(*(data[name] for name in REQUIRED_FIELDS), protocol=data["protocol"])
        full = _merge(_defaults(required), data)
        teacher = dict(full["teacher"])
        teacher["train"] = TrainConfig(**teacher["train"])
        teacher["seeds"] = tuple(teacher["seeds"])
        return cls(**{
            **full,
            "method_config": MethodConfig(**full["method_config"]),
            "train": TrainConfig(**full["train"]),
            "teacher": TeacherConfig(**teacher),
        })


REQUIRED_FIELDS = ("dataset", "earliness", "method", "seed")
KEPT_FIELDS = (*REQUIRED_FIELDS, "protocol")


def _defaults(config: RunConfig) -> dict[str, Any]:
    """Default values of every field but those always kept (the required ones and the protocol version)."""
    full = RunConfig(config.dataset, config.earliness, config.method, config.seed).full_dict()
    return {name: value for name, value in full.items() if name not in KEPT_FIELDS}


def _prune(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the entries equal to ``defaults`` (recursively); entries without a default stay."""
    pruned = {}
    for name, value in values.items():
        default = defaults.get(name, _prune)
        if isinstance(value, dict) and isinstance(default, dict):
            nested = _prune(value, default)
            if nested:
                pruned[name] = nested
        elif value != default:
            pruned[name] = value
    return pruned


def _merge(defaults: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` updated by ``values``, recursively."""
    merged = dict(defaults)
    for name, value in values.items():
        merged[name] = _merge(defaults[name], value) if isinstance(defaults.get(name), dict) else value
    return merged


class Variant(NamedTuple):
    """One arm of an ablation: a label and the RunConfig or MethodConfig fields it overrides."""

    label: str
    overrides: Mapping[str, Any]


@dataclass(frozen=True)
class Preset:
    """A named protocol: how runs train and which grid of cells a preset's table covers.

    ``variants`` turn a preset into an ablation: every cell is run once per variant.
    """

    name: str
    description: str
    student: TrainConfig
    teacher: TeacherConfig
    datasets: tuple[str, ...]
    earliness: tuple[float, ...]
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    weights: tuple[float, ...] = (1.0,)
    hidden: int = 100
    layers: int = 3
    method_config: MethodConfig = field(default_factory=MethodConfig)
    variants: tuple[Variant, ...] = (Variant("default", {}),)

    def config(self, dataset: str, earliness: float, method: str, seed: int, **overrides: Any) -> RunConfig:
        """The run configuration of one cell; ``overrides`` replace RunConfig or MethodConfig fields."""
        method_fields = {k: overrides.pop(k) for k in list(overrides) if k in MethodConfig.__dataclass_fields__}
        if method in METHODS and "weight" in method_fields and "weight" not in METHODS[method].settings:
            method_fields.pop("weight")  # a weight grid passes lambda to every method; Base has none
        fields: dict[str, Any] = {"hidden": self.hidden, "layers": self.layers, "train": self.student,
                                  "teacher": self.teacher, **overrides}
        return RunConfig(
            dataset=dataset, earliness=earliness, method=method, seed=seed,
            method_config=replace(self._method_defaults(method), **method_fields), **fields,
        )

    def _method_defaults(self, method: str) -> MethodConfig:
        """The preset's method settings as they apply to ``method`` (e.g. the Hinton term to GDPD only)."""
        return self.method_config.restricted(METHODS[method].settings) if method in METHODS else self.method_config

    def labelled_grid(self) -> list[tuple[str, RunConfig]]:
        """Every cell with its variant's label: seed x dataset x earliness x method x weight x variant.

        Base ignores the weight. Seeds come outermost so that a grid stopped part-way leaves complete tables for
        its first seeds.
        """
        return [
            (variant.label, self.config(dataset, earliness, method, seed, weight=weight, **variant.overrides))
            for seed in self.seeds
            for dataset in self.datasets
            for earliness in self.earliness
            for method in self.methods
            for weight in (self.weights if METHODS[method].needs_teacher else (1.0,))
            for variant in self.variants
        ]

    def grid(self) -> list[RunConfig]:
        """Every cell of the preset (see :meth:`labelled_grid`)."""
        return [config for _, config in self.labelled_grid()]


BOOK_DATASETS = (
    "ArrowHead", "Coffee", "Covid3Month_disc", "GunPoint", "ItalyPowerDemand",
    "OSULeaf", "PickupGestureWiimoteZ", "Trace", "UnitTest", "ACSF1",
)
CORE_METHODS = ("base", "kd", "fitnets", "gdpd")
PAPER_DATASETS = ("ItalyPowerDemand", "Coffee", "ArrowHead", "GunPoint", "Trace", "OSULeaf")
"""The offline datasets the released loader accepts (2015 UCR names), cheapest first so that a grid stopped part-way
leaves the expensive ones out rather than scattered seeds."""
BOOK_STUDENT = TrainConfig(epochs=120, warmup_epochs=60, patience=30, lr_schedule="constant")
BOOK_TEACHER = TeacherConfig()  # every preset but smoke shares one teacher per dataset

# An ablation of a distiller needs a teacher with something to distil: these are the book datasets whose stored
# teacher reaches a validation cross-entropy below ABLATION_TEACHER_VAL_LOSS (chosen on validation, never on test;
# tests/test_presets.py checks the committed teachers against the rule).
ABLATION_DATASETS = ("Coffee", "GunPoint", "ItalyPowerDemand", "UnitTest")
ABLATION_TEACHER_VAL_LOSS = 0.1


def _ablation(name: str, description: str, variants: tuple[Variant, ...], **fields: Any) -> Preset:
    """GDPD on four book datasets at earliness 0.2 and 0.6, 5 seeds, trained as in the book preset.

    The ``default`` arm is the book preset's own configuration, so those runs are shared with the book's grid.
    """
    settings: dict[str, Any] = {
        "student": BOOK_STUDENT, "teacher": BOOK_TEACHER, "datasets": ABLATION_DATASETS, "earliness": (0.2, 0.6),
        "methods": ("gdpd",), "seeds": PAPER_SEEDS, **fields,
    }
    return Preset(name=name, description=description, variants=(Variant("default", {}), *variants), **settings)


SCHEDULE_DATASETS = ("ACSF1", "Covid3Month_disc", "OSULeaf", "Trace")
"""The book datasets whose training split (after the validation split) holds more than one batch of 64, so that a
per-batch and a per-epoch learning-rate schedule step at different moments; on the ablation datasets every epoch is
one batch and the two are the same run. A test checks the rule against the data."""

_SCHEDULE_VARIANTS = (
    Variant("per-batch lr", {"train": replace(BOOK_STUDENT, lr_schedule="per_batch")}),
    Variant("per-epoch lr", {"train": replace(BOOK_STUDENT, lr_schedule="per_epoch")}),
)

ABLATIONS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        _ablation("ablation-alpha", "learned per-sample alpha against fixed alpha in {0, 0.25, 0.5, 0.75, 1}",
                  tuple(Variant(f"alpha={a:g}", {"alpha": a}) for a in (0.0, 0.25, 0.5, 0.75, 1.0))),
        _ablation("ablation-samples", "hint samples per step J in {1, 2, 4, 8}",
                  tuple(Variant(f"J={j}", {"samples": j}) for j in (2, 4, 8))),
        _ablation("ablation-warmup", "warm-up fraction in {0, 0.25, 0.5, 0.75}; the prior trained all along",
                  (*(Variant(f"warm-up {f:g}",
                             {"train": replace(BOOK_STUDENT, warmup_epochs=round(f * BOOK_STUDENT.epochs))})
                     for f in (0.0, 0.25, 0.75)),
                   Variant("joint prior", {"joint_prior": True}))),
        _ablation("ablation-ddim", "DDIM steps in {1, 2, 5, 10} from step 400; start step in {200, 400, 600, 800}",
                  (*(Variant(f"steps={n}", {"ddim_steps": n}) for n in (1, 2, 10)),
                   *(Variant(f"start={t}", {"ddim_start": t}) for t in (200, 600, 800)))),
        _ablation("ablation-conditioning", "noise-fusion start against DPS-style likelihood guidance",
                  (Variant("dps", {"conditioning": "dps"}),)),
        _ablation("ablation-protocol", "paper versus released code: prefix mode, Hinton term, learning-rate schedule",
                  (Variant("truncate", {"prefix_mode": "truncate"}), Variant("hinton", {"hinton": True}),
                   *_SCHEDULE_VARIANTS)),
        _ablation("ablation-schedule", "the released per-batch learning-rate schedule against a per-epoch one, on the "
                  "book datasets with several batches per epoch", _SCHEDULE_VARIANTS, datasets=SCHEDULE_DATASETS),
        _ablation("ablation-lambda", "lambda in {0.1, 1, 10} for every distiller, to compare selection on validation "
                  "with selection on the test split", (), methods=CORE_METHODS, weights=(0.1, 1.0, 10.0)),
    )
}

UEA_DATASETS = ("BasicMotions", "JapaneseVowels")
SETTINGS_DATASETS = ("Coffee", "GunPoint", "ItalyPowerDemand", "Trace")
EARLY_DATASETS = SETTINGS_DATASETS  # the early-classification chapter's banks reuse the book preset's runs there
EARLY_METHODS = ("base", "kd", "gdpd")
INCEPTION_TEACHER = TeacherConfig(architecture="inception", hidden=32, layers=6)

SETTINGS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="uea",
            description=(
                "multivariate UEA data with channel partialness: the student sees a prefix of the first half of the "
                "channels (as the released code), the teacher every channel of the full series; 'all channels' "
                "is the time-prefix-only reference"
            ),
            student=BOOK_STUDENT, teacher=BOOK_TEACHER, datasets=UEA_DATASETS, earliness=(0.4,),
            methods=CORE_METHODS, seeds=PAPER_SEEDS,
            variants=(Variant("half channels", {"channel_fraction": 0.5}), Variant("all channels", {})),
        ),
        Preset(
            name="physionet",
            description=(
                "PhysioNet/CinC 2012 in-hospital mortality (37 variables, hourly over 48 h): the student sees the "
                "first 12 or 24 hours; runs only where the challenge data is in data/physionet2012"
            ),
            student=BOOK_STUDENT, teacher=BOOK_TEACHER, datasets=(PHYSIONET_NAME,), earliness=(0.25, 0.5),
            methods=CORE_METHODS, seeds=PAPER_SEEDS,
        ),
        Preset(
            name="architectures",
            description=(
                "teacher -> student pairs: LSTM3-100 -> LSTM3-100 (the book's, same architecture), LSTM3-100 -> "
                "LSTM2-32 (compression) and InceptionTime -> ResNet (cross-architecture), trained as in the book"
            ),
            student=BOOK_STUDENT, teacher=BOOK_TEACHER, datasets=SETTINGS_DATASETS, earliness=(0.4,),
            methods=CORE_METHODS, seeds=PAPER_SEEDS,
            variants=(
                Variant("LSTM3-100 -> LSTM3-100", {}),
                Variant("LSTM3-100 -> LSTM2-32", {"hidden": 32, "layers": 2}),
                Variant("InceptionTime -> ResNet",
                        {"architecture": "resnet", "hidden": 64, "layers": 3, "teacher": INCEPTION_TEACHER}),
            ),
        ),
    )
}

PRESETS: dict[str, Preset] = {
    "smoke": Preset(
        name="smoke",
        description="seconds per run, for tests: a small LSTM, a few epochs",
        student=TrainConfig(epochs=6, warmup_epochs=3, lr_schedule="constant", batch_size=64),
        teacher=TeacherConfig(
            hidden=16, layers=1, seeds=(1, 24),
            train=TrainConfig(epochs=8, warmup_epochs=0, lr_schedule="constant", selection="val_accuracy",
                              select_from=2),
        ),
        datasets=("GunPoint", "UnitTest"),
        earliness=(0.4,),
        methods=CORE_METHODS,
        seeds=(1,),
        hidden=16,
        layers=1,
    ),
    "book": Preset(
        name="book",
        description=(
            "what the book renders: LSTM3-100 -> LSTM3-100, 120 student epochs (warm-up 60, then early stopping "
            "with patience 30), constant learning rate, lambda = 1, a 300-epoch teacher (patience 100)"
        ),
        student=BOOK_STUDENT,
        teacher=BOOK_TEACHER,
        datasets=BOOK_DATASETS,
        earliness=(0.2, 0.4, 0.6, 0.8),
        methods=CORE_METHODS,
        seeds=PAPER_SEEDS,
    ),
    "zoo": Preset(
        name="zoo",
        description=(
            "the paper's comparison with other distillers (its Table 2): earliness 0.5, all registered methods, "
            "trained as in the book preset and sharing its teachers"
        ),
        student=BOOK_STUDENT,
        teacher=BOOK_TEACHER,
        datasets=BOOK_DATASETS,
        earliness=(0.5,),
        methods=tuple(METHODS),
        seeds=PAPER_SEEDS,
    ),
    "paper": Preset(
        name="paper",
        description=(
            "the released protocol (Table 1): LSTM3-100 -> LSTM3-100, 600 epochs, warm-up 300, per-batch LR schedule, "
            "lambda = 1 for every distiller, GDPD with the released Hinton term, on the offline datasets the "
            "released loader accepts"
        ),
        student=TrainConfig(epochs=600, warmup_epochs=300, lr_schedule="per_batch"),
        teacher=BOOK_TEACHER,
        datasets=PAPER_DATASETS,
        earliness=(0.2, 0.4, 0.6, 0.8),
        methods=CORE_METHODS,
        seeds=PAPER_SEEDS,
        method_config=MethodConfig(hinton=True),
    ),
    "budget-probe": Preset(
        name="budget-probe",
        description=(
            "convergence evidence for the book protocol's budget: Base students on every book dataset at earliness "
            "0.2 and 0.8, 400 epochs at the book's constant rate with no early stopping, so that any shorter budget "
            "can be replayed from the training and validation curves"
        ),
        student=TrainConfig(epochs=400, warmup_epochs=0, lr_schedule="constant"),
        teacher=BOOK_TEACHER,
        datasets=BOOK_DATASETS,
        earliness=(0.2, 0.8),
        methods=("base",),
        seeds=(1,),
    ),
    **ABLATIONS,
    **SETTINGS,
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


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


def teacher_config_dict(config: RunConfig) -> dict[str, Any]:
    """What determines a dataset's teacher; every student sharing it reuses one cached teacher."""
    run = config.to_dict()
    return {k: run[k] for k in ("dataset", "teacher", "max_length", "val_fraction", "protocol") if k in run}


def _new_classifier(
    architecture: str, in_channels: int, n_classes: int, hidden: int, layers: int, device: torch.device
) -> Classifier:
    return build_classifier(architecture, in_channels, n_classes, hidden=hidden, layers=layers).to(device)


HISTORY_DIGITS = 5


def _teacher_candidate(
    config: RunConfig, seed: int, device: torch.device, progress: bool
) -> tuple[Classifier, dict[str, Any]]:
    """Train the teacher of one seed on that seed's own split; its selected epoch's validation scores and curve."""
    tc = config.teacher
    data = prepare(config, device, split_seed=seed)
    seed_everything(seed)
    teacher = _new_classifier(tc.architecture, data.dataset.n_channels, data.dataset.n_classes, tc.hidden, tc.layers,
                              device)
    result = fit(build_distiller("base", teacher, teacher.feature_dim, MethodConfig()),
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
    if paths is not None and all(path.exists() for path in paths):
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
            f"{config.method} on {config.dataset} (e = {config.earliness}, seed {config.seed}) has no stored weights in "
            f"{store.root}; store them with `gdpd run --dataset {config.dataset} --earliness {config.earliness} "
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
    has_model = store is not None and store.model_path(config.dataset, config.key()).exists()
    if stored is not None and not recompute and (has_model or not keep_model):
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
    config = RunConfig.from_dict(record["config"])
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
