"""Comparing the variants of one preset: the ablation chapters and the chapters beyond univariate UCR.

A *variant* is one named configuration of a preset (``Preset.variants``, e.g. ``alpha = 0.5`` or
``LSTM3-100 -> LSTM2-32``); the ablation presets call the book's own configuration ``default``. Every table here reads
the frame of a :func:`gdpd.results.select_analysis` selection, so it only ever averages complete rows. Scores are x100
as in the paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gdpd.report import format_mean_std, labelled
from gdpd.results import CELL, method_label, method_labels, method_order
from gdpd.style import colour, label

DEFAULT = "default"


def _cell_means(frame: pd.DataFrame, metric: str) -> pd.Series:
    """The seed-mean ``metric`` x100 of every (variant, dataset, earliness, method) cell."""
    return frame.groupby(["variant", *CELL], sort=False)[metric].mean().mul(100).rename(metric)


def variant_means(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows (variant, earliness), one column per method: the mean over datasets of the seed-mean ``metric`` x100,
    over the datasets whose every method is stored for that variant (complete rows), and ``n_datasets``."""
    cells = _cell_means(frame, metric).unstack("method").dropna()
    order = method_order(cells.columns)
    grouped = cells[order].groupby(["variant", "earliness"], sort=False)
    table = grouped.mean()
    table["n_datasets"] = grouped.size()
    return table


