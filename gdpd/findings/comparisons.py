"""The endings that compare methods or settings on matched runs: GDPD's standing among the distillers, GDPD
against Base and Base-KD per setting, each ablation setting against its default, what choosing the weight on the
test split adds, and GDPD against the baselines in the PhysioNet case study."""

from __future__ import annotations

from typing import Any

import pandas as pd

from gdpd.findings.wording import (ALPHA, count, ending, holm, limits, listing, nothing_to_conclude, runs, verdict,
                                   without_weak_teachers)
from gdpd.metrics import summarise, top_k_share
from gdpd.report import cell_means, table1
from gdpd.results import Selection, method_label
from gdpd.variants import against_baselines, against_default, paired_differences, variant_means


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


def _place(label: str, standing: dict[str, Any]) -> str:
    """``label``'s average rank and place in a :func:`zoo_standing`, with the methods tied with it."""
    tied = f", tied with {listing([method_label(m) for m in standing['tied']])}" if standing["tied"] else ""
    return (f"{label}'s average rank is {standing['average_rank']:.2f} among {standing['n_methods']} methods over "
            f"{standing['n_rows']} datasets: place {standing['place']}{tied}")


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
    shows = [_place(label, standing) + (f" (the paper: {reported['average_rank']:.2f})." if reported is not None
                                        else ".")]
    ahead = standing["ahead"]
    if ahead.empty:
        shows.append(f"No method has a better average rank than {label}.")
    else:
        shows.append(
            f"{count(len(ahead), 'method')} {'ranks' if len(ahead) == 1 else 'rank'} above {label}: " + "; ".join(
                f"{method_label(r.Index)} (rank {r.average_rank:.2f}, mean {r.mean_difference:+.2f} against "
                f"{label}'s, above it on {r.rows_above} of {standing['n_rows']} datasets)" for r in ahead.itertuples())
            + ".")
    test = standing["test"]
    shows.append(
        f"Against the best-ranked rival, {method_label(standing['rival'])}, on matched runs: {label} "
        f"{runs(test)}: " + {"higher": f"a significant gain for {label}.", "lower": f"a significant loss for {label}.",
                               "no clear difference": f"no significant difference at p < {ALPHA:g}."}[
            verdict(test.mean_difference, test.p_wilcoxon)])
    shows.append(
        f"{label} is best on {standing['top1']} of {standing['n_rows']} datasets and among the best three on "
        f"{100 * standing['top3_share']:.0f} % of them"
        + (f" (the paper: {100 * reported['top3_share']:.0f} %)." if reported is not None else "."))
    below, strong = without_weak_teachers(selection.frame, metric)
    again = zoo_standing(strong, metric, method) if below else {}
    if again:
        shows.append(
            f"Without the runs of the {count(len(below), 'teacher')} below {'its' if len(below) == 1 else 'their'} "
            f"students ({listing(below)}), {_place(label, again)}.")
    earliness = sorted(selection.frame["earliness"].unique())
    scope = [(f"Every run is at earliness {listing([f'{e:g}' for e in earliness])}: the comparison says nothing "
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
        against = "; ".join(f"against {r.reference} {runs(r)}" for r in rows.itertuples())
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


def _extremes(effects: pd.DataFrame) -> str:
    """One sentence on the largest gain and the largest loss among the mean paired differences of ``effects``
    (``variant``, ``earliness``, ``mean_difference``), or their range where every change has the same sign."""
    top, bottom = effects.loc[effects["mean_difference"].idxmax()], effects.loc[effects["mean_difference"].idxmin()]

    def change(row: pd.Series) -> str:
        return f"{row.mean_difference:+.2f} (`{row.variant}` at e = {row.earliness:g})"

    if top.mean_difference > 0 > bottom.mean_difference:
        return f"The largest gain in the mean is {change(top)}; the largest loss {change(bottom)}."
    if effects["mean_difference"].notna().sum() == 1:
        return f"The mean changes by {change(top)}."
    if top.mean_difference <= 0:
        return f"No setting raises the mean: the changes run from {change(top)} to {change(bottom)}."
    return f"No setting lowers the mean: the changes run from {change(bottom)} to {change(top)}."


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
                     + "; ".join(f"{runs(r)} at e = {r.earliness:g}" for r in rows.itertuples()) + ".")
    better = effects[(effects["mean_difference"] > 0) & (effects["p_wilcoxon"] < ALPHA)]
    if better.empty:
        shows.append(f"No setting beats `{reference}` significantly (two-sided Wilcoxon, p < {ALPHA:g}, uncorrected).")
    shows.append(_significance(effects, lambda r: f"`{r.variant}` at e = {r.earliness:g}",
                               f"a setting against `{reference}`"))
    shows.append(_extremes(effects))
    methods = sorted(method_label(m) for m in selection.frame["method"].unique())
    scope = [(f"Only {listing(methods)} runs are in this grid: it compares settings with each other, not "
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
    scope = [(f"Test selection here is the best of {len(weights)} weights ({listing([f'{w:g}' for w in weights])}) "
              "per (dataset, earliness); the inflation grows with the number of weights tried, so it measures this "
              "grid, not what the released script's choice added to the paper's table.")]
    return ending(shows, limits(selection, metric, tested=False) + scope)



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
                f"{runs(r)} at e = {r.earliness:g}" for r in paired.itertuples()) + ".")
    if "died_auc_prc" in frame.columns and prevalence is not None:
        died = cell_means(frame, "died_auc_prc")
        shows.append(f"AUC-PRC of the *died* class (chance {100 * prevalence:.1f}): " + "; ".join(
            f"e = {e:g}: {label} {row[method]:.2f}, best {method_label(row.idxmax())} {row.max():.2f}"
            for (_, e), row in died.iterrows() if method in row.index) + ".")
    scope = ["One dataset and one split: a case study, not a benchmark."]
    return ending(shows, limits(selection, "auc_prc") + scope)
