"""What a results chapter's numbers show and what they do not: its analysed frame turned into sentences.

Every results chapter ends with a short section rendered by one ``*_ending`` function of this module: the findings
(ranks, paired differences, the harmonic-mean gap of the early classifiers, cost ratios) and the limits that the same
records set (their protocol version, how many datasets and seeds they cover, teachers that score below the students
they teach). Every number in those sentences is computed here from the chapter's frame when the chapter executes;
nothing is typed. The functions that compute return plain data (a DataFrame or a dict) and are tested on their own;
the ``*_ending`` functions return Markdown. Scores are x100 as in the paper, except the early classifiers' accuracy,
earliness and harmonic mean, which are fractions as in aeon.

Paired tests are two-sided Wilcoxon signed-rank tests over runs (:func:`gdpd.variants.paired_differences`); where a
chapter makes several, a difference is called significant at ``p < 0.05`` and the text says how many survive Holm's
correction over the chapter's comparisons (:func:`holm`).

Why this module is long: it holds one ending per results chapter, and they share the wording of a paired test, of a
verdict and of the limits of a selection; split by chapter, every part would import that shared wording from the
others or repeat it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gdpd.config import PROTOCOL_VERSION
from gdpd.early import PEER_TREES, early_summary
from gdpd.metrics import summarise, top_k_share
from gdpd.report import cell_means, table1
from gdpd.results import Selection, method_label
from gdpd.variants import against_baselines, against_default, paired_differences, variant_means

ALPHA = 0.05
"""The level at which the endings call a paired difference significant."""


def holm(p_values: Iterable[float]) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values, in the order given.

    With the ``m`` defined p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted value of ``p_(i)`` is
    ``max_{j <= i} min(1, (m - j + 1) * p_(j))``. A missing p-value stays missing and does not count in ``m``.
    """
    p = np.asarray(list(p_values), dtype=float)
    adjusted = np.full(p.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(p))
    order = defined[np.argsort(p[defined], kind="stable")]
    m = len(order)
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[index]))
        adjusted[index] = running
    return adjusted


def verdict(difference: float, p_value: float, alpha: float = ALPHA) -> str:
    """``"higher"`` or ``"lower"`` where a paired difference is significant at ``alpha``, else ``"no clear difference"``
    (also where the p-value is missing)."""
    if np.isnan(p_value) or p_value >= alpha:
        return "no clear difference"
    return "higher" if difference > 0 else "lower"


def _p(p_value: float) -> str:
    return "no p-value (fewer than two non-zero differences)" if np.isnan(p_value) else f"p = {p_value:.3g}"


def _runs(row: Any) -> str:
    """``"+1.23 (12 up, 8 down of 20 runs, p = 0.4)"`` for a row of :func:`gdpd.variants.paired_differences`."""
    return (f"{row.mean_difference:+.2f} ({row.wins} up, {row.losses} down of {row.n_pairs} runs, "
            f"{_p(row.p_wilcoxon)})")


