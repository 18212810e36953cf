"""Comparing methods over datasets: the effect with a hierarchical bootstrap interval, then the dataset-level tests.

A dataset is the unit of every test here (Demšar 2006, *Statistical comparisons of classifiers over multiple data
sets*, JMLR 7:1-30): the seeds of one dataset share its test split and its teacher, so they are repeated measurements
of one case, not independent observations. The effect comes first, as a mean difference with a 95 % interval from a
bootstrap that resamples datasets and then seeds within each drawn dataset (Efron & Tibshirani 1993, *An
Introduction to the Bootstrap*, ch. 13; the two-stage resampling of Davison & Hinkley 1997, §3.8). The tests follow
Demšar: Friedman's rank test and the Iman-Davenport F, Wilcoxon's signed-rank test over dataset means with Holm's
step-down correction, and Nemenyi's critical difference of average ranks. With N datasets no two-sided exact
Wilcoxon test can give a p-value below 2 / 2^N (:func:`smallest_wilcoxon_p`): the power of every test here is bounded
by the number of datasets, and the pages say so.

Every function takes scores where higher is better: a table with one row per dataset and one column per method, or
runs indexed by (dataset, seed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from gdpd.metrics import average_rank

ALPHA = 0.05
"""The level of every test here and of the intervals (95 %)."""
N_RESAMPLES = 10_000
SEED = 0
"""The bootstrap's default number of resamples and the seed of its generator: the same runs give the same interval."""


class Interval(NamedTuple):
    """A point estimate and its percentile interval, with the number of datasets it rests on."""

    estimate: float
    low: float
    high: float
    n_datasets: int


class Friedman(NamedTuple):
    """Friedman's chi-square and the Iman-Davenport F over ``n_datasets`` rows and ``n_methods`` columns."""

    n_datasets: int
    n_methods: int
    chi2: float
    p_chi2: float
    iman_davenport: float
    p_iman_davenport: float


