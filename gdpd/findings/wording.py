"""How an ending words what it finds and what it cannot: a paired difference's verdict and its runs (at the level
and with Holm's correction of :mod:`gdpd.statistics`), numbers and names in prose, the two bullet lists of an ending,
and the limits of a selection (its size, teachers below the students they teach)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gdpd.report import teacher_score, teacher_table, teachers_of
from gdpd.results import Selection
from gdpd.statistics import ALPHA
from gdpd.teachers import WEAK_TEACHER, weak

RUNS_ARE_DESCRIPTIVE = ("Counts over (dataset, seed) runs are descriptive, never a test: the seeds of one dataset "
                        "share its data and its teacher. Tests here are over datasets, and the 95 % intervals "
                        "resample datasets first, then seeds within each (a hierarchical bootstrap).")
"""The limit an ending states where it counts runs: what they are, and what the tests and intervals count instead."""
SCORE_NAMES = {"auc_prc": "AUC-PRC", "accuracy": "accuracy", "roc_auc": "ROC-AUC", "fidelity": "fidelity"}
"""A score's name in a sentence."""


def verdict(difference: float, p_value: float, alpha: float = ALPHA) -> str:
    """``"higher"`` or ``"lower"`` where a paired difference is significant at ``alpha``, else ``"no clear difference"``
    (also where the p-value is missing)."""
    if np.isnan(p_value) or p_value >= alpha:
        return "no clear difference"
    return "higher" if difference > 0 else "lower"


def _p(p_value: float) -> str:
    return "no p-value (fewer than two non-zero differences)" if np.isnan(p_value) else f"p = {p_value:.3g}"


def runs(row: Any) -> str:
    """``"+1.23 (12 up, 8 down of 20 runs, p = 0.4)"`` for a row of :func:`gdpd.variants.paired_differences`."""
    return (f"{row.mean_difference:+.2f} ({row.wins} up, {row.losses} down of {row.n_pairs} runs, "
            f"{_p(row.p_wilcoxon)})")


def listing(items: Sequence[str]) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``; ``"none"`` for no item."""
    items = list(items)
    if len(items) < 2:
        return items[0] if items else "none"
    return ", ".join(items[:-1]) + " and " + items[-1]


def ordinal(n: int) -> str:
    """``"1st"``, ``"2nd"``, ``"3rd"``, ``"4th"``, ``"11th"``, ``"22nd"``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def count(n: int, noun: str) -> str:
    """``"1 dataset"``, ``"3 datasets"``: ``n`` and ``noun``, plural unless ``n`` is 1."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def ending(conclusion: str, shows: Sequence[str], limits: Sequence[str]) -> str:
    """Markdown: the conclusion in one plain sentence, then what the numbers show and what they do not, as two
    bullet lists."""
    return (f"**{conclusion}**\n\n**What the numbers show.**\n\n" + "".join(f"- {s}\n" for s in shows)
            + "\n**What they do not show.**\n\n" + "".join(f"- {s}\n" for s in limits))


def nothing_to_conclude(reason: str) -> str:
    """Markdown for a chapter with no analysable records: that nothing can be concluded, and why."""
    return f"**Nothing to conclude yet.** {reason}"


def teacher_shortfall(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per teacher (:func:`gdpd.report.teachers_of`): its test score x100 on the full series, the mean over the
    analysed runs of the students it teaches on prefixes, and ``weak`` (:func:`gdpd.teachers.weak`: the teacher
    scores less than its students' mean). The score is ``metric`` where the records hold the teacher's, else
    accuracy (``score`` names it; :func:`gdpd.report.teacher_score`); the table is empty where the records hold
    neither.
    """
    columns = ["score", "teacher", "students", "weak"]
    score = teacher_score(frame, metric)
    if score is None or frame.empty:
        return pd.DataFrame(columns=columns)
    teachers = teacher_table(frame, metric=score)
    table = pd.DataFrame({"score": score, "teacher": teachers[f"teacher_{score}"],
                          "students": teachers[f"students_{score}"]}, index=teachers.index)
    table["weak"] = weak(table["teacher"], table["students"])
    return table


def weak_teachers(frame: pd.DataFrame, metric: str) -> list[str]:
    """The names of the weak teachers among the analysed runs (:func:`teacher_shortfall`)."""
    shortfall = teacher_shortfall(frame, metric)
    return shortfall.index[shortfall["weak"].astype(bool)].tolist() if not shortfall.empty else []


def without_weak_teachers(frame: pd.DataFrame, metric: str) -> tuple[list[str], pd.DataFrame]:
    """The teachers below the students they teach (:func:`teacher_shortfall`) and the runs of every other teacher:
    what a check that a verdict does not rest on those teachers is computed on. Which teachers are below is
    measured on the test split, so the check is a report beside the verdict, never a choice of what it covers."""
    below = weak_teachers(frame, metric)
    groups = teachers_of(frame)
    return below, frame.drop(index=[i for name in below for i in groups[name].index])


def limits(selection: Selection, metric: str, tested: bool = True) -> list[str]:
    """What a selection's records cannot show, one sentence each, with the numbers that say so: how many datasets and
    seeds, a grid stored in part, paired tests over runs that are not independent (``tested``), and teachers below
    the students they teach (:func:`teacher_shortfall`)."""
    frame = selection.frame
    n_datasets, n_seeds = frame["dataset"].nunique(), frame["seed"].nunique()
    size = f"The analysed runs cover {count(n_datasets, 'dataset')} and {count(n_seeds, 'seed')} ({len(frame)} runs)"
    if selection.rule == "complete blocks":
        size += (f": the complete blocks of a grid stored in part ({selection.n_stored} of {selection.n_grid} "
                 "cells)")
    size += "." + (" With one seed the seed-to-seed spread is unknown." if n_seeds == 1 else "")
    sentences = [size]
    if tested:
        sentences.append(
            "The paired tests count runs, (dataset, seed) pairs, but the seeds of one dataset share its data and its "
            f"teacher: the p-values are descriptive, and what holds on these {count(n_datasets, 'dataset')} need not "
            "hold on others.")
    shortfall = teacher_shortfall(frame, metric)
    if not shortfall.empty:
        below = weak_teachers(frame, metric)
        score = SCORE_NAMES.get(shortfall["score"].iloc[0], shortfall["score"].iloc[0])
        if below:
            sentences.append(
                f"{len(below)} of {count(len(shortfall), 'teacher')} are weak ({listing(below)}; e.g. {below[0]}: "
                f"test {score} {shortfall.loc[below[0], 'teacher']:.2f} on the full series against "
                f"{shortfall.loc[below[0], 'students']:.2f} for its students on prefixes). {WEAK_TEACHER}")
        else:
            sentences.append(f"No teacher is weak: each of the {count(len(shortfall), 'teacher')} scores above its "
                             f"students' mean test {score}.")
    return sentences
