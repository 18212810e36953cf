"""The paper's Table 1 claims, tested on our runs: effect sizes first, then tests over datasets, then the verdict.

Every function reads the frame of a :func:`gdpd.results.select_analysis` selection (one row per analysed run), so it
only ever compares complete rows. The effect of a claim is a difference of means x100 with a 95 % hierarchical
bootstrap interval (:mod:`gdpd.statistics`: datasets, then seeds within a dataset), set beside the paper's margin;
the tests are Demšar's (2006) over datasets; paired tests over (dataset, seed) runs remain as a descriptive view,
never as a decision. :func:`verdict` is the one rule that turns a measured quantity into *holds*, *does not hold*
or *cannot tell with these data* (:data:`RULE` states it in words); the claims ledger (:mod:`gdpd.findings.ledger`)
and the results chapter both apply it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from gdpd.provenance import REPO_ROOT
from gdpd.report import cell_means
from gdpd.results import BLOCK, method_label
from gdpd.statistics import (ALPHA, N_RESAMPLES, SEED, bootstrap_mean, datasets_needed, friedman, nemenyi_cd,
                             smallest_wilcoxon_p, wilcoxon_holm)
from gdpd.teachers import AGREEMENT_LEVEL, released_agreement, seed_means
from gdpd.variants import paired_differences

RIVALS = ("base", "kd", "fitnets")
RELEASED_CSV = REPO_ROOT / "data" / "released_reference.csv"
POOLED = "all"
"""The earliness label of a quantity pooled over every earliness level."""

HOLDS, FAILS, UNKNOWN = "holds", "does not hold", "cannot tell with these data"
VERDICTS = (HOLDS, FAILS, UNKNOWN)
KINDS = ("effect", "bound", "test", "untestable")
RULE = (
    "Each claim is a measured quantity with its 95 % interval (a hierarchical bootstrap: datasets, then seeds within "
    f"each drawn dataset, {N_RESAMPLES:,} resamples, seed {SEED}) and the paper's value. *Better* is higher for a "
    "score and lower for a rank or a cost; *no effect* is 0 for a difference, the middle rank (k + 1) / 2 for an "
    "average rank among k methods and the chance share t / k for the share of datasets where a method is among the "
    "best t.\n\n"
    "- **Effect** (the paper reports GDPD or a distiller ahead, by a margin, or only in direction, where its value "
    "is *no effect*): **holds** when the whole interval is on the better side of no effect and reaches the paper's "
    "value; **does not hold** when the whole interval falls short of the paper's value; otherwise **cannot tell**.\n"
    "- **Bound** (the paper reports a cost): **holds** when the whole interval is at or below the paper's cost; "
    "**does not hold** when it is entirely above; otherwise **cannot tell**.\n"
    "- **Test** (this book's checks over datasets): **holds** when the p-value (Holm-adjusted over the comparisons "
    f"made together) is below {ALPHA:g} in the claimed direction; **does not hold** when it is below {ALPHA:g} the "
    "other way; otherwise **cannot tell**: a test that does not reject shows no difference only as far as its power "
    "goes.\n"
    f"- **Cannot tell** also for a quantity over fewer datasets than a two-sided exact Wilcoxon test needs to reach "
    f"p < {ALPHA:g} ({datasets_needed(ALPHA)}), and for a claim these data cannot reach (listed last).\n\n"
    "A claim the paper makes at each earliness is measured pooled over earliness (each seed's differences averaged "
    "over the earliness levels, then the rule as above), with the verdict at each earliness beside it."
)
"""The verdict rule in words, as the ledger page states it; :func:`verdict` is the same rule in code."""


class Pair(NamedTuple):
    """A Table 1 comparison: ``method`` against ``rival``; ``sized`` when the claim is the paper's margin, not only
    its direction (the paper's statement that every distiller beats Base is a direction)."""

    method: str
    rival: str
    sized: bool


TABLE1_PAIRS = (Pair("gdpd", "base", True), Pair("gdpd", "kd", True), Pair("gdpd", "fitnets", True),
                Pair("kd", "base", False), Pair("fitnets", "base", False))


def verdict(kind: str, estimate: float, low: float, high: float, target: float = 0.0, null: float = 0.0,
            better: str = "higher", n_datasets: int = 0, p_value: float = np.nan, alpha: float = ALPHA) -> str:
    """The verdict of one claim by :data:`RULE`.

    With s = +1 where ``better`` is ``"higher"`` and -1 where it is ``"lower"``, every value v is oriented as
    s (v - null), so that larger is better and no effect is 0; [lo, hi] is the oriented interval and t the oriented
    ``target`` (the paper's value). ``effect``: holds if lo > 0 and hi >= t, does not hold if hi < t. ``bound``:
    holds if lo >= t, does not hold if hi < t. ``test``: holds if p < alpha with an oriented estimate above 0, does
    not hold if p < alpha below it. Otherwise, and with ``n_datasets`` below :func:`gdpd.statistics.datasets_needed`,
    an effect or bound without an interval or a target, or an ``untestable`` claim: cannot tell.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of claim {kind!r}; one of {KINDS}")
    if kind == "untestable" or n_datasets < datasets_needed(alpha):
        return UNKNOWN
    sign = 1.0 if better == "higher" else -1.0
    if kind == "test":
        if np.isnan(p_value) or p_value >= alpha:
            return UNKNOWN
        return HOLDS if sign * (estimate - null) > 0 else FAILS
    if not np.isfinite([low, high, target]).all():
        return UNKNOWN
    lo, hi = sorted((sign * (low - null), sign * (high - null)))
    goal = sign * (target - null)
    if (kind == "effect" and lo > 0 and hi >= goal) or (kind == "bound" and lo >= goal):
        return HOLDS
    return FAILS if hi < goal else UNKNOWN


def run_differences(frame: pd.DataFrame, metric: str, method: str, rival: str, scale: float = 100.0) -> pd.Series:
    """``method`` - ``rival`` x``scale`` per run, indexed (dataset, earliness, seed), where both are stored."""
    values = frame.pivot_table(index=BLOCK, columns="method", values=metric, aggfunc="mean") * scale
    return (values[method] - values[rival]).dropna().rename(f"{method} - {rival}")


def pool(differences: pd.Series) -> pd.Series:
    """Per-run differences indexed (dataset, earliness, seed) averaged over earliness within each (dataset, seed): the
    runs a pooled effect bootstraps (a seed's runs at every earliness share its validation split and teacher)."""
    return differences.groupby(level=["dataset", "seed"]).mean()


def paper_margins(paper: pd.DataFrame, method: str, rival: str) -> pd.Series:
    """The paper's mean of ``method`` minus its mean of ``rival`` per earliness (:func:`gdpd.report.read_paper`)."""
    means = paper.pivot(index="earliness", columns="method", values="mean")
    return means[method] - means[rival]


def margins(frame: pd.DataFrame, paper: pd.DataFrame | None = None, metric: str = "auc_prc",
            pairs: tuple[Pair, ...] = TABLE1_PAIRS, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> pd.DataFrame:
    """Per pair and earliness, and pooled over earliness (``earliness`` :data:`POOLED`): the effect and its verdict.

    Columns: ``method``, ``rival`` (codes), ``earliness``, ``estimate`` (the mean over datasets of the per-dataset
    seed mean of method - rival, x100; pooled: of each (dataset, seed)'s mean over earliness), ``low`` and ``high``
    (the 95 % hierarchical bootstrap interval), ``n_datasets``, ``paper`` (the paper's margin; pooled: its mean over
    the same earliness levels), ``target`` (the paper's margin for a sized pair, 0 for a direction) and ``verdict``
    (:func:`verdict`, kind ``effect``).
    """
    rows = []
    for pair in pairs:
        diff = run_differences(frame, metric, pair.method, pair.rival)
        reported = (paper_margins(paper, pair.method, pair.rival) if paper is not None
                    else pd.Series(dtype=float))
        levels = sorted(diff.index.get_level_values("earliness").unique())
        parts = [(e, diff.xs(e, level="earliness"), reported.get(e, np.nan)) for e in levels]
        parts.append((POOLED, pool(diff),
                      reported.reindex(levels).mean() if reported.index.isin(levels).any() else np.nan))
        for earliness, values, margin in parts:
            interval = bootstrap_mean(values, n_resamples, seed)
            target = margin if pair.sized else 0.0
            rows.append({"method": pair.method, "rival": pair.rival, "earliness": earliness,
                         **interval._asdict(), "paper": margin, "target": target,
                         "verdict": verdict("effect", interval.estimate, interval.low, interval.high, target,
                                            n_datasets=interval.n_datasets)})
    return pd.DataFrame(rows)


def dataset_scores(frame: pd.DataFrame, metric: str = "auc_prc") -> dict[Any, pd.DataFrame]:
    """Per earliness, and pooled (:data:`POOLED`: each dataset's mean over earliness), the table of seed-mean scores
    x100: rows datasets, columns methods, complete rows only."""
    cells = cell_means(frame, metric)
    tables: dict[Any, pd.DataFrame] = {e: rows.droplevel("earliness") for e, rows in cells.groupby(level="earliness")}
    tables[POOLED] = cells.groupby(level="dataset").mean()
    return tables


def friedman_tests(frame: pd.DataFrame, metric: str = "auc_prc", alpha: float = ALPHA) -> pd.DataFrame:
    """Friedman's test and the Iman-Davenport F per earliness and pooled (:func:`gdpd.statistics.friedman`), with
    Nemenyi's critical difference of average ranks at ``alpha`` and the smallest two-sided exact Wilcoxon p-value that
    the number of datasets allows (:func:`gdpd.statistics.smallest_wilcoxon_p`)."""
    rows = []
    for earliness, scores in dataset_scores(frame, metric).items():
        result = friedman(scores)
        rows.append({"earliness": earliness, **result._asdict(),
                     "critical_difference": nemenyi_cd(result.n_methods, result.n_datasets, alpha),
                     "smallest_wilcoxon_p": smallest_wilcoxon_p(result.n_datasets)})
    return pd.DataFrame(rows)


def control_tests(frame: pd.DataFrame, metric: str = "auc_prc", method: str = "gdpd",
                  alpha: float = ALPHA) -> pd.DataFrame:
    """``method`` against every other method over datasets, per earliness and pooled: two-sided Wilcoxon tests on
    the dataset means with Holm's step-down correction within each earliness (:func:`gdpd.statistics.wilcoxon_holm`);
    rivals by their labels."""
    parts = [wilcoxon_holm(scores, method, alpha).assign(earliness=earliness)
             for earliness, scores in dataset_scores(frame, metric).items()]
    table = pd.concat(parts, ignore_index=True)
    table["rival"] = table["rival"].map(method_label)
    return table[["earliness", *(c for c in table.columns if c != "earliness")]]


def paired_tests(frame: pd.DataFrame, metric: str = "auc_prc", method: str = "gdpd",
                 rivals: tuple[str, ...] = RIVALS) -> pd.DataFrame:
    """A descriptive view, never a decision: ``method`` against each rival over (dataset, seed) runs, per earliness
    and pooled over earliness.

    Columns: earliness (``"all"`` when pooled), rival label, ``n_pairs``, ``mean_difference`` (method - rival, x100),
    ``wins`` and the two-sided Wilcoxon signed-rank p-value (:func:`gdpd.variants.paired_differences`). The seeds of
    one dataset share its test split and teacher, so the runs are not independent observations.
    """
    runs = frame[frame["method"].isin((method, *rivals))]
    parts = []
    for rival in rivals:
        pair = runs[runs["method"].isin((method, rival))]
        per = paired_differences(pair, metric, "method", rival, within=("earliness",))
        pooled = paired_differences(pair, metric, "method", rival).assign(earliness=POOLED)
        parts.extend([per, pooled])
    table = pd.concat(parts, ignore_index=True)
    table = table[table["method"] == method].drop(columns="method").rename(columns={"reference": "rival"})
    table["rival"] = table["rival"].map(method_label)
    return table[["earliness", "rival", "n_pairs", "mean_difference", "wins", "p_wilcoxon"]].reset_index(drop=True)


def plot_margins(table: pd.DataFrame, colours: dict[str, Any] | None = None, method: str = "gdpd") -> Any:
    """The effects of a :func:`margins` table for ``method``: one panel per rival, one row per earliness and the
    pooled row, our estimate with its 95 % interval (in the rival's colour) and the paper's margin (a black
    diamond); the dotted line is no effect."""
    import matplotlib.pyplot as plt

    rows = table[table["method"] == method]
    rivals = list(dict.fromkeys(rows["rival"]))
    figure, axes = plt.subplots(1, len(rivals), figsize=(3.2 * len(rivals), 3.6), sharex=True, sharey=True,
                                squeeze=False)
    for axis, rival in zip(axes[0], rivals):
        part = rows[rows["rival"] == rival].reset_index(drop=True)
        y = np.arange(len(part))[::-1]
        colour = (colours or {}).get(method_label(rival), "C0")
        axis.errorbar(part["estimate"], y, xerr=[part["estimate"] - part["low"], part["high"] - part["estimate"]],
                      fmt="o", color=colour, capsize=3, label="ours, 95 % interval")
        axis.scatter(part["paper"], y, marker="D", facecolors="none", edgecolors="black", zorder=3, label="paper")
        axis.axvline(0, color="0.4", linestyle=":", linewidth=1)
        axis.axhline(0.5, color="0.8", linewidth=0.8)  # the pooled row below the per-earliness ones
        axis.set_yticks(y, [f"e = {e:g}" if e != POOLED else "pooled" for e in part["earliness"]])
        axis.set(title=f"{method_label(method)} − {method_label(rival)}", xlabel="difference ×100")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, bbox_to_anchor=(0.5, -0.06))
    figure.tight_layout()
    return figure


def read_released(path: str = str(RELEASED_CSV)) -> pd.DataFrame:
    """The released code's reference run on GunPoint at earliness 0.4 (``#`` lines are comments)."""
    return pd.read_csv(path, comment="#", dtype={"seeds": str})


def released_comparison(frame: pd.DataFrame, released: pd.DataFrame, dataset: str = "GunPoint",
                        earliness: float = 0.4) -> pd.DataFrame:
    """Per method and seed set: our test AUC-PRC, accuracy and fidelity x100 beside the released code's.

    Rows: the released run's single seeds, and the seeds of its mean (e.g. ``"1 24 300"``) when all are among ours.
    """
    ours = frame[(frame["dataset"] == dataset) & (frame["earliness"] == earliness)]
    rows = []
    for entry in released.itertuples(index=False):
        seeds = [int(s) for s in entry.seeds.split()]
        mine = ours[(ours["method"] == entry.method) & ours["seed"].isin(seeds)]
        complete = mine["seed"].nunique() == len(seeds)
        row = {"method": method_label(entry.method), "seeds": entry.seeds}
        for column in ("auc_prc", "accuracy", "fidelity"):
            row[(column, "ours")] = 100 * mine[column].mean() if complete else np.nan
            row[(column, "released")] = getattr(entry, column)
        rows.append(row)
    table = pd.DataFrame(rows).set_index(["method", "seeds"])
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


def released_agreement_note(frame: pd.DataFrame, released: pd.DataFrame, dataset: str = "GunPoint",
                            earliness: float = 0.4) -> str:
    """Whether each method's seed mean of test AUC-PRC on (``dataset``, ``earliness``) agrees with the released code's
    multi-seed mean within seed noise: Welch's two-sided t-test on the two seed summaries at
    :data:`gdpd.teachers.AGREEMENT_LEVEL` (:func:`gdpd.teachers.released_agreement`), or why it cannot be told; and,
    where a distiller is beyond seed noise, the chapter that tests whether the teacher's choice is why."""
    ours = frame[(frame["dataset"] == dataset) & (frame["earliness"] == earliness)]
    if ours.empty:
        return f"{dataset} at earliness {earliness:g} is not among the analysed runs."
    runs = ours.assign(teacher="ours", **{column: 100 * ours[column] for column in ("auc_prc", "accuracy", "fidelity")})
    means = seed_means(runs)
    seeds = int(means["seeds"].min())
    if seeds < 2:
        return (f"**Within seed noise?** Not yet told: {dataset} at earliness {earliness:g} has {seeds} analysed "
                "seed, and a seed mean's noise needs two.")
    agreement = released_agreement(means, released, dataset).set_index("method")
    parts = [f"{method_label(m)} {row.difference:+.2f} (p = {row.p:.2g}: {'within' if row.agrees else 'beyond'} it)"
             for m, row in agreement.iterrows()]
    theirs = int(agreement["released_seeds"].min())
    beyond = [m for m, row in agreement.iterrows() if not row.agrees]
    distillers = [method_label(m) for m in beyond if m != "base"]
    why = (f" Our teacher is chosen on validation, the released code's on test: {{doc}}`02_teacher_and_prior` "
           f"retrains {' and '.join(distillers)} on this cell with the teacher chosen as released, to tell whether "
           "that choice is why." if distillers else "")
    if "base" in beyond:
        why += f" {method_label('base')} has no teacher, so the teacher is not why it differs."
    return (f"**Within seed noise?** Our seed mean minus the released code's, AUC-PRC ×100, {seeds} seeds against "
            f"its {theirs} (Welch's t-test; within seed noise where p ≥ {AGREEMENT_LEVEL:g}, which with so few seeds "
            "lets large gaps through as well): " + "; ".join(parts) + "." + why)
