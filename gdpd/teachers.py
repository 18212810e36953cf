"""The teachers as they were chosen: every seed's validation curve, the epoch each rule keeps, and the choice.

A teacher's stored information (:func:`gdpd.teacher_training.get_teacher`) holds each candidate seed's per-epoch
validation cross-entropy, validation accuracy and training cross-entropy. From them this module rebuilds, for the
book, what the selection rule saw: the epoch it kept, and the epoch that the released all-epoch lowest-validation-loss
rule would have kept instead (the protocol-1 rule, which lands on the untrained plateau on tiny validation sets).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
from scipy.stats import beta, ttest_ind_from_stats

from gdpd.config import TeacherRun
from gdpd.data import load_dataset
from gdpd.dataset import validation_size
from gdpd.presets import Preset
from gdpd.store import ResultStore


def teacher_info(preset: Preset, dataset: str, store: ResultStore) -> dict[str, Any] | None:
    """The stored information of ``preset``'s teacher on ``dataset``, or ``None`` when it has not been trained."""
    return stored_teacher(preset.teacher_run(dataset), store)


def stored_teacher(run: TeacherRun, store: ResultStore) -> dict[str, Any] | None:
    """The stored information of the teacher ``run``, or ``None`` when it has not been trained."""
    path = store.teacher_path(run.dataset, run.key(), ".json")
    return json.loads(path.read_text()) if path.exists() else None


