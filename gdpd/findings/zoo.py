"""The distiller zoo's ending (the paper's Table 2): GDPD's place among the distillers, the effect against its
best-ranked rival with a 95 % interval, the tests over datasets (Wilcoxon with Holm's correction, Friedman, Nemenyi's
critical difference), and the runs only as a descriptive count."""

from __future__ import annotations

from typing import Any

import pandas as pd

from gdpd.claims import pool, run_differences
from gdpd.findings.wording import (ALPHA, RUNS_ARE_DESCRIPTIVE, count, ending, limits, listing, nothing_to_conclude,
                                   ordinal, runs, verdict, without_weak_teachers)
from gdpd.metrics import summarise, top_k_share
from gdpd.report import cell_means
from gdpd.results import Selection, method_label
from gdpd.statistics import bootstrap_mean, friedman, nemenyi_cd, smallest_wilcoxon_p, wilcoxon_holm
from gdpd.variants import paired_differences


def zoo_table(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The Table 2 analogue, built once for the chapter and its ending: per method over the complete (dataset,
    earliness) rows, the mean, average rank, top-1 count and top-3 share, best average rank first (ties: the higher
    mean)."""
    scores = cell_means(frame, metric)
    table = summarise(scores)
    table["top3_share"] = top_k_share(scores, 3)
    return table.sort_values(["average_rank", "mean"], ascending=[True, False])


def zoo_standing(frame: pd.DataFrame, metric: str, method: str = "gdpd") -> dict[str, Any]:
    """``method`` among every method of the frame, over its complete (dataset, earliness) rows.

    Keys: ``table`` (per method: mean, average rank, top-1 count and top-3 share, best rank first), ``n_rows``,
    ``n_methods``, ``average_rank``, ``place`` (1 + the number of methods with a strictly better average rank),
    ``tied`` (methods of equal average rank), ``ahead`` (per method ranked better: its average rank, its mean minus
    ``method``'s, and the rows where it scores above ``method``), ``top1``, ``top3_share``, ``rival`` (the best-ranked
    other method), ``effect`` (``method`` - ``rival`` x100 with its 95 % hierarchical bootstrap interval,
    :func:`gdpd.statistics.bootstrap_mean`), ``over_datasets`` (the row of ``rival`` in
    :func:`gdpd.statistics.wilcoxon_holm` of ``method`` against every other method over the dataset means),
    ``friedman`` (:func:`gdpd.statistics.friedman` over the datasets), ``critical_difference`` (Nemenyi's) and
    ``test`` (``method`` against ``rival`` on (dataset, seed) runs, :func:`gdpd.variants.paired_differences`: a
    descriptive view). An empty dict where ``method`` has no complete row.
    """
    scores = cell_means(frame, metric)
    if scores.empty or method not in scores.columns or len(scores.columns) < 2:
        return {}
    table = zoo_table(frame, metric)
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
    datasets = scores.groupby(level="dataset").mean()
    return {
        "table": table, "n_rows": len(scores), "n_methods": len(table), "average_rank": rank,
        "place": 1 + len(ahead), "tied": [m for m in others.index if abs(others.loc[m, "average_rank"] - rank) < 1e-9],
        "ahead": ahead, "top1": int(table.loc[method, "top1"]), "top3_share": float(table.loc[method, "top3_share"]),
        "rival": rival, "effect": bootstrap_mean(pool(run_differences(frame, metric, method, rival))),
        "over_datasets": wilcoxon_holm(datasets, method).set_index("rival").loc[rival],
        "friedman": friedman(datasets), "critical_difference": nemenyi_cd(len(table), len(datasets)),
        "test": test[test["method"] == method].iloc[0],
    }


def _place(label: str, standing: dict[str, Any], reported: pd.Series | None = None) -> str:
    """``label``'s average rank (beside the paper's average rank where ``reported``) and its place in a
    :func:`zoo_standing`, with the methods tied with it."""
    tied = f", tied with {listing([method_label(m) for m in standing['tied']])}" if standing["tied"] else ""
    paper = f" (the paper's: {reported['average_rank']:.2f})" if reported is not None else ""
    return (f"{label}'s average rank is {standing['average_rank']:.2f}{paper} among {standing['n_methods']} methods "
            f"over {standing['n_rows']} datasets, which places it {ordinal(standing['place'])} of "
            f"{standing['n_methods']}{tied}")


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
    shows = [_place(label, standing, reported) + "."]
    ahead = standing["ahead"]
    if ahead.empty:
        shows.append(f"No method has a better average rank than {label}.")
    else:
        shows.append(
            f"{count(len(ahead), 'method')} {'ranks' if len(ahead) == 1 else 'rank'} above {label}: " + "; ".join(
                f"{method_label(r.Index)} (rank {r.average_rank:.2f}, mean {r.mean_difference:+.2f} against "
                f"{label}'s, above it on {r.rows_above} of {standing['n_rows']} datasets)" for r in ahead.itertuples())
            + ".")
    shows.append(_against_rival(label, standing))
    shows.append(_friedman_sentence(label, standing))
    shows.append(
        f"{label} is best on {standing['top1']} of {standing['n_rows']} datasets and among the best three on "
        f"{100 * standing['top3_share']:.0f} % of them"
        + (f" (the paper: {100 * reported['top3_share']:.0f} %)." if reported is not None else "."))
    below, strong = without_weak_teachers(selection.frame, metric)
    again = zoo_standing(strong, metric, method) if below else {}
    if again:
        shows.append(
            f"Without the runs of the {count(len(below), 'weak teacher')} ({listing(below)}), "
            f"{_place(label, again)}.")
    earliness = sorted(selection.frame["earliness"].unique())
    scope = [RUNS_ARE_DESCRIPTIVE,
             (f"Every run is at earliness {listing([f'{e:g}' for e in earliness])}: the comparison says nothing "
              "about other prefix lengths.")]
    decided = verdict(standing["effect"].estimate, standing["over_datasets"].p_holm)
    conclusion = (f"{label} comes {ordinal(standing['place'])} of {standing['n_methods']} methods by average rank "
                  f"({standing['average_rank']:.2f}"
                  + (f"; the paper's: {reported['average_rank']:.2f})" if reported is not None else ")")
                  + (f", and no test over these datasets separates it from the best-ranked rival, "
                     f"{method_label(standing['rival'])}." if decided == "no clear difference" else
                     f", and it scores significantly {decided} than the best-ranked rival, "
                     f"{method_label(standing['rival'])}."))
    return ending(conclusion, shows, limits(selection, metric, tested=False) + scope)


def _power(n_datasets: int, comparisons: int = 1) -> str:
    """``"the smallest these 6 datasets allow: 0.094"``: the smallest p-value after Holm over ``comparisons``."""
    return (f"the smallest these {n_datasets} datasets allow: "
            f"{min(1.0, comparisons * smallest_wilcoxon_p(n_datasets)):.2g}")


def _against_rival(label: str, standing: dict[str, Any]) -> str:
    """One sentence: ``label`` against the best-ranked rival of a :func:`zoo_standing`, the effect with its interval
    first, then the test over datasets, then the runs (descriptive)."""
    rival, effect, test = method_label(standing["rival"]), standing["effect"], standing["over_datasets"]
    m = standing["n_methods"] - 1
    decided = {"higher": f"{label} is significantly above it", "lower": f"{label} is significantly below it",
               "no clear difference": "no difference these datasets can establish"}[verdict(effect.estimate,
                                                                                              test.p_holm)]
    return (f"Against the best-ranked rival, {rival}: {label} − {rival} {effect.estimate:+.2f}, 95 % interval "
            f"[{effect.low:+.2f}, {effect.high:+.2f}]; over the {effect.n_datasets} datasets a two-sided Wilcoxon test "
            f"with Holm's correction over the {m} rivals gives p = {test.p_holm:.2g} ({_power(effect.n_datasets, m)}): "
            f"{decided}. On runs (descriptive): {runs(standing['test'])}.")


def _friedman_sentence(label: str, standing: dict[str, Any]) -> str:
    """One sentence on Friedman's test over the datasets of a :func:`zoo_standing` and Nemenyi's critical difference
    around ``label``'s average rank."""
    result, cd, table = standing["friedman"], standing["critical_difference"], standing["table"]
    apart = table.index[(table["average_rank"] - standing["average_rank"]).abs() >= cd].tolist()
    return (f"Friedman's test over the {result.n_datasets} datasets: Iman–Davenport p = {result.p_iman_davenport:.2g}"
            + (" (the methods differ somewhere)" if result.p_iman_davenport < ALPHA else
               " (no difference among the methods these datasets can establish)")
            + f"; Nemenyi's critical difference is {cd:.2f} ranks, and "
            + (f"{listing([method_label(m) for m in apart])} {'is' if len(apart) == 1 else 'are'} that far from "
               f"{label}'s average rank." if apart else f"no method's average rank is that far from {label}'s."))
