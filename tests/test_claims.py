"""The Table 1 claims and paired tests equal plain aggregations of a frame built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from gdpd.claims import claims, paired_tests, protocol_gaps, read_released, released_comparison
from gdpd.report import read_paper

METHODS = ("base", "kd", "fitnets", "gdpd")
DATASETS = tuple(f"D{i}" for i in range(6))


def frame(gdpd_gain: float, seeds=(1, 24), rng_seed=0) -> pd.DataFrame:
    """Runs of every method on six datasets at two earliness levels; GDPD scores ``gdpd_gain`` above Base."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for dataset in DATASETS:
        for earliness in (0.2, 0.8):
            for seed in seeds:
                base = rng.uniform(0.4, 0.8)
                for offset, method in zip((0.0, 0.01, -0.01, gdpd_gain), METHODS):
                    rows.append({"dataset": dataset, "earliness": earliness, "seed": seed, "method": method,
                                 "auc_prc": base + offset + rng.normal(0, 0.001), "accuracy": base,
                                 "fidelity": 0.5})
    return pd.DataFrame(rows)


def test_paired_tests_are_wilcoxon_over_dataset_seed_pairs():
    runs = frame(0.05)
    table = paired_tests(runs)
    row = table[(table["earliness"] == 0.2) & (table["rival"] == "Base")].iloc[0]
    at = runs[runs["earliness"] == 0.2].pivot_table(index=["dataset", "seed"], columns="method", values="auc_prc")
    diff = (at["gdpd"] - at["base"]) * 100
    assert row["n_pairs"] == 12 and row["wins"] == 12
    assert row["mean_difference"] == pytest.approx(diff.mean())
    assert row["p_wilcoxon"] == pytest.approx(wilcoxon(diff).pvalue)
    pooled = table[(table["earliness"] == "all") & (table["rival"] == "FitNets")].iloc[0]
    assert pooled["n_pairs"] == 24


def test_claims_hold_for_a_clear_winner_and_fail_for_a_loser():
    paper = read_paper()
    winning = claims(frame(0.05), paper).set_index("claim")["holds"]
    assert winning.iloc[:4].all()
    losing = claims(frame(-0.05), paper).set_index("claim")["holds"]
    assert not losing.iloc[:4].any()
    assert not losing.iloc[4]  # a GDPD deficit cannot match the paper's lead


def test_released_comparison_averages_our_seeds_where_all_are_stored():
    released = read_released()
    runs = frame(0.0, seeds=(1, 24)).replace({"dataset": {"D0": "GunPoint"}, "earliness": {0.2: 0.4}})
    table = released_comparison(runs, released)
    ours = runs[(runs["dataset"] == "GunPoint") & (runs["earliness"] == 0.4)]
    base_1 = 100 * ours[(ours["method"] == "base") & (ours["seed"] == 1)]["auc_prc"].mean()
    assert table.loc[("Base", "1"), ("auc_prc", "ours")] == pytest.approx(base_1)
    assert table.loc[("Base", "1"), ("auc_prc", "released")] == 87.83
    assert np.isnan(table.loc[("Base", "1 24 300"), ("auc_prc", "ours")])  # seed 300 not stored


def test_protocol_gaps_use_the_common_datasets_only():
    a, b = frame(0.05), frame(-0.05)
    gaps = protocol_gaps({"paper": a, "book": b[b["dataset"] != "D5"]})
    assert set(gaps["n_datasets"]) == {5}
    assert (gaps[gaps["protocol"] == "paper"]["Base"] > 0).all()
    assert (gaps[gaps["protocol"] == "book"]["Base"] < 0).all()
