"""The dataset-level statistics against cases computed by hand: Friedman and Iman-Davenport, Holm's step-down, the
Wilcoxon bounds, Nemenyi's critical difference and the hierarchical bootstrap on toy runs."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import friedmanchisquare, wilcoxon

from gdpd import statistics


def ranked(rows: list[list[int]]) -> pd.DataFrame:
    """Scores (higher is better) whose ranks within each row are ``rows`` (1 = best), methods A, B, C."""
    return pd.DataFrame([[10 - r for r in row] for row in rows], columns=list("ABC"),
                        index=[f"D{i}" for i in range(len(rows))])


def runs(values: dict[str, list[float]]) -> pd.Series:
    """A difference per (dataset, seed): dataset name -> its seeds' values."""
    index = pd.MultiIndex.from_tuples([(d, s) for d, seeds in values.items() for s in range(len(seeds))],
                                      names=["dataset", "seed"])
    return pd.Series([v for seeds in values.values() for v in seeds], index=index, name="difference")


def test_friedman_on_three_methods_and_four_datasets_by_hand():
    scores = ranked([[1, 2, 3], [1, 3, 2], [1, 2, 3], [2, 1, 3]])
    # Average ranks 1.25, 2, 2.75: chi2 = 12 * 4 / (3 * 4) * (1.5625 + 4 + 7.5625 - 3 * 16 / 4) = 4 * 1.125 = 4.5,
    # p = exp(-4.5 / 2) (chi-square with 2 degrees of freedom); F = 3 * 4.5 / (4 * 2 - 4.5) = 27 / 7 with (2, 6)
    # degrees of freedom, p = (1 + 2 F / 6)^(-3) (the F survival function with 2 numerator degrees of freedom).
    result = statistics.friedman(scores)
    assert (result.n_datasets, result.n_methods) == (4, 3)
    assert result.chi2 == pytest.approx(4.5)
    assert result.p_chi2 == pytest.approx(np.exp(-2.25))
    assert result.iman_davenport == pytest.approx(27 / 7)
    assert result.p_iman_davenport == pytest.approx((1 + 2 * (27 / 7) / 6) ** -3)
    assert result.chi2 == pytest.approx(friedmanchisquare(*scores.T.to_numpy()).statistic)  # no ties: the same


def test_friedman_where_every_dataset_agrees_has_an_infinite_f():
    result = statistics.friedman(ranked([[1, 2, 3]] * 5))
    assert result.chi2 == pytest.approx(5 * 2)  # its maximum N (k - 1)
    assert result.iman_davenport == np.inf and result.p_iman_davenport == 0


def test_holm_step_down_by_hand():
    # Sorted: 0.005 * 4 = 0.02; 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04, raised to the running max 0.06.
    assert statistics.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    adjusted = statistics.holm([0.2, np.nan, 0.5])
    assert adjusted[[0, 2]] == pytest.approx([0.4, 0.5]) and np.isnan(adjusted[1])
    assert statistics.holm([]).size == 0


def test_the_smallest_wilcoxon_p_and_the_datasets_a_test_needs():
    assert statistics.smallest_wilcoxon_p(6) == pytest.approx(1 / 32)
    assert statistics.smallest_wilcoxon_p(6) == pytest.approx(wilcoxon(np.arange(1, 7)).pvalue)  # all one sign
    assert statistics.smallest_wilcoxon_p(0) == 1
    assert statistics.datasets_needed() == 6  # 2 / 32 < 0.05 <= 2 / 16
    assert statistics.datasets_needed(comparisons=3) == 7  # 3 * 2 / 128 < 0.05 <= 3 * 2 / 64
    assert statistics.datasets_needed(comparisons=11) == 9


