"""The configuration layer: every setting that determines a run, as frozen dataclasses, and the key of a run.

Nothing here imports a numerical library, so the preset catalogue, the command line and the tables read and build
configurations without loading torch. :class:`TrainConfig` is how a model trains, :class:`TeacherConfig` the
full-series teacher, :class:`MethodSettings` the base of a distillation method's own settings (each method declares
its subclass next to its loss, in :mod:`gdpd.methods`), and :class:`RunConfig` one student run, whose pruned
dictionary hashes into the key that addresses its record in the store (:func:`config_key`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

PROTOCOL_VERSION = 2
"""The version of the experiment protocol; every run key (and every cost measurement's) holds it, so a change of
protocol retires every record computed under the previous one in one step. Version 1 (before 2026-12): teacher kept
at its lowest validation loss over all epochs, one validation split for every seed, a denoiser block with two layers
and a ReLU after the residual sum, diagnostics drawing from the training random stream. Version 2 fixes all four
(book chapter "The method")."""
PAPER_SEEDS = (1, 24, 300, 49000, 1001)


def require_current_protocol(protocol: int, action: str) -> None:
    """Refuse a configuration of another protocol version than :data:`PROTOCOL_VERSION`, naming the fix; ``action``
    is what this code would do with it (``"run"``, ``"measure"``)."""
    if protocol != PROTOCOL_VERSION:
        raise ValueError(
            f"protocol version {protocol!r} is not the one this code {action}s ({PROTOCOL_VERSION}); a record of "
            "another version was computed by other code: check out the commit named in its provenance, or drop the "
            f"protocol field to {action} under version {PROTOCOL_VERSION}"
        )


def require_fraction(name: str, value: float, example: str) -> None:
    """Refuse a fraction outside (0, 1] (earliness, channel fraction), naming the fix: ``example`` is what to pass."""
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}; pass {example}")


def field_default(cls: type, name: str) -> Any:
    """The default that the dataclass ``cls`` declares for its field ``name``: the one place a default is stated."""
    return next(f.default for f in fields(cls) if f.name == name)


def setting(default: Any, help: str) -> Any:
    """A field that is a ``gdpd run`` flag (a method's setting, a run or teacher option), with the sentence that
    documents the flag; the flag is generated from the field (:mod:`gdpd.flags`)."""
    return field(default=default, metadata={"help": help})


PrefixMode = Literal["stretch", "truncate"]
LRSchedule = Literal["constant", "per_epoch", "per_batch"]
CheckpointRule = Literal["val_loss", "val_accuracy"]
TeacherChoice = Literal["val_accuracy", "val_loss", "test_auc_prc"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    ``lr_schedule``: ``constant``; ``per_epoch`` (MultiStepLR at epochs 25/30/35, gamma 0.5); or ``per_batch``, the
    released code's quirk of stepping that scheduler every batch, so the rate sits at 1.25e-4 after 35 batches.
    ``patience``: stop when the validation score has not improved for that many epochs after ``select_from``.
    ``selection``: the checkpoint kept, among epochs from ``select_from`` (default: the end of the warm-up) on:
    ``val_loss``, the lowest validation cross-entropy (students, as released); ``val_accuracy``, the highest
    validation accuracy with ties going to the later epoch (teachers), patience then counting from the last strict
    improvement.
    """

    epochs: int = 600
    warmup_epochs: int = 300
    patience: int | None = None
    lr: float = 1e-3
    weight_decay: float = 1e-5
    batch_size: int = 64
    lr_schedule: LRSchedule = "per_batch"
    selection: CheckpointRule = "val_loss"
    select_from: int | None = None

    @property
    def first_selectable(self) -> int:
        """The first epoch whose checkpoint may be kept."""
        return self.warmup_epochs if self.select_from is None else self.select_from

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(
                f"warmup_epochs must be in [0, epochs) so that a checkpoint can be selected after it; "
                f"got warmup_epochs={self.warmup_epochs}, epochs={self.epochs}"
            )
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {self.patience}")
        if self.lr_schedule not in ("constant", "per_epoch", "per_batch"):
            raise ValueError(f"lr_schedule must be constant, per_epoch or per_batch; got {self.lr_schedule!r}")
        if self.selection not in ("val_loss", "val_accuracy"):
            raise ValueError(f"selection must be val_loss or val_accuracy; got {self.selection!r}")
        if self.select_from is not None and not self.warmup_epochs <= self.select_from < self.epochs:
            raise ValueError(
                f"select_from (the first epoch a checkpoint may be kept, {self.select_from}) must lie in "
                f"[warmup_epochs, epochs) = [{self.warmup_epochs}, {self.epochs}); lower it or train for more epochs"
            )
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be >= 2 (BatchNorm layers need two cases), got {self.batch_size}")


TEACHER_TRAIN = TrainConfig(
    epochs=600, warmup_epochs=0, patience=150, lr_schedule="constant", selection="val_accuracy", select_from=50
)
"""The book protocol's teachers: up to 600 epochs at a constant rate, keeping the epoch of highest validation accuracy
from epoch 50 on (ties to the later epoch) and stopping 150 epochs after the last improvement."""

RELEASED_TEACHER_TRAIN = TrainConfig(epochs=600, warmup_epochs=0, patience=150, lr_schedule="per_batch")
"""The released teachers' training: the students' optimiser and per-batch learning-rate schedule on full series, up
to 600 epochs, keeping the epoch of lowest validation cross-entropy over all epochs and stopping 150 epochs after its
last improvement."""


@dataclass(frozen=True)
class TeacherConfig:
    """The full-series teacher: architecture, optimisation, the seeds it is chosen from and how it is chosen.

    Each seed trains on its own validation split and keeps one epoch (``train.selection``); ``choice`` then picks the
    seed (:func:`gdpd.teacher_training.choose`):

    - ``val_accuracy`` (the book protocol): the highest validation accuracy, ties to the lower validation
      cross-entropy;
    - ``val_loss`` (the paper protocol): the released criterion, the lowest validation cross-entropy, among the seeds
      whose kept epoch is more accurate on validation than the majority class (the untrained plateau guard);
    - ``test_auc_prc``: the released rule exactly, the best test AUC-PRC. It leaks the test split and exists only to
      measure what that leak adds (book chapter "Teacher and prior").

    A teacher whose validation accuracy does not beat the majority-class rate of its validation cases is reported as
    not competent.
    """

    architecture: str = setting("lstm", "teacher architecture (cross-architecture distillation)")
    hidden: int = setting(100, "teacher width")
    layers: int = setting(3, "teacher depth")
    train: TrainConfig = TEACHER_TRAIN
    seeds: tuple[int, ...] = PAPER_SEEDS
    choice: TeacherChoice = "val_accuracy"

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("a teacher needs at least one seed to be chosen from; pass e.g. seeds=(1,)")
        if self.choice not in get_args(TeacherChoice):
            raise ValueError(f"choice must be one of {', '.join(get_args(TeacherChoice))}; got {self.choice!r}")


@dataclass(frozen=True)
class TeacherRun:
    """Everything that determines a dataset's teacher; its hash is the teacher's key in the store.

    Every student run that shares these fields shares one teacher (:attr:`RunConfig.teacher_run`). A teacher seed's
    training does not depend on how the seed is then chosen, so each seed is a *candidate* with a key of its own
    (:meth:`candidate_key`) that teachers differing only in ``choice`` share.
    """

    dataset: str
    teacher: TeacherConfig = TeacherConfig()
    max_length: int = 100
    val_fraction: float = 0.2
    protocol: int = PROTOCOL_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The fields that differ from their defaults, plus the dataset and the protocol version (the form hashed)."""
        full = json.loads(json.dumps(asdict(self)))
        defaults = json.loads(json.dumps(asdict(TeacherRun(self.dataset))))
        return _prune(full, {k: v for k, v in defaults.items() if k not in ("dataset", "protocol")})

    def key(self) -> str:
        return config_key(self.to_dict())

    def candidate_key(self, seed: int) -> str:
        """The key of one candidate seed: the teacher's fields without the seeds and the choice, plus ``seed``."""
        data = json.loads(json.dumps(asdict(self)))
        for name in ("seeds", "choice"):
            del data["teacher"][name]
        return config_key({**data, "seed": seed})


@dataclass(frozen=True)
class MethodSettings:
    """A distillation method's own settings; this base holds none (Base trains on cross-entropy alone).

    A method declares its subclass next to its loss, with fields made by :func:`setting`. Each field is a ``gdpd run``
    flag and a preset override of the same name, and enters the run's key only when it differs from its default, so
    a method's key holds its own settings alone and a new setting with a default leaves every stored key valid.
    """

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class DistillationSettings(MethodSettings):
    """The paper's lambda: the weight of the distillation term beside the student's cross-entropy."""

    weight: float = setting(1.0, "the distillation weight lambda")

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError(f"weight (lambda) must be >= 0, got {self.weight}")


@dataclass(frozen=True)
class SoftTargetSettings(DistillationSettings):
    """Lambda and the temperature ``T`` that softens logits into soft targets (Hinton et al., 2015)."""

    temperature: float = setting(2.0, "the softmax temperature T of the soft targets")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one student run; its hash is the run's key in the store.

    ``method_config`` holds the method's own settings (an instance of its ``Settings`` class); build configurations
    with :meth:`gdpd.presets.Preset.config`, which picks that class, or :func:`gdpd.methods.config_from_dict`.
    """

    dataset: str
    earliness: float
    method: str
    seed: int
    prefix_mode: PrefixMode = setting("stretch", "how the student sees the prefix: re-stretched to the full length "
                                      "(the released code) or truncated (the paper's text)")
    channel_fraction: float = setting(1.0, "multivariate: the student sees only the first fraction of the channels "
                                           "(e.g. 0.5)")
    architecture: str = setting("lstm", "student architecture: lstm, fcn, resnet or inception")
    hidden: int = setting(100, "student width (LSTM units, CNN base filters)")
    layers: int = setting(3, "student depth (LSTM layers, blocks, Inception modules)")
    method_config: MethodSettings = MethodSettings()
    train: TrainConfig = TrainConfig()
    teacher: TeacherConfig = TeacherConfig()
    max_length: int = 100
    val_fraction: float = 0.2
    protocol: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        require_current_protocol(self.protocol, "run")
        require_fraction("earliness", self.earliness, "a fraction such as 0.4")
        require_fraction("channel_fraction", self.channel_fraction, "e.g. 0.5 for half the channels")
        if self.prefix_mode not in ("stretch", "truncate"):
            raise ValueError(f"prefix_mode must be 'stretch' or 'truncate', got {self.prefix_mode!r}")

    def full_dict(self) -> dict[str, Any]:
        """Every field, as JSON types."""
        return json.loads(json.dumps(asdict(self)))

    def to_dict(self) -> dict[str, Any]:
        """The fields that differ from their defaults, plus the four that have none and the protocol version.

        Keys hash this form, so adding an option with a default later leaves every stored key valid, while changing
        a default changes the keys of the runs it affects (their records then read as missing and are recomputed).
        The method's settings are pruned against their own class's defaults.
        """
        return _prune(self.full_dict(), self._defaults())

    def key(self) -> str:
        return config_key(self.to_dict())

    @property
    def teacher_run(self) -> TeacherRun:
        """The teacher this run distils from (students that share it share one teacher)."""
        return TeacherRun(self.dataset, self.teacher, self.max_length, self.val_fraction, self.protocol)

    def _defaults(self) -> dict[str, Any]:
        """Default values of every field but those always kept (the required ones and the protocol version)."""
        default = RunConfig(self.dataset, self.earliness, self.method, self.seed,
                            method_config=type(self.method_config)())
        return {name: value for name, value in default.full_dict().items() if name not in KEPT_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: type[MethodSettings]) -> RunConfig:
        """Inverse of :meth:`to_dict` (and of :meth:`full_dict`), given the method's ``Settings`` class, so that a
        stored record's configuration can be rerun (:func:`gdpd.methods.config_from_dict` looks the class up)."""
        if "protocol" not in data:
            raise ValueError(
                "this configuration predates protocol versions (version 1): it was computed by earlier code and "
                f"cannot be rerun by this one (version {PROTOCOL_VERSION}); check out the commit in its provenance"
            )
        required = cls(*(data[name] for name in REQUIRED_FIELDS), method_config=settings(), protocol=data["protocol"])
        full = _merge(required._defaults(), data)
        teacher = dict(full["teacher"])
        teacher["train"] = TrainConfig(**teacher["train"])
        teacher["seeds"] = tuple(teacher["seeds"])
        return cls(**{
            **full,
            "method_config": settings(**full["method_config"]),
            "train": TrainConfig(**full["train"]),
            "teacher": TeacherConfig(**teacher),
        })


REQUIRED_FIELDS = ("dataset", "earliness", "method", "seed")
KEPT_FIELDS = (*REQUIRED_FIELDS, "protocol")
RUN_OPTIONS = tuple(f.name for f in fields(RunConfig) if f.name not in (*KEPT_FIELDS, "method_config"))
"""The fields a preset or a command-line option may override; every other override names a method setting."""


def config_key(config: dict[str, Any]) -> str:
    """A stable 16-hex-digit key: SHA-256 of the configuration's canonical JSON."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


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