def curves(info: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (seed, epoch): validation cross-entropy and accuracy, training cross-entropy."""
    return pd.DataFrame([
        {"seed": candidate["seed"], "epoch": epoch, **values}
        for candidate in info["candidates"] for epoch, values in enumerate(candidate["history"])
    ])


def candidates(info: Mapping[str, Any]) -> pd.DataFrame:
    """Per candidate seed: the epoch the rule kept and its validation scores, the majority-class rate, whether the
    seed was chosen, and the epoch the all-epoch lowest-validation-loss rule would keep, with its accuracy."""
    rows = []
    for candidate in info["candidates"]:
        history = pd.DataFrame(candidate["history"])
        plateau = int(history["val_loss"].idxmin())
        rows.append({
            "seed": candidate["seed"], "kept_epoch": candidate["best_epoch"], "epochs_run": candidate["epochs_run"],
            "val_accuracy": candidate["val_metrics"]["accuracy"], "val_loss": candidate["val_loss"],
            "majority_rate": candidate["majority_rate"], "chosen": candidate["seed"] == info["seed"],
            "lowest_loss_epoch": plateau, "val_accuracy_there": float(history["val_accuracy"][plateau]),
            "train_ce_there": float(history["ce"][plateau]),
        })
    return pd.DataFrame(rows).set_index("seed")


CONFIDENCE = 0.95
"""Confidence of the lower bound on a teacher's accuracy that its validation cases support."""


def accuracy_lower_bound(correct: int, n: int, confidence: float = CONFIDENCE) -> float:
    """One-sided Clopper-Pearson lower confidence bound on an accuracy measured as ``correct`` of ``n`` cases.

    The smallest accuracy p under which ``correct`` or more right has probability at least 1 - c (c the
    confidence): p_low = the (1 - c) quantile of Beta(k, n - k + 1) for k = ``correct`` > 0, and 0 for k = 0
    (Clopper and Pearson, Biometrika 26(4), 1934). All n right gives p_low = (1 - c)^(1/n): 68.8 % for 8 of 8 at
    c = 0.95. The bound holds for one accuracy measured once; a teacher's validation accuracy is the best of several
    seeds and epochs, so the bound it gives is optimistic.
    """
    if not 0 <= correct <= n or n < 1:
        raise ValueError(f"need 0 <= correct <= n and n >= 1; got {correct} of {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}, e.g. 0.95")
    return 0.0 if correct == 0 else float(beta.ppf(1.0 - confidence, correct, n - correct + 1))


def teachers(preset: Preset, datasets: Iterable[str], store: ResultStore) -> pd.DataFrame:
    """Per dataset with a stored teacher: the chosen seed and epoch, the number of validation cases of the chosen
    seed's split, validation accuracy against the majority rate, the :func:`accuracy_lower_bound` it supports,
    competence, and validation and test AUC-PRC and test accuracy x100."""
    rows = []
    for dataset in datasets:
        info = teacher_info(preset, dataset, store)
        if info is None:
            continue
        n_val = validation_size(len(load_dataset(dataset).y_train), preset.teacher_run(dataset).val_fraction)
        accuracy = info["val_metrics"]["accuracy"]
        rows.append({
            "dataset": dataset, "seed": info["seed"], "epoch": info["best_epoch"], "n_val": n_val,
            "val_accuracy": 100 * accuracy, "val_accuracy_low": 100 * accuracy_lower_bound(round(accuracy * n_val),
                                                                                           n_val),
            "majority_rate": 100 * info["majority_rate"], "competent": info["competent"],
            "val_auc_prc": 100 * info["val_metrics"]["auc_prc"], "test_auc_prc": 100 * info["metrics"]["auc_prc"],
            "test_accuracy": 100 * info["metrics"]["accuracy"],
        })
    columns = ["dataset", "seed", "epoch", "n_val", "val_accuracy", "val_accuracy_low", "majority_rate", "competent",
               "val_auc_prc", "test_auc_prc", "test_accuracy"]
    return pd.DataFrame(rows, columns=columns).set_index("dataset")


WEAK_TEACHER = ("A teacher is *weak* where its test score on the full series is below the mean test score, on the "
                "same score, of the students it teaches on prefixes: it knows less than they do, so a distiller's gain "
                "or loss there says little about distillation.")
"""The one criterion that flags a teacher, in words: every chapter and ending flags by :func:`weak` and prints this."""


def weak(teacher: float | pd.Series, students: float | pd.Series) -> bool | pd.Series:
    """Whether a teacher is weak (:data:`WEAK_TEACHER`): its test score below the mean test score of the students
    it compares with, both on the same scale. Measured on the test split after every choice was made on
    validation, so it is a report beside a result, never a choice of what a result covers."""
    return teacher < students


def teachers_against_base(preset: Preset, datasets: Iterable[str], store: ResultStore, student_preset: Preset,
                          earliness: float = 0.8) -> pd.DataFrame:
    """Per dataset: the teacher's test AUC-PRC x100 beside the seed-mean test AUC-PRC x100 of ``student_preset``'s
    stored Base students at ``earliness`` (a prefix-only student that sees most of the series), their difference,
    and whether the teacher is weak against those students (:func:`weak`, column ``below_base``)."""
    table = teachers(preset, datasets, store)
    base = {}
    for dataset in table.index:
        scores = [record["metrics"]["auc_prc"] for seed in student_preset.seeds
                  if (record := store.get(dataset, student_preset.config(dataset, earliness, "base", seed).key()))]
        base[dataset] = 100 * sum(scores) / len(scores) if scores else float("nan")
    frame = pd.DataFrame({"teacher_test_auc_prc": table["test_auc_prc"], "base_test_auc_prc": pd.Series(base)})
    frame["teacher_minus_base"] = frame["teacher_test_auc_prc"] - frame["base_test_auc_prc"]
    frame["below_base"] = weak(frame["teacher_test_auc_prc"], frame["base_test_auc_prc"])
    return frame


def _variant_runs(preset: Preset) -> dict[str, TeacherRun]:
    """Each variant's label and the teacher its cells share on the preset's first dataset (the same per dataset)."""
    return {label: config.teacher_run for label, config in preset.labelled_grid()[:len(preset.variants)]}


def _test_confidence(run: TeacherRun, info: Mapping[str, Any], store: ResultStore) -> dict[str, float]:
    """The chosen teacher's confidence on the test series: stored with teachers trained since it was measured, and
    computed from the stored weights for the earlier ones (their record predates it)."""
    if "test_confidence" in info:
        return info["test_confidence"]
    import torch

    from gdpd.metrics import confidence
    from gdpd.models import predict_outputs
    from gdpd.teacher_training import get_teacher

    teacher, _ = get_teacher(run, store, torch.device("cpu"))
    data = load_dataset(run.dataset, max_length=run.max_length)
    logits = predict_outputs(teacher, torch.as_tensor(data.X_test)).logits.detach().numpy()
    return confidence(data.y_test, logits)


def teacher_arms(preset: Preset, store: ResultStore) -> pd.DataFrame:
    """Per dataset and teacher variant of ``preset`` (the ``teacher-choice`` preset): the chosen seed and its kept
    epoch, validation accuracy against the majority rate x100, competence, test AUC-PRC and accuracy x100, and how
    confident the teacher is on the test series: mean top probability x100 and negative log-likelihood."""
    rows = []
    for dataset in preset.datasets:
        for label, run in _variant_runs(preset).items():
            run = replace(run, dataset=dataset)
            info = stored_teacher(run, store)
            if info is None:
                continue
            sure = _test_confidence(run, info, store)
            rows.append({
                "dataset": dataset, "teacher": label, "seed": info["seed"], "epoch": info["best_epoch"],
                "val_accuracy": 100 * info["val_metrics"]["accuracy"], "majority_rate": 100 * info["majority_rate"],
                "competent": info["competent"], "test_auc_prc": 100 * info["metrics"]["auc_prc"],
                "test_accuracy": 100 * info["metrics"]["accuracy"], "top_probability": 100 * sure["top_probability"],
                "test_nll": sure["nll"],
            })
    return pd.DataFrame(rows)


def student_arms(preset: Preset, store: ResultStore) -> pd.DataFrame:
    """Per dataset, teacher variant and method of ``preset``: the seeds stored, and the seed mean (and standard
    deviation of AUC-PRC) of the students' test AUC-PRC, accuracy and fidelity x100."""
    rows = []
    for label, config in preset.labelled_grid():
        record = store.get(config.dataset, config.key())
        if record is not None:
            rows.append({"dataset": config.dataset, "teacher": label, "method": config.method, "seed": config.seed,
                         **{k: 100 * record["metrics"][k] for k in ("auc_prc", "accuracy", "fidelity")}})
    return seed_means(pd.DataFrame(rows, columns=["dataset", "teacher", "method", "seed", "auc_prc", "accuracy",
                                                  "fidelity"]))


def seed_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, teacher, method) of ``runs`` (one row per seed, scores x100): the seeds, the seed mean of AUC-PRC
    with its standard deviation, and the seed means of accuracy and fidelity."""
    grouped = runs.groupby(["dataset", "teacher", "method"], sort=False)
    return grouped.agg(seeds=("seed", "size"), auc_prc=("auc_prc", "mean"), auc_prc_sd=("auc_prc", "std"),
                       accuracy=("accuracy", "mean"), fidelity=("fidelity", "mean")).reset_index()


AGREEMENT_LEVEL = 0.05
"""Two seed means agree within seed noise when Welch's two-sided t-test does not tell them apart at this level."""


