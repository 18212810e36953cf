"""The preset catalogue: named protocols, each a way to train runs and the grid of cells its tables cover.

A preset builds the run configuration of any cell (:meth:`Preset.config`): the dataset, earliness, method and seed,
the preset's training, teacher and model, and overrides that name run options or the method's own settings (the
fields of its ``Settings``, :mod:`gdpd.methods`). ``gdpd presets`` lists them; ``gdpd grid --preset NAME`` runs one.

Why this module is long: it is the catalogue, one entry per preset with the rule that chose its datasets beside it,
so that a reader looks a protocol up in one place; each entry is short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from gdpd.config import (PAPER_SEEDS, RELEASED_TEACHER_TRAIN, RUN_OPTIONS, DistillationSettings, RunConfig,
                         TeacherConfig, TeacherRun, TrainConfig, field_default)
from gdpd.data import PHYSIONET_NAME
from gdpd.methods import PAPER_METHODS, method_class


class Variant(NamedTuple):
    """One arm of an ablation: a label and the run options or method settings it overrides."""

    label: str
    overrides: Mapping[str, Any]


@dataclass(frozen=True)
class Preset:
    """A named protocol: how runs train and which grid of cells a preset's table covers.

    ``method_settings`` apply to every method that has them (the paper preset's Hinton term reaches GDPD alone);
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
    weights: tuple[float, ...] = (field_default(DistillationSettings, "weight"),)
    hidden: int = 100
    layers: int = 3
    method_settings: Mapping[str, Any] = field(default_factory=dict)
    variants: tuple[Variant, ...] = (Variant("default", {}),)

    def config(self, dataset: str, earliness: float, method: str, seed: int, **overrides: Any) -> RunConfig:
        """The run configuration of one cell; ``overrides`` name run options (:data:`gdpd.config.RUN_OPTIONS`) or
        settings of ``method``; a setting the method does not read (lambda for Base) is refused."""
        cls = method_class(method)
        own = cls.Settings.names()
        settings = {name: value for name, value in self.method_settings.items() if name in own}
        for name, value in overrides.items():
            if name in own:
                settings[name] = value
            elif name not in RUN_OPTIONS:
                raise ValueError(
                    f"method {method!r} has no setting {name} (its settings: {', '.join(own) or 'none'}) and no run "
                    "option has that name; drop the option or choose a method that reads it"
                )
        options = {name: value for name, value in overrides.items() if name in RUN_OPTIONS}
        return RunConfig(
            dataset=dataset, earliness=earliness, method=method, seed=seed, method_config=cls.Settings(**settings),
            **{"hidden": self.hidden, "layers": self.layers, "train": self.student, "teacher": self.teacher, **options},
        )

    def labelled_grid(self) -> list[tuple[str, RunConfig]]:
        """Every cell with its variant's label: seed x dataset x earliness x method x weight x variant.

        Only a method with a lambda is run once per weight. Seeds come outermost so that a grid stopped part-way
        leaves complete tables for
        its first seeds.
        """
        return [
            (variant.label, self.config(dataset, earliness, method, seed, **weight, **variant.overrides))
            for seed in self.seeds
            for dataset in self.datasets
            for earliness in self.earliness
            for method in self.methods
            for weight in _weights(method, self.weights)
            for variant in self.variants
        ]

    def teacher_run(self, dataset: str) -> TeacherRun:
        """The teacher that every cell of this preset on ``dataset`` shares (variants may name others)."""
        return self.config(dataset, self.earliness[0], self.methods[0], self.seeds[0]).teacher_run

    def grid(self) -> list[RunConfig]:
        """Every cell of the preset (see :meth:`labelled_grid`)."""
        return [config for _, config in self.labelled_grid()]


def _weights(method: str, weights: tuple[float, ...]) -> list[dict[str, float]]:
    """The lambda overrides of ``method``'s cells: one per weight, or none for a method without a lambda."""
    return [{"weight": w} for w in weights] if "weight" in method_class(method).Settings.names() else [{}]


BOOK_DATASETS = (
    "ArrowHead", "Coffee", "Covid3Month_disc", "GunPoint", "ItalyPowerDemand",
    "OSULeaf", "PickupGestureWiimoteZ", "Trace", "UnitTest", "ACSF1",
)
CORE_METHODS = ("base", "kd", "fitnets", "gdpd")
PAPER_DATASETS = ("ItalyPowerDemand", "Coffee", "ArrowHead", "GunPoint", "Trace", "OSULeaf")
"""The offline datasets the released loader accepts (2015 UCR names), cheapest first so that a grid stopped part-way
leaves the expensive ones out rather than scattered seeds."""
OFFLINE_DATASETS = (
    "UnitTest", "ItalyPowerDemand", "Coffee", "GunPoint", "ArrowHead", "PickupGestureWiimoteZ", "ACSF1",
    "Covid3Month_disc", "Trace", "OSULeaf",
)
"""Every offline classification dataset: the released loader's six (:data:`PAPER_DATASETS`) and four it does not
accept, cheapest first (measured seconds per run) so that a seed stopped part-way leaves the expensive ones out."""
PAPER_STUDENT = TrainConfig(epochs=600, warmup_epochs=300, lr_schedule="per_batch")
"""The released students: 600 epochs, warm-up 300, the per-batch learning-rate schedule."""
PAPER_TEACHER = TeacherConfig(train=RELEASED_TEACHER_TRAIN, choice="val_loss")
"""The released teacher's training, its seed chosen on validation cross-entropy (guarded against the untrained
plateau) instead of on the test split (book chapter "The method")."""
BOOK_STUDENT = TrainConfig(epochs=250, warmup_epochs=125, lr_schedule="constant")
"""The book protocol's students: the cheapest (budget, patience) pair that the budget probe's curves say leaves at most
a tenth of the runs under-trained (:mod:`gdpd.budget`; a test checks the pair against the committed probe)."""
BOOK_TEACHER = TeacherConfig()  # every preset but smoke shares one teacher per dataset

# An ablation of a distiller needs a teacher with something to distil: the ablations run on book datasets whose
# teacher is competent and more accurate on validation than the prefix-only Base student at e = 0.8 (the budget
# probe's), never judged on a test score; and, because the grids' projected cost on this CPU exceeds what the round
# can spend, on the ABLATION_SIZE of them with the least work per epoch (training series x steps).
# tests/test_presets.py checks the committed teachers, probe runs and data against the rule.
ABLATION_SIZE = 2
ABLATION_DATASETS = ("ArrowHead", "Coffee")


def _ablation(name: str, description: str, variants: tuple[Variant, ...], **fields: Any) -> Preset:
    """GDPD on the :data:`ABLATION_DATASETS` at earliness 0.2 and 0.6, 5 seeds, trained as in the book preset.

    The ``default`` arm is the book preset's own configuration, so those runs are shared with the book's grid.
    """
    grid: dict[str, Any] = {
        "student": BOOK_STUDENT, "teacher": BOOK_TEACHER, "datasets": ABLATION_DATASETS, "earliness": (0.2, 0.6),
        "methods": ("gdpd",), "seeds": PAPER_SEEDS, **fields,
    }
    return Preset(name=name, description=description, variants=(Variant("default", {}), *variants), **grid)


SCHEDULE_DATASETS = ("ACSF1", "Trace")
"""Book datasets whose training split (after the validation split) holds more than one batch of 64, so that a
per-batch and a per-epoch learning-rate schedule step at different moments (on the ablation datasets every epoch is
one batch and the two are the same run): of those whose teacher has something to distil (as for the ablation
datasets), the ABLATION_SIZE with the least work per epoch. A test checks the rule against the data."""

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
        _ablation("ablation-prior", "the prior given 8 or 32 optimiser steps on its denoising loss per warm-up batch, "
                  "against the paper's one",
                  tuple(Variant(f"prior updates {k}", {"prior_updates": k}) for k in (8, 32))),
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
ARCHITECTURE_DATASETS = ("Coffee", "GunPoint", "ItalyPowerDemand", "Trace")
INCEPTION_TEACHER = TeacherConfig(architecture="inception", hidden=32, layers=6)

BEYOND_UCR: dict[str, Preset] = {  # the book's part "Beyond univariate UCR"
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
            student=BOOK_STUDENT, teacher=BOOK_TEACHER, datasets=ARCHITECTURE_DATASETS, earliness=(0.4,),
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

PAPER = Preset(
    name="paper",
    description=(
        "the released protocol (Table 1): LSTM3-100 -> LSTM3-100, 600 epochs, warm-up 300, per-batch LR schedule, "
        "lambda = 1 for every distiller, GDPD with the released Hinton term, on the offline datasets the released "
        "loader accepts; the book protocol's teacher"
    ),
    student=PAPER_STUDENT,
    teacher=BOOK_TEACHER,
    datasets=PAPER_DATASETS,
    earliness=(0.2, 0.4, 0.6, 0.8),
    methods=CORE_METHODS,
    seeds=PAPER_SEEDS,
    method_settings={"hinton": True},
)
"""The paper's Table 1 protocol as first computed: the released students distilled from the book's teacher."""
PAPER_RELEASED_TEACHER = replace(
    PAPER,
    name="paper-released-teacher",
    description=(
        "Table 1 on every offline dataset with the released teacher: the paper preset's students, the teacher "
        "trained as released (per-batch schedule, lowest validation cross-entropy, patience 150) and its seed "
        "chosen on validation"
    ),
    teacher=PAPER_TEACHER,
    datasets=OFFLINE_DATASETS,
)
"""Table 1 with the teacher trained as the released code trains it, on every offline dataset."""
WORKING_PRIOR_UPDATES = 128
"""Prior updates per warm-up batch of GDPD with a prior that learns (preset ``paper-working-prior``): what
:func:`gdpd.prior_fit.working_prior_updates` chooses from the committed runs of preset ``prior-check`` (a test
recomputes it), fixed before any run of the arm existed."""

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
            "what the book renders: LSTM3-100 -> LSTM3-100, 250 student epochs (warm-up 125, no early stopping), "
            "constant learning rate, lambda = 1, the shared teacher (five seeds, up to 600 epochs)"
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
            "the paper's comparison with other distillers (its Table 2): earliness 0.5, its twelve methods, "
            "trained as in the book preset and sharing its teachers"
        ),
        student=BOOK_STUDENT,
        teacher=BOOK_TEACHER,
        datasets=BOOK_DATASETS,
        earliness=(0.5,),
        methods=PAPER_METHODS,
        seeds=PAPER_SEEDS,
    ),
    "paper": PAPER,
    "paper-released-teacher": PAPER_RELEASED_TEACHER,
    "paper-working-prior": replace(
        PAPER_RELEASED_TEACHER,
        name="paper-working-prior",
        description=(
            f"GDPD with a prior that learns: the paper-released-teacher preset's GDPD with {WORKING_PRIOR_UPDATES} "
            "prior updates per warm-up batch (the prior-check's rule), at earliness 0.2 and 0.8, beside that "
            "preset's runs of the same cells"
        ),
        earliness=(0.2, 0.8),
        methods=("gdpd",),
        method_settings={"hinton": True, "prior_updates": WORKING_PRIOR_UPDATES},
    ),
    "prior-check": Preset(
        name="prior-check",
        description=(
            "which prior learns under the paper protocol: GDPD's warm-up alone (300 epochs and one to select) with "
            "8, 32 or 128 prior updates per batch, one seed, on every offline dataset; read for the denoising loss "
            "only (gdpd.prior_fit), never for a test score"
        ),
        student=TrainConfig(epochs=PAPER_STUDENT.warmup_epochs + 1, warmup_epochs=PAPER_STUDENT.warmup_epochs,
                            lr_schedule=PAPER_STUDENT.lr_schedule),
        teacher=PAPER_TEACHER,
        datasets=OFFLINE_DATASETS,
        earliness=(0.2,),
        methods=("gdpd",),
        seeds=PAPER_SEEDS[:1],
        method_settings={"hinton": True},
        variants=tuple(Variant(f"prior updates {k}", {"prior_updates": k}) for k in (8, 32, 128)),
    ),
    "teacher-choice": replace(
        PAPER,
        name="teacher-choice",
        description=(
            "what the teacher does to the paper protocol's distillers (GunPoint, ArrowHead, Coffee; e = 0.4): the "
            "book's teacher, the released training chosen on validation, and the released rule exactly (chosen on "
            "test, a sensitivity arm only)"
        ),
        teacher=PAPER_TEACHER,
        datasets=("GunPoint", "ArrowHead", "Coffee"),
        earliness=(0.4,),
        methods=("kd", "fitnets", "gdpd"),
        variants=(
            Variant("constant rate, best validation accuracy", {"teacher": BOOK_TEACHER}),
            Variant("released, chosen on validation", {}),
            Variant("released, chosen on test", {"teacher": replace(PAPER_TEACHER, choice="test_auc_prc")}),
        ),
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
    **BEYOND_UCR,
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
