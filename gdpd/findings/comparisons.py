"""The endings that compare variants on matched runs: GDPD against Base and Base-KD per variant, each ablation
variant against its default, what choosing the weight on the test split adds, and GDPD against the baselines in the
PhysioNet case study (GDPD among the distillers is :mod:`gdpd.findings.zoo`'s)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gdpd.claims import pool, run_differences
from gdpd.findings.wording import (ALPHA, RUNS_ARE_DESCRIPTIVE, count, ending, limits, listing, nothing_to_conclude,
                                   runs, verdict)
from gdpd.report import cell_means, table1
from gdpd.results import BLOCK, Selection, method_label
from gdpd.statistics import bootstrap_mean, datasets_needed, holm, smallest_wilcoxon_p
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


def variants_ending(selection: Selection, metric: str, method: str = "gdpd") -> str:
    """Markdown: per variant and earliness, ``method`` against Base and Base-KD on matched runs and the best
    method there; how many of them ``method`` leads and loses; which differences are significant; and the limits of
    the records."""
    effects = baseline_effects(selection.frame, metric, method) if not selection.empty else pd.DataFrame()
    if effects.empty:
        return nothing_to_conclude(f"no complete block of the grid holds {method_label(method)} "
                                   f"({selection.n_stored} of {selection.n_grid} cells stored).")
    label = method_label(method)
    shows = []
    blocks = effects.groupby(["variant", "earliness"], sort=False)
    for (variant, earliness), rows in blocks:
        first = rows.iloc[0]
        against = "; ".join(f"against {r.reference} {runs(r)}" for r in rows.itertuples())
        leader = (f"{label} has the best mean ({first.method_mean:.2f})" if first.best == label else
                  f"best mean: {first.best} {first.best_mean:.2f} ({label} {first.method_mean:.2f})")
        shows.append(f"**{variant}** (e = {earliness:g}): {label} {against}; {leader}.")
    led = sum(rows.iloc[0]["best"] == label for _, rows in blocks)
    below = {ref: int((rows["mean_difference"] < 0).sum()) for ref, rows in effects.groupby("reference", sort=False)}
    shows.append(
        f"{label} has the best mean in {led} of {len(blocks)} settings; its mean paired difference is negative "
        + " and ".join(f"against {ref} in {n}" for ref, n in below.items()) + " of them.")
    shows.append(_significance(effects, lambda r: f"{r.variant} at e = {r.earliness:g} against {r.reference}",
                               f"{label} against a baseline"))
    kept = effects[effects["p_holm"] < ALPHA]
    conclusion = (f"{label} is not reliably better than Base or Base-KD in these settings: it has the best mean in "
                  f"{led} of {len(blocks)}, and none of its {len(effects)} differences to a baseline survives "
                  "Holm's correction." if kept.empty else
                  f"{label} differs from a baseline in {len(kept)} of {len(effects)} comparisons after Holm's "
                  f"correction ({(kept['mean_difference'] > 0).sum()} of them in its favour), and has the best mean "
                  f"in {led} of {len(blocks)} settings.")
    return ending(conclusion, shows, limits(selection, metric))


def variant_effects(frame: pd.DataFrame, metric: str, reference: str = "default") -> pd.DataFrame:
    """Every setting against ``reference`` per method and earliness, on matched runs
    (:func:`gdpd.variants.against_default`): mean difference x100 with its 95 % hierarchical bootstrap interval
    (``low``, ``high``; :func:`gdpd.statistics.bootstrap_mean`) over ``n_datasets``; runs up (``wins``) and down
    (``losses``) and the two-sided Wilcoxon p-value over runs (``p_wilcoxon``: descriptive, the seeds of a dataset are
    not independent); the two-sided Wilcoxon p-value over the dataset means (``p_datasets``), its Holm adjustment
    over every row (``p_holm``) and the ``verdict`` these give (:func:`gdpd.findings.verdict`)."""
    from scipy.stats import wilcoxon

    columns = ["method", "earliness", "variant", "n_pairs", "mean_difference", "low", "high", "n_datasets", "wins",
               "losses", "p_wilcoxon", "p_datasets", "p_holm", "verdict"]
    if frame.empty or reference not in set(frame["variant"]):
        return pd.DataFrame(columns=columns)
    paired = against_default(frame, metric, reference)
    labelled = frame.assign(method=frame["method"].map(method_label))
    values = labelled.pivot_table(index=["method", *BLOCK], columns="variant", values=metric) * 100
    intervals, p_datasets = [], []
    for row in paired.itertuples():
        diff = (values[row.variant] - values[reference]).xs((row.method, row.earliness),
                                                            level=["method", "earliness"]).dropna()
        intervals.append(bootstrap_mean(diff))
        means = diff.groupby(level="dataset").mean()
        p_datasets.append(float(wilcoxon(means[means != 0]).pvalue) if (means != 0).sum() >= 2 else np.nan)
    paired["low"], paired["high"] = [i.low for i in intervals], [i.high for i in intervals]
    paired["n_datasets"] = [i.n_datasets for i in intervals]
    paired["p_datasets"] = p_datasets
    paired["p_holm"] = holm(paired["p_datasets"])
    paired["verdict"] = [verdict(d, p) for d, p in zip(paired["mean_difference"], paired["p_holm"])]
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
    """Markdown: per setting, its mean paired difference to ``reference`` with its 95 % interval and the runs up and
    down at each earliness; what a test over the datasets can decide (with too few datasets: that it cannot); the
    largest gain and loss; and the limits of the records."""
    effects = variant_effects(selection.frame, metric, reference) if not selection.empty else pd.DataFrame()
    if effects.empty:
        return nothing_to_conclude(f"no complete block of the grid holds `{reference}` and another setting "
                                   f"({selection.n_stored} of {selection.n_grid} cells stored).")
    several = effects["method"].nunique() > 1
    shows = []
    for (method, variant), rows in effects.groupby(["method", "variant"], sort=False):
        name = f"{method}, `{variant}`" if several else f"`{variant}`"
        shows.append(f"{name} against `{reference}`: " + "; ".join(
            f"{r.mean_difference:+.2f} [{r.low:+.2f}, {r.high:+.2f}] at e = {r.earliness:g} ({r.wins} up, "
            f"{r.losses} down of {r.n_pairs} runs)" for r in rows.itertuples()) + ".")
    n_datasets = int(effects["n_datasets"].max())
    if n_datasets < datasets_needed():
        shows.append(
            f"With {count(n_datasets, 'dataset')} no test over datasets can reach p < {ALPHA:g} (the smallest "
            f"two-sided Wilcoxon p-value is {smallest_wilcoxon_p(n_datasets):.2g}): whether a setting scores above or "
            f"below `{reference}` **cannot be told from these runs**, and the intervals are as wide as "
            f"{count(n_datasets, 'dataset')} make them.")
    else:
        shows.append(_significance(effects.assign(p_wilcoxon=effects["p_datasets"]),
                                   lambda r: f"`{r.variant}` at e = {r.earliness:g}",
                                   f"a setting against `{reference}` over the dataset means"))
    shows.append(_extremes(effects))
    apart = effects[(effects["low"] > 0) | (effects["high"] < 0)]
    if apart.empty:
        conclusion = (f"No setting scores differently from `{reference}` by more than these runs can resolve: each of "
                      f"the {len(effects)} differences has a 95 % interval that includes zero, so every setting "
                      f"does as well as `{reference}` within that precision.")
    else:
        conclusion = (f"{len(apart)} of the {len(effects)} differences to `{reference}` have a 95 % interval that "
                      "excludes zero: " + listing([f"`{r.variant}` at e = {r.earliness:g} "
                                                    f"({'above' if r.low > 0 else 'below'})"
                                                    for r in apart.itertuples()])
                      + "; every other setting does as well as it within the precision of these runs.")
    methods = sorted(method_label(m) for m in selection.frame["method"].unique())
    scope = [RUNS_ARE_DESCRIPTIVE,
             (f"Only {listing(methods)} runs are in this grid: it compares settings with each other, not "
              "GDPD with the baselines.")]
    return ending(conclusion, shows, limits(selection, metric, tested=False) + scope)


def selection_inflation(on_validation: pd.DataFrame, on_test: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows (earliness, method): the mean over datasets of the seed-mean ``metric`` x100 with the weight chosen on
    validation, the same with it chosen on the test split, their difference (``inflation``) with its 95 %
    hierarchical bootstrap interval over the runs (``low``, ``high``) and ``n_datasets``."""
    ours = table1(on_validation, metric).set_index(["earliness", "method"])
    released = table1(on_test, metric).set_index(["earliness", "method"])
    keys = ["earliness", "method", "dataset", "seed"]
    both = on_validation.set_index(keys)[metric].to_frame("validation").join(on_test.set_index(keys)[metric])
    runs = (both[metric] - both["validation"]) * 100
    bounds = pd.DataFrame([(*cell, *bootstrap_mean(part.droplevel(["earliness", "method"]))[1:3])
                           for cell, part in runs.groupby(level=["earliness", "method"])],
                          columns=["earliness", "method", "low", "high"]).set_index(["earliness", "method"])
    table = pd.DataFrame({"lambda on validation": ours["mean"], "lambda on test": released["mean"],
                          "inflation": released["mean"] - ours["mean"]})
    return table.join(bounds).assign(n_datasets=ours["n_datasets"])


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
    shows = ["Choosing the weight on the test split raises the mean by (95 % interval): " + "; ".join(
        f"{method_label(m)} " + ", ".join(f"{r.inflation:+.2f} [{r.low:+.2f}, {r.high:+.2f}] at e = {e:g}"
                                          for (e, _), r in rows.iterrows())
        for m, rows in distillers.groupby(level="method", sort=False)) + "."]
    top = distillers["inflation"].idxmax()
    shows.append(f"The largest inflation: {method_label(top[1])} at e = {top[0]:g} "
                 f"({distillers.loc[top, 'inflation']:+.2f}).")
    leaders = [(rows["lambda on validation"].idxmax(), rows["lambda on test"].idxmax())
               for _, rows in table.groupby(level="earliness")]
    changed = sum(honest[1] != leaked[1] for honest, leaked in leaders)
    conclusion = (f"Choosing λ on the test split raises every distiller's mean, by up to "
                  f"{distillers.loc[top, 'inflation']:.2f} points ({method_label(top[1])} at e = {top[0]:g}), and "
                  + (f"changes which method leads at {changed} of {len(leaders)} earliness levels."
                     if changed else "changes which method leads at no earliness level.")
                  if (distillers["inflation"] >= 0).all() else
                  f"Choosing λ on the test split changes the distillers' means by up to "
                  f"{distillers.loc[top, 'inflation']:.2f} points and changes which method leads at {changed} of "
                  f"{len(leaders)} earliness levels.")
    for earliness, rows in table.groupby(level="earliness"):
        rows = rows.droplevel("earliness")
        honest, leaked = rows["lambda on validation"].idxmax(), rows["lambda on test"].idxmax()
        lead = (f"{method_label(honest)} leads under either choice" if honest == leaked else
                f"{method_label(honest)} leads with the weight chosen on validation, {method_label(leaked)} with it "
                "chosen on test")
        if method in rows.index and honest != method:
            at = selection.frame[selection.frame["earliness"] == earliness]
            gap = bootstrap_mean(pool(run_differences(at, metric, honest, method)))
            lead += (f"; with the validation choice {label} trails {method_label(honest)} by {gap.estimate:.2f} "
                     f"[{gap.low:+.2f}, {gap.high:+.2f}]")
        shows.append(f"At e = {earliness:g}: {lead}.")
    n_datasets = int(table["n_datasets"].max())
    if n_datasets < datasets_needed():
        shows.append(f"With {count(n_datasets, 'dataset')} no test over datasets can reach p < {ALPHA:g} (the "
                     f"smallest two-sided Wilcoxon p-value is {smallest_wilcoxon_p(n_datasets):.2g}): which method "
                     "leads **cannot be told from these runs**; the inflations are what these datasets show.")
    chosen = selection.frame[selection.frame["method"] == method]["weight"].value_counts().sort_index()
    if not chosen.empty:
        shows.append(f"Validation picks {label}'s weight λ = " + ", ".join(
            f"{w:g} in {n}" for w, n in chosen.items()) + f" of its {int(chosen.sum())} runs.")
    weights = sorted(selection.grid.loc[selection.grid["method"] != "base", "weight"].unique())
    scope = [(f"Test selection here is the best of {len(weights)} weights ({listing([f'{w:g}' for w in weights])}) "
              "per (dataset, earliness); the inflation grows with the number of weights tried, so it measures this "
              "grid, not what the released script's choice added to the paper's table.")]
    return ending(conclusion, shows, limits(selection, metric, tested=False) + scope)


def physionet_ending(selection: Selection, present: bool, prevalence: float | None = None,
                     method: str = "gdpd") -> str:
    """Markdown: nothing to conclude where the challenge data or the runs are missing; otherwise ``method`` against
    Base and Base-KD per earliness on the macro AUC-PRC, the *died*-class AUC-PRC (``died_auc_prc`` in the frame)
    beside its chance level ``prevalence``, and the limits of the records."""
    stored = f"{selection.n_stored} of {selection.n_grid} cells of the grid are stored"
    if not present:
        return nothing_to_conclude(
            f"The PhysioNet/CinC 2012 data is not in this checkout and {stored}: the chapter shows the file format "
            "and the pipeline on a synthetic set only, and says nothing about the paper's ICU case study.")
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
    means = cell_means(frame, "auc_prc").groupby(level="earliness").mean()
    leads = int((means.idxmax(axis=1) == method).sum()) if method in means.columns else 0
    conclusion = (f"On this one case study {label} has the best macro AUC-PRC at {leads} of {len(means)} earliness "
                  "levels; a single dataset can suggest, not establish, what the paper claims.")
    return ending(conclusion, shows, limits(selection, "auc_prc") + scope)