def released_agreement(students: pd.DataFrame, released: pd.DataFrame, dataset: str = "GunPoint") -> pd.DataFrame:
    """Our seed means beside the released code's multi-seed means on ``dataset`` (its reference run), per teacher and
    method: both means and standard deviations x100 with their seed counts, the difference, Welch's two-sided t-test
    p-value from those summaries (Welch, Biometrika 34, 1947), and whether they agree within seed noise
    (p >= :data:`AGREEMENT_LEVEL`). ``students`` has the columns of :func:`student_arms`."""
    reference = released[released["seeds"].str.contains(" ")].set_index("method")
    rows = []
    for row in students[students["dataset"] == dataset].itertuples(index=False):
        if row.method not in reference.index:
            continue
        theirs = reference.loc[row.method]
        n_theirs = len(theirs["seeds"].split())
        p = ttest_ind_from_stats(row.auc_prc, row.auc_prc_sd, row.seeds, theirs["auc_prc"], theirs["auc_prc_std"],
                                 n_theirs, equal_var=False).pvalue
        rows.append({"teacher": row.teacher, "method": row.method, "ours": row.auc_prc, "ours_sd": row.auc_prc_sd,
                     "ours_seeds": row.seeds, "released": theirs["auc_prc"], "released_sd": theirs["auc_prc_std"],
                     "released_seeds": n_theirs, "difference": row.auc_prc - theirs["auc_prc"], "p": float(p),
                     "agrees": bool(p >= AGREEMENT_LEVEL)})
    return pd.DataFrame(rows)