def _names(items: Sequence[str]) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``; ``"none"`` for no item."""
    items = list(items)
    if len(items) < 2:
        return items[0] if items else "none"
    return ", ".join(items[:-1]) + " and " + items[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _significance(table: pd.DataFrame, describe: Any, subject: str, alpha: float = ALPHA) -> str:
    """One sentence on which rows of ``table`` (``mean_difference``, ``p_wilcoxon``, ``p_holm``) differ at ``alpha``:
    ``describe(row)`` names a row, ``subject`` the comparison (e.g. ``"GDPD against a baseline"``)."""
    m = int(table["p_wilcoxon"].notna().sum())
    significant = table[table["p_wilcoxon"] < alpha]
    if significant.empty:
        return (f"No difference of {subject} is significant at p < {alpha:g} (two-sided Wilcoxon, {m} "
                "comparisons).")
    parts = []
    for direction, rows in (("above", significant[significant["mean_difference"] > 0]),
                            ("below", significant[significant["mean_difference"] < 0])):
        if not rows.empty:
            parts.append(f"{direction} in " + "; ".join(f"{describe(r)} ({r.mean_difference:+.2f}, "
                                                        f"p = {r.p_wilcoxon:.3g})" for r in rows.itertuples()))
    kept = int((significant["p_holm"] < alpha).sum())
    return (f"Significant at p < {alpha:g} (two-sided Wilcoxon), {subject}: " + "; ".join(parts)
            + f". After Holm's correction over the {m} comparisons, {kept} of {len(significant)} "
            + ("remains" if kept == 1 else "remain") + " significant.")


def ending(shows: Sequence[str], limits: Sequence[str]) -> str:
    """Markdown: what the numbers show and what they do not, as two bullet lists."""
    return ("**What the numbers show.**\n\n" + "".join(f"- {s}\n" for s in shows)
            + "\n**What they do not show.**\n\n" + "".join(f"- {s}\n" for s in limits))


def nothing_to_conclude(reason: str) -> str:
    """Markdown for a chapter with no analysable records: that nothing can be concluded, and why."""
    return f"**Nothing to conclude yet.** {reason}"


def _teacher_metric(frame: pd.DataFrame, metric: str) -> str | None:
    """The score the teacher is compared on: ``metric`` where the records hold the teacher's, else accuracy."""
    for name in (metric, "accuracy"):
        if f"teacher_{name}" in frame.columns and name in frame.columns and frame[f"teacher_{name}"].notna().any():
            return name
    return None


