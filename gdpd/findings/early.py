"""The early-classification chapter's ending: per dataset, GDPD's bank of prefix students against the best aeon
peer on the harmonic mean of accuracy and earliness, and the accuracy or earliness that would tie it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gdpd.early import PEER_TREES, early_summary
from gdpd.findings.wording import count, ending, listing, nothing_to_conclude, protocol_limit
from gdpd.teachers import WEAK_TEACHER, weak
from gdpd.results import method_label


def accuracy_to_tie(target: float, earliness: float) -> float:
    """The accuracy whose harmonic mean with ``earliness`` is ``target``: solving
    ``target = 2 a t / (a + t)`` for ``a`` with ``t = 1 - earliness`` gives ``a = target t / (2 t - target)``.
    NaN where no accuracy in [0, 1] reaches ``target``."""
    timeliness = 1.0 - earliness
    if 2 * timeliness <= target:
        return np.nan
    needed = target * timeliness / (2 * timeliness - target)
    return float(needed) if needed <= 1.0 else np.nan


def earliness_to_tie(target: float, accuracy: float) -> float:
    """The earliness whose harmonic mean with ``accuracy`` is ``target``: ``1 - t`` with
    ``t = target a / (2 a - target)``. NaN where no earliness in [0, 1] reaches ``target``."""
    if 2 * accuracy <= target:
        return np.nan
    timeliness = target * accuracy / (2 * accuracy - target)
    return float(1.0 - timeliness) if timeliness <= 1.0 else np.nan


def early_gaps(frame: pd.DataFrame, method: str = "gdpd") -> pd.DataFrame:
    """Per dataset: ``method``'s best bank and the best aeon peer by seed-mean harmonic mean, their difference and
    verdict, and what would have to change for the bank to tie the peer.

    Columns: ``bank``, ``bank_hm``, ``peer``, ``peer_hm``, ``difference`` (bank - peer), ``verdict``; the bank's
    seed-mean ``bank_accuracy`` and ``bank_earliness``; where the bank is below the peer, ``accuracy_needed`` (at the
    bank's mean earliness, :func:`accuracy_to_tie`) and ``earliness_needed`` (at its mean accuracy,
    :func:`earliness_to_tie`), NaN where out of reach; and ``first_level``, the earliest fixed-prefix student's
    earliness, below which a threshold alone cannot move the bank. The needed values tie the peer's harmonic mean
    at the bank's mean operating point, ``HM(mean accuracy, mean earliness)``, which is close to (and, the harmonic
    mean being concave, not below) the mean over seeds of the bank's harmonic mean that the verdict compares.
    """
    columns = ["bank", "bank_hm", "peer", "peer_hm", "difference", "verdict", "bank_accuracy", "bank_earliness",
               "accuracy_needed", "earliness_needed", "first_level"]
    scores = ["accuracy", "earliness", "harmonic_mean"]
    banks = frame[(frame["kind"] == "bank") & (frame["method"] == method)]
    peers = frame[frame["kind"] == "peer"]
    rows = {}
    for dataset in sorted(set(banks["dataset"]) & set(peers["dataset"])):
        bank = banks[banks["dataset"] == dataset].groupby("classifier")[scores].mean()
        peer = peers[peers["dataset"] == dataset].groupby("classifier")[scores].mean()
        b, p = bank["harmonic_mean"].idxmax(), peer["harmonic_mean"].idxmax()
        acc, early = bank.loc[b, "accuracy"], bank.loc[b, "earliness"]
        target, difference = peer.loc[p, "harmonic_mean"], bank.loc[b, "harmonic_mean"] - peer.loc[p, "harmonic_mean"]
        behind = difference < 0
        fixed = frame[(frame["kind"] == "fixed") & (frame["method"] == method) & (frame["dataset"] == dataset)]
        rows[dataset] = {
            "bank": b, "bank_hm": bank.loc[b, "harmonic_mean"], "peer": p, "peer_hm": target,
            "difference": difference,
            "verdict": "bank above" if difference > 0 else "peer above" if behind else "tie",
            "bank_accuracy": acc, "bank_earliness": early,
            "accuracy_needed": accuracy_to_tie(target, early) if behind else np.nan,
            "earliness_needed": earliness_to_tie(target, acc) if behind else np.nan,
            "first_level": fixed["earliness"].min() if not fixed.empty else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("dataset")


def _needed(dataset: str, row: Any) -> str:
    accuracy = (f"accuracy {row.bank_accuracy:.3f} → {row.accuracy_needed:.3f} "
                f"({row.accuracy_needed - row.bank_accuracy:+.3f})" if not np.isnan(row.accuracy_needed)
                else "no accuracy up to 1 suffices at its earliness")
    if np.isnan(row.earliness_needed):
        earliness = "no earliness suffices at its accuracy"
    else:
        earliness = f"earliness {row.bank_earliness:.3f} → {row.earliness_needed:.3f}"
        if not np.isnan(row.first_level) and row.earliness_needed < row.first_level:
            earliness += f", earlier than its first student ({row.first_level:.3f}), out of a threshold's reach"
    return f"{dataset}: {accuracy}, or {earliness}"


def early_ending(frame: pd.DataFrame, protocol: int, method: str = "gdpd") -> str:
    """Markdown: per dataset whether ``method``'s bank beats the best aeon peer on the harmonic mean, what it would
    take to tie where it does not (:func:`early_gaps`), how it compares with the other methods' banks and with every
    classifier of the chapter, and the limits of the records."""
    gaps = early_gaps(frame, method) if not frame.empty else pd.DataFrame()
    label = method_label(method)
    if gaps.empty:
        return nothing_to_conclude(f"no dataset has both a stored {label} bank and a scored aeon peer.")
    above = gaps[gaps["difference"] > 0]
    behind = gaps[gaps["difference"] < 0]
    shows = [f"The {label} bank's harmonic mean is above the best aeon peer's on {len(above)} of {len(gaps)} datasets"
             + (f" ({listing([f'{d} {r.difference:+.3f}' for d, r in above.iterrows()])})" if len(above) else "")
             + (f" and below on {len(behind)} ("
                + listing([f"{d} {r.difference:+.3f} against {r.peer}" for d, r in behind.iterrows()]) + ")"
                if len(behind) else "") + "."]
    if len(behind):
        lead = f"No {label} bank beats the best peer on any dataset. " if above.empty else ""
        shows.append(
            lead + "To tie the best peer's harmonic mean, the bank would need, at its mean operating point: "
            + "; ".join(_needed(d, r) for d, r in behind.iterrows()) + ".")
    banks = frame[frame["kind"] == "bank"].groupby(["dataset", "method"])["harmonic_mean"].mean().unstack("method")
    if method in banks.columns:
        others = [m for m in banks.columns if m != method]
        compared = banks.dropna(subset=[method])
        if others:
            shows.append("Against the other banks on the same datasets: " + "; ".join(
                f"{label} − {method_label(m)} {(compared[method] - compared[m]).mean():+.3f} on average, above on "
                f"{int((compared[method] > compared[m]).sum())} of {int(compared[m].notna().sum())}" for m in others)
                + ".")
    summary = early_summary(frame)
    ranked = summary.drop(index="teacher", level="kind", errors="ignore").sort_values("harmonic_mean",
                                                                                      ascending=False)
    mine = [c for c in ranked.index.get_level_values("classifier") if c == f"{label} bank"]
    if mine:
        classifiers = list(ranked.index.get_level_values("classifier"))
        shows.append(
            f"Over the {int(summary['n_datasets'].iloc[0])} datasets where every classifier is scored, the highest "
            f"mean harmonic mean is {classifiers[0]} ({ranked['harmonic_mean'].iloc[0]:.3f}); the {label} bank's "
            f"is {ranked['harmonic_mean'].iloc[classifiers.index(mine[0])]:.3f}, place "
            f"{classifiers.index(mine[0]) + 1} of {len(classifiers)}.")
    conclusion = (f"The {label} bank does not beat the best aeon early classifier on any of the {len(gaps)} datasets "
                  "on the harmonic mean of accuracy and earliness." if above.empty else
                  f"The {label} bank beats the best aeon early classifier on {len(above)} of {len(gaps)} datasets on "
                  "the harmonic mean of accuracy and earliness, and trails it on "
                  f"{len(behind)}.")
    return ending(conclusion, shows, _early_limits(frame, protocol))


def _early_limits(frame: pd.DataFrame, protocol: int) -> list[str]:
    sentences = protocol_limit(protocol, None)
    students = frame[frame["kind"] != "peer"]
    sentences.append(
        f"{count(frame['dataset'].nunique(), 'dataset')}, {count(students['seed'].nunique(), 'student seed')} and "
        f"{count(frame.loc[frame['kind'] == 'peer', 'seed'].nunique(), 'peer seed')}: a verdict per dataset rests "
        "on seed means, without a test.")
    sentences.append(
        f"The aeon peers run on a {PEER_TREES}-tree time-series forest, not aeon's default base classifiers "
        "(WEASEL, DrCIF): they show these stopping rules with that classifier, not the best each rule can do.")
    teacher = frame[frame["kind"] == "teacher"].groupby("dataset")["accuracy"].mean()
    fixed = frame[frame["kind"] == "fixed"].groupby(["dataset", "classifier"])["accuracy"].mean()
    if not teacher.empty and not fixed.empty:
        students = fixed.groupby(level="dataset").mean().reindex(teacher.index)
        flagged = teacher.index[weak(teacher, students)].tolist()
        if flagged:
            sentences.append(
                f"On {len(flagged)} of {len(teacher)} datasets ({listing(flagged)}) the full-series teacher that "
                f"closes every bank is weak on accuracy (e.g. {flagged[0]}: {teacher[flagged[0]]:.3f} against its "
                f"fixed-prefix students' {students[flagged[0]]:.3f}): a bank that defers to it loses accuracy by "
                f"waiting. {WEAK_TEACHER}")
    return sentences