def paired_differences(
    frame: pd.DataFrame,
    metric: str,
    factor: str,
    reference: str,
    within: tuple[str, ...] = (),
    match: tuple[str, ...] = ("dataset", "earliness", "seed"),
) -> pd.DataFrame:
    """Each level of ``factor`` against ``reference``, on pairs of runs matched on ``match`` (x100).

    For every group of ``within`` and every level ``v`` of ``factor`` (e.g. ``factor="method"``,
    ``reference="base"``; or ``factor="variant"``, ``reference="default"``), the differences
    ``d_i = x_i(v) - x_i(reference)`` over the matched pairs ``i`` give ``mean_difference``, its sample ``std``
    (ddof 1), ``n_pairs``, ``wins`` (``d_i > 0``), ``losses`` (``d_i < 0``; the rest are ties) and the two-sided
    Wilcoxon signed-rank p-value (Wilcoxon 1945;
    zero differences dropped; missing when every difference is zero or fewer than two pairs remain). Pairs are runs,
    i.e. (dataset, seed) pairs: seeds of one dataset are not independent, so read the p-value as descriptive.
    """
    from scipy.stats import wilcoxon

    rows = []
    keys = list(within)
    groups = frame.groupby(keys, sort=False) if keys else [((), frame)]
    for group, part in groups:
        values = part.pivot_table(index=list(match), columns=factor, values=metric, aggfunc="mean") * 100
        if reference not in values.columns:
            continue
        for level in (c for c in values.columns if c != reference):
            diff = (values[level] - values[reference]).dropna()
            nonzero = diff[diff != 0]
            p_value = float(wilcoxon(nonzero).pvalue) if len(nonzero) >= 2 else np.nan
            labels = dict(zip(keys, group if isinstance(group, tuple) else (group,)))
            rows.append({**labels, factor: level, "reference": reference, "n_pairs": len(diff),
                         "mean_difference": float(diff.mean()) if len(diff) else np.nan,
                         "std": float(diff.std(ddof=1)) if len(diff) > 1 else np.nan,
                         "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "p_wilcoxon": p_value})
    return pd.DataFrame(rows, columns=[*keys, factor, "reference", "n_pairs", "mean_difference", "std", "wins",
                                       "losses", "p_wilcoxon"])


def plot_variant_means(table: pd.DataFrame, ylabel: str, errors: pd.DataFrame | None = None) -> Any:
    """Grouped bars of a :func:`variant_means` table: one group per (variant, earliness), one bar per method in its
    colour (:func:`gdpd.style.colour`), with ``errors`` (the same rows and method columns, e.g.
    :func:`seed_sd`) as error bars."""
    import matplotlib.pyplot as plt

    methods = [c for c in table.columns if c != "n_datasets"]
    data = labelled(table[methods])
    data.index = [f"{variant}\n(e = {earliness:g}, {n} datasets)"
                  for (variant, earliness), n in zip(table.index, table["n_datasets"])]
    figure, axis = plt.subplots(figsize=(7, 3.6))
    yerr = None if errors is None else labelled(errors.reindex(index=table.index, columns=methods)).to_numpy().T
    data.plot.bar(ax=axis, rot=0, width=0.8, yerr=yerr, capsize=2, color=[colour(m) for m in methods])
    axis.set_ylabel(ylabel)
    axis.set_ylim(0, 100)
    axis.legend(ncol=len(methods), loc="upper center", bbox_to_anchor=(0.5, 1.15), frameon=False)
    figure.tight_layout()
    return figure


def seed_sd(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows (variant, earliness), one column per method: the sample standard deviation (ddof 1) over seeds of the
    per-seed mean ``metric`` x100 over the datasets of the complete rows (the spread :func:`seed_spread` prints)."""
    cells = frame.groupby(["variant", "dataset", "earliness", "seed", "method"], sort=False)[metric].mean().mul(100)
    per_seed = cells.unstack("method").dropna().groupby(["variant", "earliness", "seed"], sort=False).mean()
    return per_seed.groupby(["variant", "earliness"], sort=False).std(ddof=1)


def seed_spread(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows (variant, earliness), one ``"mean ± std"`` column per method: for each seed the mean ``metric`` x100
    over the datasets of the complete rows, then the mean and sample standard deviation (ddof 1) of those per-seed
    means over seeds; ``n_seeds`` counts them. The mean equals :func:`variant_means`' when every dataset has the
    same seeds."""
    cells = frame.groupby(["variant", "dataset", "earliness", "seed", "method"], sort=False)[metric].mean().mul(100)
    cells = cells.unstack("method").dropna()
    order = method_order(cells.columns)
    per_seed = cells[order].groupby(["variant", "earliness", "seed"], sort=False).mean()
    grouped = per_seed.groupby(["variant", "earliness"], sort=False)
    table = pd.concat({"mean": grouped.mean(), "std": grouped.std(ddof=1)}, axis=1).swaplevel(axis=1)
    table = table.reindex(columns=pd.MultiIndex.from_product([order, ["mean", "std"]]))
    table[("n_seeds", "")] = grouped.size()
    return format_mean_std(table.rename(columns=method_labels(), level=0))


def variant_cells(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per (variant, dataset, earliness, method): the seed-mean ``metric`` x100, earliness as a label."""
    cells = _cell_means(frame, metric).reset_index()
    cells["earliness"] = cells["earliness"].map("{:g}".format)
    return cells


def plot_variant_cells(frame: pd.DataFrame, metric: str) -> Any:
    """Each variant's per-dataset seed means (dots) and their mean over datasets (diamonds) with its 95 % bootstrap
    interval over the datasets (seeded, so the figure is the same at every execution), coloured by earliness."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    cells = variant_cells(frame, metric)
    several = cells["earliness"].nunique() > 1  # seaborn cannot dodge a single hue level
    figure, axis = plt.subplots(figsize=(7.0, 3.6))
    state = np.random.get_state()
    np.random.seed(0)  # seaborn jitters the points with NumPy's global generator: a fixed seed keeps figures stable
    sns.stripplot(data=cells, x="variant", y=metric, hue="earliness", dodge=several, alpha=0.45, ax=axis,
                  legend=False, palette="tab10")
    np.random.set_state(state)
    sns.pointplot(data=cells, x="variant", y=metric, hue="earliness", dodge=0.4 if several else False,
                  errorbar=("ci", 95), seed=0, capsize=0.1, markers="D", linestyles="none", ax=axis, palette="tab10")
    axis.set_xlabel("")
    axis.set_ylabel(f"{label(metric)} (seed mean per dataset)")
    axis.tick_params(axis="x", rotation=20)
    figure.tight_layout()
    return figure


def against_default(frame: pd.DataFrame, metric: str, reference: str = DEFAULT) -> pd.DataFrame:
    """Every variant against ``reference`` on paired runs, per method and earliness (:func:`paired_differences`),
    methods labelled as in the paper."""
    paired = paired_differences(frame, metric, "variant", reference, within=("method", "earliness"))
    paired["method"] = paired["method"].map(method_label)
    return paired


def against_baselines(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Within each variant and earliness, every method against Base, and GDPD against Base-KD, on paired runs."""
    within = ("variant", "earliness")
    against_base = paired_differences(frame, metric, "method", "base", within=within)
    against_kd = paired_differences(frame[frame["method"].isin(["kd", "gdpd"])], metric, "method", "kd",
                                    within=within)
    paired = pd.concat([against_base, against_kd], ignore_index=True)
    paired["method"] = paired["method"].map(method_label)
    paired["reference"] = paired["reference"].map(method_label)
    return paired


def variant_cost(frame: pd.DataFrame, reference: str = DEFAULT) -> pd.DataFrame:
    """Median training seconds per epoch of each variant's runs, and its ratio to ``reference``'s."""
    cost = frame.groupby("variant", sort=False)["seconds_per_epoch"].median().rename("median s / epoch").to_frame()
    if reference in cost.index:
        cost[f"vs {reference}"] = cost["median s / epoch"] / cost.loc[reference, "median s / epoch"]
    return cost