def teacher_shortfall(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per teacher: its test score x100 on the full series, the mean over the analysed runs of the students it teaches
    on prefixes, and ``below`` (the teacher scores less than its students' mean).

    A dataset has one teacher, or one per teacher architecture where a chapter's settings change it (told apart by
    its score; the row is then named after the dataset and the settings it teaches). The score is ``metric`` where
    the records hold the teacher's (``teacher_<metric>``), else accuracy (``score`` names it); the table is empty
    where the records hold neither.
    """
    columns = ["score", "teacher", "students", "below"]
    score = _teacher_metric(frame, metric)
    if score is None or frame.empty:
        return pd.DataFrame(columns=columns)
    rows = {}
    per_dataset = frame.groupby("dataset")[f"teacher_{score}"].nunique()
    for (dataset, teacher), part in frame.groupby(["dataset", f"teacher_{score}"]):
        name = dataset
        if per_dataset[dataset] > 1 and "variant" in part.columns:
            name = f"{dataset} ({', '.join(dict.fromkeys(part['variant']))})"
        rows[name] = {"score": score, "teacher": 100 * teacher, "students": 100 * part[score].mean()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table["below"] = table["teacher"] < table["students"]
    return table


def _protocol_limit(protocol: int, current_stored: int | None) -> list[str]:
    if protocol == PROTOCOL_VERSION:
        return []
    stored = (f"; {current_stored} cells of this chapter's protocol-{PROTOCOL_VERSION} grid are stored so far"
              if current_stored is not None else "")
    return [(f"These are records of protocol version {protocol}, with the faults the warning at the top names"
             f"{stored}. Nothing here is a verdict on the paper.")]


def limits(selection: Selection, metric: str, tested: bool = True) -> list[str]:
    """What a selection's records cannot show, one sentence each, with the numbers that say so: an old protocol,
    how many datasets and seeds, a grid stored in part, paired tests over runs that are not independent
    (``tested``), and teachers below the students they teach (:func:`teacher_shortfall`)."""
    frame = selection.frame
    sentences = _protocol_limit(selection.protocol, selection.current_stored)
    n_datasets, n_seeds = frame["dataset"].nunique(), frame["seed"].nunique()
    size = f"The analysed runs cover {_count(n_datasets, 'dataset')} and {_count(n_seeds, 'seed')} ({len(frame)} runs)"
    if selection.rule == "complete blocks":
        size += (f": the complete blocks of a grid stored in part ({selection.n_stored} of {selection.n_grid} "
                 "cells)")
    size += "." + (" With one seed the seed-to-seed spread is unknown." if n_seeds == 1 else "")
    sentences.append(size)
    if tested:
        sentences.append(
            "The paired tests count runs, (dataset, seed) pairs, but the seeds of one dataset share its data and its "
            f"teacher: the p-values are descriptive, and what holds on these {_count(n_datasets, 'dataset')} need not "
            "hold on others.")
    shortfall = teacher_shortfall(frame, metric)
    if not shortfall.empty:
        below = shortfall.index[shortfall["below"]].tolist()
        score = shortfall["score"].iloc[0]
        if below:
            sentences.append(
                f"For {len(below)} of {_count(len(shortfall), 'teacher')} ({_names(below)}) the teacher's test "
                f"{score} on the full series is below the mean of the students it teaches on prefixes (e.g. "
                f"{below[0]}: {shortfall.loc[below[0], 'teacher']:.2f} against "
                f"{shortfall.loc[below[0], 'students']:.2f}): there the teacher knows less than its students on this "
                "score, so a distiller's gain or loss there says little about distillation.")
        else:
            sentences.append(f"Each of the {_count(len(shortfall), 'teacher')} scores above its students' mean test "
                             f"{score} (not checked against every single student).")
    return sentences


def zoo_standing(frame: pd.DataFrame, metric: str, method: str = "gdpd") -> dict[str, Any]:
    """``method`` among every method of the frame, over its complete (dataset, earliness) rows.

    Keys: ``table`` (per method: mean, average rank, top-1 count and top-3 share, best rank first), ``n_rows``,
    ``n_methods``, ``average_rank``, ``place`` (1 + the number of methods with a strictly better average rank),
    ``tied`` (methods of equal average rank), ``ahead`` (per method ranked better: its average rank, its mean minus
    ``method``'s, and the rows where it scores above ``method``), ``top1``, ``top3_share``, ``rival`` (the best-ranked
    other method) and ``test`` (``method`` against ``rival`` on (dataset, seed) pairs,
    :func:`gdpd.variants.paired_differences`). An empty dict where ``method`` has no complete row.
    """
    scores = cell_means(frame, metric)
    if scores.empty or method not in scores.columns or len(scores.columns) < 2:
        return {}
    table = summarise(scores)
    table["top3_share"] = top_k_share(scores, 3)
    table = table.sort_values(["average_rank", "mean"], ascending=[True, False])
    rank = float(table.loc[method, "average_rank"])
    others = table.drop(index=method)
    ahead = others[others["average_rank"] < rank - 1e-9]
    ahead = pd.DataFrame({
        "average_rank": ahead["average_rank"],
        "mean_difference": ahead["mean"] - table.loc[method, "mean"],
        "rows_above": [int((scores[m] > scores[method]).sum()) for m in ahead.index],
    })
    rival = str(others.index[0])
    pair = frame[frame["method"].isin([method, rival])]
    test = paired_differences(pair, metric, "method", rival)
    return {
        "table": table, "n_rows": len(scores), "n_methods": len(table), "average_rank": rank,
        "place": 1 + len(ahead), "tied": [m for m in others.index if abs(others.loc[m, "average_rank"] - rank) < 1e-9],
        "ahead": ahead, "top1": int(table.loc[method, "top1"]), "top3_share": float(table.loc[method, "top3_share"]),
        "rival": rival, "test": test[test["method"] == method].iloc[0],
    }


def zoo_ending(selection: Selection, metric: str, paper: pd.DataFrame | None = None, method: str = "gdpd") -> str:
    """Markdown: GDPD's place among the distillers, who beats it and by how much, the paired test against the
    best-ranked rival, its top-1 count, beside the paper's figures (``paper``: rows by method code, columns
    ``average_rank`` and ``top3_share``) where given, and the limits of the records."""
    standing = zoo_standing(selection.frame, metric, method) if not selection.empty else {}
    if not standing:
        return nothing_to_conclude(f"no complete row of the grid holds {method_label(method)} and a rival "
                                   f"({selection.n_stored} of {selection.n_grid} cells stored).")
    label = method_label(method)
    reported = paper.loc[method] if paper is not None and method in paper.index else None
    tied = f", tied with {_names([method_label(m) for m in standing['tied']])}" if standing["tied"] else ""
    shows = [
        f"{label}'s average rank is {standing['average_rank']:.2f} among {standing['n_methods']} methods over "
        f"{standing['n_rows']} datasets: place {standing['place']}{tied}"
        + (f" (the paper: {reported['average_rank']:.2f})." if reported is not None else ".")
    ]
    ahead = standing["ahead"]
    if ahead.empty:
        shows.append(f"No method has a better average rank than {label}.")
    else:
        shows.append(
            f"{_count(len(ahead), 'method')} {'ranks' if len(ahead) == 1 else 'rank'} above {label}: " + "; ".join(
                f"{method_label(r.Index)} (rank {r.average_rank:.2f}, mean {r.mean_difference:+.2f} against "
                f"{label}'s, above it on {r.rows_above} of {standing['n_rows']} datasets)" for r in ahead.itertuples())
            + ".")
    test = standing["test"]
    shows.append(
        f"Against the best-ranked rival, {method_label(standing['rival'])}, on matched runs: {label} "
        f"{_runs(test)}: " + {"higher": f"a significant gain for {label}.", "lower": f"a significant loss for {label}.",
                               "no clear difference": f"no significant difference at p < {ALPHA:g}."}[
            verdict(test.mean_difference, test.p_wilcoxon)])
    shows.append(
        f"{label} is best on {standing['top1']} of {standing['n_rows']} datasets and among the best three on "
        f"{100 * standing['top3_share']:.0f} % of them"
        + (f" (the paper: {100 * reported['top3_share']:.0f} %)." if reported is not None else "."))
    earliness = sorted(selection.frame["earliness"].unique())
    scope = [(f"Every run is at earliness {_names([f'{e:g}' for e in earliness])}: the comparison says nothing "
              "about other prefix lengths.")]
    return ending(shows, limits(selection, metric) + scope)


def baseline_effects(frame: pd.DataFrame, metric: str, method: str = "gdpd") -> pd.DataFrame:
    """``method`` against Base and against Base-KD within each setting and earliness, on matched runs
    (:func:`gdpd.variants.against_baselines`), with Holm-adjusted p-values over these comparisons (``p_holm``), a
    ``verdict`` (:func:`verdict`), and the setting's best method by mean (``best``, ``best_mean``, ``method_mean``:
    the mean over datasets of the seed means, :func:`gdpd.variants.variant_means`)."""
    columns = ["variant", "earliness", "reference", "n_pairs", "mean_difference", "wins", "losses", "p_wilcoxon",
               "p_holm", "verdict", "best", "best_mean", "method_mean"]
    if frame.empty or method not in set(frame["method"]):
        return pd.DataFrame(columns=columns)
    paired = against_baselines(frame, metric)
    paired = paired[paired["method"] == method_label(method)].reset_index(drop=True)
    paired["p_holm"] = holm(paired["p_wilcoxon"])
    paired["verdict"] = [verdict(d, p) for d, p in zip(paired["mean_difference"], paired["p_wilcoxon"])]
    means = variant_means(frame, metric).drop(columns="n_datasets")
    best = means.idxmax(axis=1)
    keys = list(zip(paired["variant"], paired["earliness"]))
    paired["best"] = [method_label(best[k]) for k in keys]
    paired["best_mean"] = [means.loc[k].max() for k in keys]
    paired["method_mean"] = [means.loc[k, method] for k in keys]
    return paired[columns]


def settings_ending(selection: Selection, metric: str, method: str = "gdpd") -> str:
    """Markdown: per setting, ``method`` against Base and Base-KD on matched runs and the setting's best method; how
    many settings ``method`` leads and loses; which differences are significant; and the limits of the records."""
    effects = baseline_effects(selection.frame, metric, method) if not selection.empty else pd.DataFrame()
    if effects.empty:
        return nothing_to_conclude(f"no complete block of the grid holds {method_label(method)} "
                                   f"({selection.n_stored} of {selection.n_grid} cells stored).")
    label = method_label(method)
    shows = []
    settings = effects.groupby(["variant", "earliness"], sort=False)
    for (variant, earliness), rows in settings:
        first = rows.iloc[0]
        against = "; ".join(f"against {r.reference} {_runs(r)}" for r in rows.itertuples())
        leader = (f"{label} has the best mean ({first.method_mean:.2f})" if first.best == label else
                  f"best mean: {first.best} {first.best_mean:.2f} ({label} {first.method_mean:.2f})")
        shows.append(f"**{variant}** (e = {earliness:g}): {label} {against}; {leader}.")
    led = sum(rows.iloc[0]["best"] == label for _, rows in settings)
    below = {ref: int((rows["mean_difference"] < 0).sum()) for ref, rows in effects.groupby("reference", sort=False)}
    shows.append(
        f"{label} has the best mean in {led} of {len(settings)} settings; its mean paired difference is negative "
        + " and ".join(f"against {ref} in {n}" for ref, n in below.items()) + " of them.")
    shows.append(_significance(effects, lambda r: f"against {r.reference} in {r.variant} at e = {r.earliness:g}",
                               f"{label} against a baseline"))
    return ending(shows, limits(selection, metric))


def variant_effects(frame: pd.DataFrame, metric: str, reference: str = "default") -> pd.DataFrame:
    """Every setting against ``reference`` per method and earliness, on matched runs
    (:func:`gdpd.variants.against_default`): mean difference x100, runs up (``wins``) and down (``losses``), the
    two-sided Wilcoxon p-value, its Holm adjustment over every row (``p_holm``) and a ``verdict``."""
    columns = ["method", "earliness", "variant", "n_pairs", "mean_difference", "wins", "losses", "p_wilcoxon",
               "p_holm", "verdict"]
    if frame.empty or reference not in set(frame["variant"]):
        return pd.DataFrame(columns=columns)
    paired = against_default(frame, metric, reference)
    paired["p_holm"] = holm(paired["p_wilcoxon"])
    paired["verdict"] = [verdict(d, p) for d, p in zip(paired["mean_difference"], paired["p_wilcoxon"])]
    return paired[columns].reset_index(drop=True)


def ablation_ending(selection: Selection, metric: str, reference: str = "default") -> str:
    """Markdown: per setting, its mean paired difference to ``reference`` with runs up and down and the p-value at each
    earliness; whether any setting beats ``reference`` significantly, and which it beats; the largest gain and loss;
    and the limits of the records."""
    effects = variant_effects(selection.frame, metric, reference) if not selection.empty else pd.DataFrame()
    if effects.empty:
        return nothing_to_conclude(f"no complete block of the grid holds `{reference}` and another setting "
                                   f"({selection.n_stored} of {selection.n_grid} cells stored).")
    several = effects["method"].nunique() > 1
    shows = []
    for (method, variant), rows in effects.groupby(["method", "variant"], sort=False):
        name = f"{method}, `{variant}`" if several else f"`{variant}`"
        shows.append(f"{name} against `{reference}`: "
                     + "; ".join(f"{_runs(r)} at e = {r.earliness:g}" for r in rows.itertuples()) + ".")
    better = effects[(effects["mean_difference"] > 0) & (effects["p_wilcoxon"] < ALPHA)]
    if better.empty:
        shows.append(f"No setting beats `{reference}` significantly (two-sided Wilcoxon, p < {ALPHA:g}, uncorrected).")
    shows.append(_significance(effects, lambda r: f"`{r.variant}` at e = {r.earliness:g}",
                               f"a setting against `{reference}`"))
    top, bottom = effects.loc[effects["mean_difference"].idxmax()], effects.loc[effects["mean_difference"].idxmin()]
    shows.append(f"The largest mean change is {top.mean_difference:+.2f} (`{top.variant}` at e = {top.earliness:g}); "
                 f"the most negative {bottom.mean_difference:+.2f} (`{bottom.variant}` at e = {bottom.earliness:g}).")
    methods = sorted(method_label(m) for m in selection.frame["method"].unique())
    scope = [(f"Only {_names(methods)} runs are in this grid: it compares settings with each other, not "
              "GDPD with the baselines.")]
    return ending(shows, limits(selection, metric) + scope)


def selection_inflation(on_validation: pd.DataFrame, on_test: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows (earliness, method): the mean over datasets of the seed-mean ``metric`` x100 with the weight chosen on
    validation, the same with it chosen on the test split, their difference (``inflation``) and ``n_datasets``."""
    ours = table1(on_validation, metric).set_index(["earliness", "method"])
    released = table1(on_test, metric).set_index(["earliness", "method"])
    return pd.DataFrame({
        "lambda on validation": ours["mean"], "lambda on test": released["mean"],
        "inflation": released["mean"] - ours["mean"], "n_datasets": ours["n_datasets"],
    })