def test_wilcoxon_holm_compares_the_control_with_every_rival_over_datasets():
    scores = pd.DataFrame({"A": [5.0, 6, 7, 8, 9, 10], "B": [4.0, 5, 6, 7, 8, 9], "C": [6.0, 5, 8, 7, 10, 9]})
    table = statistics.wilcoxon_holm(scores, "A").set_index("rival")
    assert table.loc["B", "mean_difference"] == pytest.approx(1.0)
    assert (table.loc["B", "above"], table.loc["B", "below"]) == (6, 0)
    assert table.loc["B", "p_wilcoxon"] == pytest.approx(1 / 32)
    assert table.loc["C", "p_wilcoxon"] == pytest.approx(wilcoxon(scores["A"] - scores["C"]).pvalue)
    assert table["p_holm"].to_numpy() == pytest.approx(statistics.holm(table["p_wilcoxon"]))
    assert table.loc["B", "p_holm"] == pytest.approx(2 / 32) and not table.loc["B", "significant"]


def test_nemenyi_critical_difference_matches_demsar_table():
    # Demšar (2006), Table 5(a): q_0.05 = 2.569 for four methods, 3.164 for ten.
    assert statistics.nemenyi_cd(4, 6) == pytest.approx(2.569 * np.sqrt(4 * 5 / 36), abs=1e-3)
    assert statistics.nemenyi_cd(10, 10) == pytest.approx(3.164 * np.sqrt(10 * 11 / 60), abs=1e-3)


def test_the_bootstrap_of_equal_seeds_is_the_bootstrap_of_datasets():
    # Two datasets whose seeds all agree: a resample's mean is 0, 0.5 or 1 (probability 1/4, 1/2, 1/4), so the
    # 2.5 % and 97.5 % quantiles are 0 and 1, and the estimate is 0.5.
    interval = statistics.bootstrap_mean(runs({"D0": [0.0] * 5, "D1": [1.0] * 5}), n_resamples=4000)
    assert interval == (0.5, 0.0, 1.0, 2)
    constant = statistics.bootstrap_mean(runs({f"D{i}": [2.0, 2.0, 2.0] for i in range(6)}))
    assert constant == (2.0, 2.0, 2.0, 6)


def test_the_bootstrap_estimate_is_the_mean_of_dataset_means_and_seeds_are_resampled_within_a_dataset():
    values = {"D0": [0.0, 1.0], "D1": [10.0, 10.0, 10.0, 14.0]}
    interval = statistics.bootstrap_mean(runs(values), n_resamples=2000)
    assert interval.estimate == pytest.approx((0.5 + 11.0) / 2)  # each dataset weighs the same
    assert interval.low >= 0 and interval.high <= 14  # a resampled mean never leaves the range of the values
    draws = statistics.resample_dataset_means(runs(values).to_frame(), n_resamples=2000)
    one = draws[..., 0]
    assert set(np.round(np.unique(one[one < 5]), 6)) <= {0.0, 0.5, 1.0}  # D0: means of 2 draws from {0, 1}
    assert set(np.round(np.unique(one[one >= 5]), 6)) <= {10.0, 11.0, 12.0, 13.0, 14.0}


def test_the_bootstrap_is_reproducible_with_its_seed():
    rng = np.random.default_rng(3)
    toy = runs({f"D{i}": list(rng.normal(i, 1, 5)) for i in range(6)})
    assert statistics.bootstrap_mean(toy, seed=7) == statistics.bootstrap_mean(toy, seed=7)
    assert statistics.bootstrap_mean(toy, seed=7) != statistics.bootstrap_mean(toy, seed=8)


def test_rank_statistics_of_the_observed_means():
    means = np.array([[[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [3.0, 1.0, 2.0]]])  # (1, dataset, method)
    assert statistics.rank_statistic(0)(means)[0] == pytest.approx((1 + 3 + 1) / 3)
    assert statistics.rank_statistic(1, top=1)(means)[0] == pytest.approx(1 / 3)
    frame = pd.DataFrame(means[0], columns=list("ABC"), index=pd.MultiIndex.from_tuples(
        [(f"D{i}", 1) for i in range(3)], names=["dataset", "seed"]))
    assert statistics.hierarchical_bootstrap(frame, statistics.rank_statistic(0)).estimate == pytest.approx(5 / 3)
