"""The early-classification chapter's verdict and ending: per dataset, GDPD's bank of prefix students against the
best aeon peer on the harmonic mean of accuracy and earliness, with a 95 % interval over seeds, and the accuracy or
earliness that would tie it. Scores are ×100 in the prose, as in the chapter's tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gdpd.early import PEER_TREES, early_summary, harmonic_mean
from gdpd.findings.ledger import PAPER_DATASETS
from gdpd.findings.wording import count, ending, listing, nothing_to_conclude
from gdpd.presets import BOOK_TEACHER, Preset
from gdpd.results import method_label
from gdpd.statistics import ALPHA, bootstrap_mean
from gdpd.teachers import WEAK_TEACHER, weak

VERDICTS = ("above", "below", "cannot tell")
"""The bank's place against the best peer on one dataset: its interval over seeds above zero, below zero, or
across it."""


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


def seed_interval(differences: np.ndarray, alpha: float = ALPHA) -> tuple[float, float, float]:
    """The mean of per-seed ``differences`` and its (1 - ``alpha``) Student t interval,
    ``mean ± t(1 - alpha/2, n - 1) s / sqrt(n)``; the bounds are NaN for fewer than two seeds.

    With five seeds a percentile bootstrap over seeds is too narrow (it ignores that ``s`` is estimated from five
    values); the t interval is the textbook interval for a mean of a few paired differences."""
    values = np.asarray(differences, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(1 - alpha / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


def early_gaps(frame: pd.DataFrame, method: str = "gdpd") -> pd.DataFrame:
    """Per dataset: ``method``'s bank against the best aeon peer on the harmonic mean, paired by seed.

    The best peer is the one with the higher seed-mean harmonic mean on the dataset (a choice on the test split that
    can only favour the peers). Its harmonic mean is subtracted from the bank's seed by seed (a peer of seed ``s`` is
    fit on the training cases of the students of seed ``s``), over the seeds that have both. Columns: ``bank_hm`` and
    ``peer_hm`` (seed means), ``peer``, ``difference`` (their mean difference) with its 95 % interval over seeds
    (``low``, ``high``: :func:`seed_interval`), ``n_seeds``, ``verdict`` (one of :data:`VERDICTS`); the bank's
    seed-mean ``bank_accuracy`` and ``bank_earliness`` and the harmonic mean of the two, ``operating_hm`` (the
    bank's mean operating point: close to, and, the harmonic mean being concave, not below the mean over seeds of the
    bank's harmonic mean); where that point is below the peer's harmonic mean, ``accuracy_needed`` (at the bank's
    mean earliness, :func:`accuracy_to_tie`) and ``earliness_needed`` (at its mean accuracy,
    :func:`earliness_to_tie`) that would tie it, NaN where out of reach (or not needed); and ``first_level``, the
    earliest fixed-prefix student's earliness, below which a threshold alone cannot move the bank.
    """
    columns = ["bank_hm", "peer", "peer_hm", "difference", "low", "high", "n_seeds", "verdict", "bank_accuracy",
               "bank_earliness", "operating_hm", "accuracy_needed", "earliness_needed", "first_level"]
    banks = frame[(frame["kind"] == "bank") & (frame["method"] == method)]
    peers = frame[frame["kind"] == "peer"]
    rows = {}
    for dataset in sorted(set(banks["dataset"]) & set(peers["dataset"])):
        bank = banks[banks["dataset"] == dataset].set_index("seed")
        peer = peers[peers["dataset"] == dataset].pivot_table(index="seed", columns="classifier",
                                                              values="harmonic_mean")
        best = peer.mean().idxmax()
        seeds = bank.index.intersection(peer[best].dropna().index)
        if seeds.empty:
            continue
        bank, target = bank.loc[seeds], peer.loc[seeds, best]
        difference, low, high = seed_interval(bank["harmonic_mean"] - target)
        acc, early = bank["accuracy"].mean(), bank["earliness"].mean()
        behind = harmonic_mean(acc, early) < target.mean()
        fixed = frame[(frame["kind"] == "fixed") & (frame["method"] == method) & (frame["dataset"] == dataset)]
        rows[dataset] = {
            "bank_hm": bank["harmonic_mean"].mean(), "peer": best, "peer_hm": target.mean(),
            "difference": difference, "low": low, "high": high, "n_seeds": len(seeds),
            "verdict": VERDICTS[0] if low > 0 else VERDICTS[1] if high < 0 else VERDICTS[2],
            "bank_accuracy": acc, "bank_earliness": early, "operating_hm": harmonic_mean(acc, early),
            "accuracy_needed": accuracy_to_tie(target.mean(), early) if behind else np.nan,
            "earliness_needed": earliness_to_tie(target.mean(), acc) if behind else np.nan,
            "first_level": fixed["earliness"].min() if not fixed.empty else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("dataset")


def _points(value: float) -> str:
    return f"{100 * value:+.2f}"


def _gap(dataset: str, row: Any) -> str:
    interval = f" [{_points(row.low)}, {_points(row.high)}]" if not np.isnan(row.low) else ""
    return f"{dataset} {_points(row.difference)}{interval} against {row.peer}"


def early_verdict(frame: pd.DataFrame, preset: Preset, method: str = "gdpd") -> str:
    """Markdown for the top of the chapter: on how many datasets ``method``'s bank is above the best aeon peer on
    the harmonic mean, below it, or not told apart by its seeds (:func:`early_gaps`), each with its mean difference
    and interval, then the caveats: the datasets, what the intervals cover, and the teacher that closes the banks."""
    gaps = early_gaps(frame, method) if not frame.empty else pd.DataFrame()
    label = method_label(method)
    if gaps.empty:
        return nothing_to_conclude(f"no dataset of preset `{preset.name}` has both a stored {label} bank and a "
                                   "scored aeon peer; `gdpd early` computes them.")
    parts = {verdict: gaps[gaps["verdict"] == verdict] for verdict in VERDICTS}
    named = {verdict: listing([_gap(d, r) for d, r in rows.iterrows()]) for verdict, rows in parts.items()}
    seeds = int(gaps["n_seeds"].max())
    headline = (
        f"**The verdict.** As an early classifier, the {label} bank's harmonic mean of accuracy and earliness is "
        f"above the best aeon early classifier's on {len(parts['above'])} of {len(gaps)} datasets, below it on "
        f"{len(parts['below'])}, and its {count(seeds, 'seed')} cannot tell the two apart on "
        f"{len(parts['cannot tell'])}. Per dataset, the bank's harmonic mean minus the best peer's, ×100, mean over "
        "seeds with its 95 % interval: "
        + "; ".join(f"{verdict}: {named[verdict]}" for verdict in VERDICTS if len(parts[verdict])) + ".")
    teacher = (f"the book protocol's teacher (constant learning rate, its seed chosen on validation accuracy), not "
               f"one trained as the released code trains it; preset `paper-released-teacher` has that teacher"
               if preset.teacher == BOOK_TEACHER else
               "the teacher trained as the released code trains it, its seed chosen on validation")
    caveats = [
        f"{count(len(gaps), 'dataset')} (preset `{preset.name}`), not the paper's {PAPER_DATASETS}, which it does "
        "not name; "
        "the verdict is per dataset, and no test over datasets is made.",
        f"The intervals are over the {count(seeds, 'seed')} (the students' training and validation cases) on one "
        "fixed test split: they say whether the seeds agree, not how the bank would do on other test cases.",
        f"Every bank ends with the full-series teacher of preset `{preset.name}`: {teacher}. It is chosen among "
        f"{count(len(preset.teacher.seeds), 'seed')}, each trained on its own split, so some validation cases of "
        "the other seeds' students were its training cases: on validation it looks better than on test, and a "
        "threshold chosen there may defer to it more than it should.",
        f"The best peer is picked per dataset on its test score, which can only favour the peers; both run on a "
        f"{PEER_TREES}-tree time-series forest, not aeon's default base classifiers.",
    ]
    return headline + "\n\n**Caveats.**\n\n" + "".join(f"- {c}\n" for c in caveats)


def _needed(dataset: str, row: Any) -> str:
    accuracy = (f"accuracy {100 * row.bank_accuracy:.2f} → {100 * row.accuracy_needed:.2f} "
                f"({_points(row.accuracy_needed - row.bank_accuracy)})" if not np.isnan(row.accuracy_needed)
                else "no accuracy up to 100 suffices at its earliness")
    if np.isnan(row.earliness_needed):
        earliness = "no earliness suffices at its accuracy"
    else:
        earliness = f"earliness {100 * row.bank_earliness:.2f} → {100 * row.earliness_needed:.2f}"
        if not np.isnan(row.first_level) and row.earliness_needed < row.first_level:
            earliness += (f", earlier than its first student ({100 * row.first_level:.2f}), out of a threshold's "
                          "reach")
    return f"{dataset}: {accuracy}, or {earliness}"


def _against_banks(frame: pd.DataFrame, method: str) -> str | None:
    """One sentence: ``method``'s bank minus each other method's bank on the harmonic mean, ×100, with a
    hierarchical bootstrap interval over datasets and seeds (:func:`gdpd.statistics.bootstrap_mean`)."""
    banks = frame[frame["kind"] == "bank"].pivot_table(index=["dataset", "seed"], columns="method",
                                                       values="harmonic_mean")
    if method not in banks.columns or len(banks.columns) < 2:
        return None
    parts = []
    for other in (m for m in banks.columns if m != method):
        differences = (banks[method] - banks[other]).dropna()
        interval = bootstrap_mean(differences)
        means = differences.groupby(level="dataset").mean()
        parts.append(f"{method_label(method)} − {method_label(other)} {_points(interval.estimate)} "
                     f"[{_points(interval.low)}, {_points(interval.high)}], above on {int((means > 0).sum())} of "
                     f"{len(means)} datasets")
    return ("Against the other methods' banks, the mean over datasets of the harmonic mean's difference ×100, with "
            "its 95 % interval from a bootstrap over datasets and then seeds: " + "; ".join(parts) + ".")


def early_ending(frame: pd.DataFrame, method: str = "gdpd") -> str:
    """Markdown: per dataset whether ``method``'s bank beats the best aeon peer on the harmonic mean, what it would
    take to tie where it does not (:func:`early_gaps`), how it compares with the other methods' banks and with every
    classifier of the chapter, and the limits of the records."""
    gaps = early_gaps(frame, method) if not frame.empty else pd.DataFrame()
    label = method_label(method)
    if gaps.empty:
        return nothing_to_conclude(f"no dataset has both a stored {label} bank and a scored aeon peer.")
    above, behind = gaps[gaps["verdict"] == "above"], gaps[gaps["difference"] < 0]
    shows = [f"The {label} bank's harmonic mean is above the best aeon peer's, beyond its seeds' interval, on "
             f"{len(above)} of {len(gaps)} datasets; below it on average on {len(behind)}"
             + (f" ({listing([_gap(d, r) for d, r in behind.iterrows()])})" if len(behind) else "") + "."]
    short = gaps[gaps["operating_hm"] < gaps["peer_hm"]]
    if len(short):
        shows.append("To tie the best peer's harmonic mean at its mean operating point, the bank would need (×100): "
                     + "; ".join(_needed(d, r) for d, r in short.iterrows()) + ".")
    against = _against_banks(frame, method)
    if against:
        shows.append(against)
    summary = early_summary(frame)
    ranked = summary.drop(index="teacher", level="kind", errors="ignore").sort_values("harmonic_mean",
                                                                                      ascending=False)
    classifiers = list(ranked.index.get_level_values("classifier"))
    if f"{label} bank" in classifiers:
        place = classifiers.index(f"{label} bank")
        shows.append(
            f"Over the {int(summary['n_datasets'].iloc[0])} datasets where every classifier is scored, the highest "
            f"mean harmonic mean is {classifiers[0]}'s ({100 * ranked['harmonic_mean'].iloc[0]:.2f}); the {label} "
            f"bank's is {100 * ranked['harmonic_mean'].iloc[place]:.2f}, place {place + 1} of {len(classifiers)}.")
    conclusion = (f"The {label} bank is above the best aeon early classifier on {len(above)} of {len(gaps)} "
                  "datasets on the harmonic mean of accuracy and earliness, beyond the spread of its seeds.")
    return ending(conclusion, shows, _early_limits(frame))


def _early_limits(frame: pd.DataFrame) -> list[str]:
    students = frame[frame["kind"] != "peer"]
    sentences = [
        f"{count(frame['dataset'].nunique(), 'dataset')}, {count(students['seed'].nunique(), 'student seed')} and "
        f"{count(frame.loc[frame['kind'] == 'peer', 'seed'].nunique(), 'peer seed')}: a verdict per dataset rests "
        "on an interval over seeds, without a test over datasets.",
        f"The aeon peers run on a {PEER_TREES}-tree time-series forest, not aeon's default base classifiers "
        "(WEASEL, DrCIF): they show these stopping rules with that classifier, not the best each rule can do.",
    ]
    teacher = frame[frame["kind"] == "teacher"].groupby("dataset")["accuracy"].mean()
    fixed = frame[frame["kind"] == "fixed"].groupby(["dataset", "classifier"])["accuracy"].mean()
    if not teacher.empty and not fixed.empty:
        students = fixed.groupby(level="dataset").mean().reindex(teacher.index)
        flagged = teacher.index[weak(teacher, students)].tolist()
        if flagged:
            sentences.append(
                f"On {len(flagged)} of {len(teacher)} datasets ({listing(flagged)}) the full-series teacher that "
                f"closes every bank is weak on accuracy (e.g. {flagged[0]}: {100 * teacher[flagged[0]]:.2f} against "
                f"its fixed-prefix students' {100 * students[flagged[0]]:.2f}): a bank that defers to it loses "
                f"accuracy by waiting. {WEAK_TEACHER}")
    return sentences