def lambda_ending(selection: Selection, on_test: pd.DataFrame, metric: str, method: str = "gdpd") -> str:
    """Markdown: how much choosing the weight on the test split raises each method's mean, whether it changes which
    method leads, where ``method`` trails under the honest (validation) choice, which weights validation picks for
    it, and the limits of the records."""
    if selection.empty or on_test.empty:
        return nothing_to_conclude(f"no complete seed or block of the grid is stored ({selection.n_stored} of "
                                   f"{selection.n_grid} cells).")
    table = selection_inflation(selection.frame, on_test, metric)
    label = method_label(method)
    distillers = table[table.index.get_level_values("method") != "base"]
    shows = ["Choosing the weight on the test split raises the mean by: " + "; ".join(
        f"{method_label(m)} " + ", ".join(f"{r.inflation:+.2f} at e = {e:g}" for (e, _), r in rows.iterrows())
        for m, rows in distillers.groupby(level="method", sort=False)) + "."]
    top = distillers["inflation"].idxmax()
    shows.append(f"The largest inflation: {method_label(top[1])} at e = {top[0]:g} "
                 f"({distillers.loc[top, 'inflation']:+.2f}).")
    for earliness, rows in table.groupby(level="earliness"):
        rows = rows.droplevel("earliness")
        honest, leaked = rows["lambda on validation"].idxmax(), rows["lambda on test"].idxmax()
        lead = (f"{method_label(honest)} leads under either choice" if honest == leaked else
                f"{method_label(honest)} leads with the weight chosen on validation, {method_label(leaked)} with it "
                "chosen on test")
        if method in rows.index and honest != method:
            lead += (f"; with the validation choice {label} trails {method_label(honest)} by "
                     f"{rows.loc[honest, 'lambda on validation'] - rows.loc[method, 'lambda on validation']:.2f}")
        shows.append(f"At e = {earliness:g}: {lead}.")
    chosen = selection.frame[selection.frame["method"] == method]["weight"].value_counts().sort_index()
    if not chosen.empty:
        shows.append(f"Validation picks {label}'s weight λ = " + ", ".join(
            f"{w:g} in {n}" for w, n in chosen.items()) + f" of its {int(chosen.sum())} runs.")
    weights = sorted(selection.grid.loc[selection.grid["method"] != "base", "weight"].unique())
    scope = [(f"Test selection here is the best of {len(weights)} weights ({_names([f'{w:g}' for w in weights])}) "
              "per (dataset, earliness); the inflation grows with the number of weights tried, so it measures this "
              "grid, not what the released script's choice added to the paper's table.")]
    return ending(shows, limits(selection, metric, tested=False) + scope)


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
             + (f" ({_names([f'{d} {r.difference:+.3f}' for d, r in above.iterrows()])})" if len(above) else "")
             + (f" and below on {len(behind)} ("
                + _names([f"{d} {r.difference:+.3f} against {r.peer}" for d, r in behind.iterrows()]) + ")"
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
    return ending(shows, _early_limits(frame, protocol))


def _early_limits(frame: pd.DataFrame, protocol: int) -> list[str]:
    sentences = _protocol_limit(protocol, None)
    students = frame[frame["kind"] != "peer"]
    sentences.append(
        f"{_count(frame['dataset'].nunique(), 'dataset')}, {_count(students['seed'].nunique(), 'student seed')} and "
        f"{_count(frame.loc[frame['kind'] == 'peer', 'seed'].nunique(), 'peer seed')}: a verdict per dataset rests "
        "on seed means, without a test.")
    sentences.append(
        f"The aeon peers run on a {PEER_TREES}-tree time-series forest, not aeon's default base classifiers "
        "(WEASEL, DrCIF): they show these stopping rules with that classifier, not the best each rule can do.")
    teacher = frame[frame["kind"] == "teacher"].groupby("dataset")["accuracy"].mean()
    fixed = frame[frame["kind"] == "fixed"].groupby(["dataset", "classifier"])["accuracy"].mean()
    if not teacher.empty and not fixed.empty:
        best = fixed.groupby(level="dataset").max().reindex(teacher.index)
        weak = teacher.index[teacher < best].tolist()
        if weak:
            sentences.append(
                f"On {len(weak)} of {len(teacher)} datasets ({_names(weak)}) the full-series teacher that closes "
                f"every bank is less accurate than the best fixed-prefix student (e.g. {weak[0]}: "
                f"{teacher[weak[0]]:.3f} against {best[weak[0]]:.3f}): a bank that defers to it loses accuracy "
                "by waiting.")
    return sentences


def cost_overhead(frame: pd.DataFrame, method: str = "gdpd", reference: str = "base",
                  shape: dict[str, int] | None = None, scaling_reference: str = "kd") -> dict[str, Any]:
    """From the cost chapter's measurements (:func:`gdpd.cost.cost_frame`): ``method`` against ``reference`` at
    ``shape`` (default :data:`gdpd.cost.BOOK_SHAPE`) with one hint sample, and its overhead over
    ``scaling_reference`` in the batch-size and width sweeps.

    Keys: ``epoch_ratio`` and ``step_ratio`` (distillation seconds per epoch and median seconds per step over the
    reference's), ``memory_mb`` (the two peaks), ``inference_ratio``, ``same_parameters`` (every method's student
    has as many parameters as the reference's), ``cheaper`` (methods with a shorter distillation epoch than
    ``method``'s), ``noise`` (the smallest ratio to the reference of any other method; below 1 it is timing
    noise), ``threads``, and ``sweeps`` (sweep field -> Series of ``method`` / ``scaling_reference`` seconds per
    step). An empty dict where either method is not measured at ``shape``.
    """
    from gdpd.cost import BATCH_SIZES, BOOK_SHAPE, WIDTHS

    shape = BOOK_SHAPE if shape is None else shape
    if frame.empty:
        return {}
    single = frame[frame["samples"] == 1]
    book = single
    for field, value in shape.items():
        book = book[book[field] == value]
    book = book.set_index("method")
    if not {method, reference} <= set(book.index):
        return {}
    ratio = book["distillation_s_per_epoch"] / book.loc[reference, "distillation_s_per_epoch"]
    sweeps = {}
    for field, values, fixed in (("batch_size", BATCH_SIZES, {"cases": 256, "hidden": shape["hidden"]}),
                                 ("hidden", WIDTHS, {"cases": shape["cases"], "batch_size": shape["batch_size"]})):
        part = single[single[field].isin(values)]
        for key, value in fixed.items():
            part = part[part[key] == value]
        steps = part.pivot_table(index=field, columns="method", values="s_per_step")
        if {method, scaling_reference} <= set(steps.columns):
            sweeps[field] = (steps[method] / steps[scaling_reference]).dropna()
    return {
        "epoch_ratio": float(ratio[method]),
        "step_ratio": float(book.loc[method, "s_per_step"] / book.loc[reference, "s_per_step"]),
        "memory_mb": (float(book.loc[method, "peak_rss_mb"]), float(book.loc[reference, "peak_rss_mb"])),
        "inference_ratio": float(book.loc[method, "inference_s_per_100"] / book.loc[reference, "inference_s_per_100"]),
        "same_parameters": bool((book["student_parameters"] == book.loc[reference, "student_parameters"]).all()),
        "n_methods": len(book), "cheaper": sorted(ratio.index[ratio < ratio[method]].drop(reference, errors="ignore")),
        "noise": float(ratio.drop(index=reference).min()), "threads": sorted(int(t) for t in book["threads"].unique()),
        "sweeps": sweeps,
    }


def cost_ending(frame: pd.DataFrame, method: str = "gdpd", reference: str = "base") -> str:
    """Markdown: ``method``'s overhead factor over ``reference`` per distillation epoch and step, its memory and
    inference, how the overhead over Base-KD moves with batch size and width, and the limits of the measurements."""
    overhead = cost_overhead(frame, method, reference)
    label, base = method_label(method), method_label(reference)
    if not overhead:
        return nothing_to_conclude(f"{label} or {base} is not measured at the book's shape; `gdpd cost` measures "
                                   "what the store lacks.")
    memory = overhead["memory_mb"]
    shows = [
        (f"{label}'s distillation epoch takes {overhead['epoch_ratio']:.2f}× {base}'s and its median step "
         f"{overhead['step_ratio']:.2f}×; its peak memory is {memory[0]:.0f} MB against {memory[1]:.0f} MB."),
        f"{len(overhead['cheaper'])} of the other {overhead['n_methods'] - 1} methods have a shorter distillation "
        f"epoch than {label}" + (f" ({_names([method_label(m) for m in overhead['cheaper']])})"
                                 if overhead["cheaper"] else "") + ".",
        ("Every method's student has the same number of parameters" if overhead["same_parameters"] else
         "The students' parameter counts differ between methods (they should not)")
        + f", and {label}'s student infers in {overhead['inference_ratio']:.2f}× {base}'s time: distillation adds "
        "nothing at inference.",
    ]
    names = {"batch_size": "batch size", "hidden": "student width"}
    for field, ratio in overhead["sweeps"].items():
        shows.append(f"{label}'s step over {method_label('kd')}'s, by {names[field]}: " + ", ".join(
            f"{ratio[v]:.2f}× at {v}" for v in ratio.index) + f"; the overhead is largest at {ratio.idxmax()}.")
    threads = overhead["threads"]
    threads = _count(threads[0], "thread") if len(threads) == 1 else f"{_names([str(t) for t in threads])} threads"
    limits_ = [
        (f"Synthetic series of one shape, on a CPU with {threads}: the LSTM's cost grows with the series "
         "length and the hint's with the batch and width, so other shapes and a GPU shift the ratios."),
        f"The smallest ratio of any other method to {base} is {overhead['noise']:.2f}"
        + (": a method doing more work measured faster, so differences of that size are timing noise."
           if overhead["noise"] < 1 else "; no method measured faster than Base, so the timing noise is not seen "
           "here."),
    ]
    return ending(shows, limits_)


def physionet_ending(selection: Selection, present: bool, prevalence: float | None = None,
                     method: str = "gdpd") -> str:
    """Markdown: nothing to conclude where the challenge data or the runs are missing; otherwise ``method`` against
    Base and Base-KD per earliness on the macro AUC-PRC, the *died*-class AUC-PRC (``died_auc_prc`` in the frame)
    beside its chance level ``prevalence``, and the limits of the records."""
    stored = f"{selection.n_stored} of {selection.n_grid} cells of the grid are stored"
    if not present:
        return nothing_to_conclude(
            f"The PhysioNet/CinC 2012 data is not in this checkout and {stored}: the chapter shows the file format "
            "only, and says nothing about the paper's ICU case study.")
    if selection.empty:
        return nothing_to_conclude(f"The data is present but {stored}, with no complete block; "
                                   "`gdpd grid --preset physionet` computes them.")
    frame = selection.frame
    label = method_label(method)
    shows = []
    for reference in ("base", "kd"):
        pair = frame[frame["method"].isin([method, reference])]
        paired = paired_differences(pair, "auc_prc", "method", reference, within=("earliness",))
        paired = paired[paired["method"] == method]
        if not paired.empty:
            shows.append(f"Macro AUC-PRC, {label} against {method_label(reference)}: " + "; ".join(
                f"{_runs(r)} at e = {r.earliness:g}" for r in paired.itertuples()) + ".")
    if "died_auc_prc" in frame.columns and prevalence is not None:
        died = cell_means(frame, "died_auc_prc")
        shows.append(f"AUC-PRC of the *died* class (chance {100 * prevalence:.1f}): " + "; ".join(
            f"e = {e:g}: {label} {row[method]:.2f}, best {method_label(row.idxmax())} {row.max():.2f}"
            for (_, e), row in died.iterrows() if method in row.index) + ".")
    scope = ["One dataset and one split: a case study, not a benchmark."]
    return ending(shows, limits(selection, "auc_prc") + scope)