def _blocks(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``runs`` (index (dataset, seed), one column per quantity) as an array (dataset, seed slot, quantity) padded
    with NaN, and each dataset's number of seeds."""
    groups = [part.to_numpy(dtype=float) for _, part in runs.groupby(level="dataset", sort=True)]
    counts = np.array([len(g) for g in groups])
    values = np.full((len(groups), counts.max(), runs.shape[1]), np.nan)
    for i, group in enumerate(groups):
        values[i, :len(group)] = group
    return values, counts


def resample_dataset_means(runs: pd.DataFrame, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> np.ndarray:
    """Hierarchical bootstrap draws of the per-dataset seed means, shape (resample, dataset, column).

    Each resample draws N datasets with replacement from the N of ``runs``, then, within each drawn dataset d, its
    n_d seeds with replacement, and averages the drawn seeds: x*_{b,i} = (1/n_d) sum_j x_{d, s*_j}. The rows of one
    seed move together, so a difference between two columns stays paired. ``numpy.random.default_rng(seed)`` draws.
    """
    values, counts = _blocks(runs)
    rng = np.random.default_rng(seed)
    n, width = len(counts), values.shape[1]
    datasets = rng.integers(0, n, size=(n_resamples, n))
    drawn = counts[datasets]
    seeds = np.floor(rng.random((n_resamples, n, width)) * drawn[..., None]).astype(int)
    picked = values[datasets[..., None], seeds]
    used = np.arange(width) < drawn[..., None]
    return np.where(used[..., None], picked, 0.0).sum(axis=2) / drawn[..., None]


def hierarchical_bootstrap(runs: pd.DataFrame, statistic: Callable[[np.ndarray], np.ndarray],
                           n_resamples: int = N_RESAMPLES, seed: int = SEED, alpha: float = ALPHA) -> Interval:
    """``statistic`` of the per-dataset seed means of ``runs`` with its (1 - ``alpha``) percentile interval.

    ``statistic`` maps an array (..., dataset, column) of dataset means to one value per leading index (e.g. the
    mean over datasets of one column minus another). The estimate is the statistic of the observed dataset means;
    the interval is the alpha/2 and 1 - alpha/2 quantiles of the statistic over :func:`resample_dataset_means`
    (Efron & Tibshirani 1993, percentile interval).
    """
    values, counts = _blocks(runs)
    observed = np.nansum(values, axis=1) / counts[:, None]
    draws = statistic(resample_dataset_means(runs, n_resamples, seed))
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return Interval(float(statistic(observed[None])[0]), float(low), float(high), len(counts))


def bootstrap_mean(differences: pd.Series, n_resamples: int = N_RESAMPLES, seed: int = SEED,
                   alpha: float = ALPHA) -> Interval:
    """The mean over datasets of the per-dataset seed mean of ``differences`` (indexed by dataset and seed; e.g.
    GDPD minus Base per run), with its hierarchical bootstrap interval (:func:`hierarchical_bootstrap`)."""
    return hierarchical_bootstrap(differences.to_frame(), lambda means: means[..., 0].mean(axis=-1),
                                  n_resamples, seed, alpha)


def friedman(scores: pd.DataFrame) -> Friedman:
    """Friedman's test and the Iman-Davenport correction over the rows (datasets) of ``scores``.

    With k methods ranked within each of N datasets (1 = best, ties averaged) and R_j the average rank of method j,
    chi2_F = 12 N / (k (k + 1)) * (sum_j R_j^2 - k (k + 1)^2 / 4), against chi-square with k - 1 degrees of freedom;
    F_F = (N - 1) chi2_F / (N (k - 1) - chi2_F), against F with k - 1 and (k - 1)(N - 1) degrees of freedom
    (Friedman 1937; Iman & Davenport 1980; both as in Demšar 2006, §3.2.2, without a correction for ties). Where
    every dataset ranks the methods alike, F_F is infinite and its p-value 0.
    """
    from scipy.stats import chi2, f

    n, k = scores.shape
    ranks = average_rank(scores).to_numpy()
    chi_square = 12 * n / (k * (k + 1)) * (np.sum(ranks ** 2) - k * (k + 1) ** 2 / 4)
    denominator = n * (k - 1) - chi_square
    f_value = (n - 1) * chi_square / denominator if denominator > 0 else np.inf
    return Friedman(n, k, float(chi_square), float(chi2.sf(chi_square, k - 1)), float(f_value),
                    float(f.sf(f_value, k - 1, (k - 1) * (n - 1))))


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


def smallest_wilcoxon_p(n_datasets: int) -> float:
    """The smallest two-sided p-value an exact Wilcoxon signed-rank test can give over ``n_datasets`` non-zero
    differences: 2 / 2^N, reached when every difference has the same sign (0.031 for N = 6)."""
    return min(1.0, 2.0 / 2 ** n_datasets)


def datasets_needed(alpha: float = ALPHA, comparisons: int = 1) -> int:
    """The fewest datasets with which the first step of Holm's correction over ``comparisons`` exact two-sided
    Wilcoxon tests can reject at ``alpha``: the smallest N with comparisons * 2 / 2^N < alpha (6 for one test at
    0.05, 7 for three)."""
    n = 1
    while comparisons * smallest_wilcoxon_p(n) >= alpha:
        n += 1
    return n


def wilcoxon_holm(scores: pd.DataFrame, control: str, alpha: float = ALPHA) -> pd.DataFrame:
    """``control`` against every other column of ``scores`` (rows datasets): the post-hoc comparison with a control
    of Demšar (2006, §3.2.3), by Wilcoxon's test instead of the rank statistic.

    Per rival: ``n_datasets``, ``mean_difference`` (control - rival over the datasets), ``above`` and ``below``
    (datasets where the control scores higher, lower), the two-sided Wilcoxon signed-rank p-value over the datasets
    (zero differences dropped; missing with fewer than two left), ``p_holm`` (:func:`holm` over the rivals),
    ``smallest_p`` (:func:`smallest_wilcoxon_p` of the non-zero differences) and ``significant`` (p_holm < alpha).
    """
    from scipy.stats import wilcoxon

    rows = []
    for rival in (c for c in scores.columns if c != control):
        diff = (scores[control] - scores[rival]).dropna()
        nonzero = diff[diff != 0]
        rows.append({"rival": rival, "n_datasets": len(diff), "mean_difference": float(diff.mean()),
                     "above": int((diff > 0).sum()), "below": int((diff < 0).sum()),
                     "p_wilcoxon": float(wilcoxon(nonzero).pvalue) if len(nonzero) >= 2 else np.nan,
                     "smallest_p": smallest_wilcoxon_p(len(nonzero))})
    table = pd.DataFrame(rows)
    table.insert(table.columns.get_loc("smallest_p"), "p_holm", holm(table["p_wilcoxon"]))
    table["significant"] = table["p_holm"] < alpha
    return table


def nemenyi_cd(n_methods: int, n_datasets: int, alpha: float = ALPHA) -> float:
    """Nemenyi's critical difference of average ranks: CD = q_alpha sqrt(k (k + 1) / (6 N)), with q_alpha the
    studentized range quantile for k means and infinite degrees of freedom divided by sqrt(2) (Nemenyi 1963;
    Demšar 2006, §3.2.2: q_0.05 = 2.569 for k = 4). Two methods whose average ranks differ by at least CD differ."""
    from scipy.stats import studentized_range

    q = studentized_range.ppf(1 - alpha, n_methods, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(n_methods * (n_methods + 1) / (6 * n_datasets)))


def rank_statistic(column: int, top: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A statistic for :func:`hierarchical_bootstrap` over dataset means (..., dataset, method): the average rank
    of method ``column`` (1 = best, ties averaged), or with ``top`` the share of datasets where it ranks among the
    best ``top`` (ties counted in its favour, as :func:`gdpd.metrics.top_k_share`)."""
    from scipy.stats import rankdata

    def statistic(means: np.ndarray) -> np.ndarray:
        if top is None:
            return rankdata(-means, axis=-1, method="average")[..., column].mean(axis=-1)
        return (rankdata(-means, axis=-1, method="min")[..., column] <= top).mean(axis=-1)

    return statistic
