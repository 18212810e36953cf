"""The variant tables of the ablation and beyond-UCR chapters equal aggregations worked out by hand."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from gdpd import variants

matplotlib.use("Agg")


def _variant_frame() -> pd.DataFrame:
    """Two variants x two datasets x three seeds x two methods; kd = base + (0.01, 0.02, 0.03) by seed.

    ``other`` is ``default`` + 0.1 everywhere and trains twice as long per epoch."""
    rows = []
    for variant, shift, seconds in (("default", 0.0, 1.0), ("other", 0.1, 2.0)):
        for dataset, level in (("D1", 0.5), ("D2", 0.7)):
            for i, seed in enumerate((1, 2, 3)):
                base = level + shift + 0.001 * i
                for method, value in (("base", base), ("kd", base + 0.01 * (i + 1))):
                    rows.append({"variant": variant, "dataset": dataset, "earliness": 0.4, "seed": seed,
                                 "method": method, "auc_prc": value, "seconds_per_epoch": seconds})
    return pd.DataFrame(rows)


def test_variant_means_average_seeds_then_datasets():
    table = variants.variant_means(_variant_frame(), "auc_prc")
    assert table.loc[("default", 0.4), "base"] == pytest.approx(60.1)  # seed means 50.1 and 70.1
    assert table.loc[("other", 0.4), "kd"] - table.loc[("default", 0.4), "kd"] == pytest.approx(10.0)
    assert (table["n_datasets"] == 2).all()


def test_paired_differences_golden_values():
    frame = _variant_frame()
    methods = variants.paired_differences(frame, "auc_prc", "method", "base", within=("variant",))
    for _, row in methods.iterrows():
        assert row["n_pairs"] == 6 and row["wins"] == 6 and row["losses"] == 0
        assert row["mean_difference"] == pytest.approx(2.0)  # mean of 1, 2, 3 (x100) over both datasets
        assert row["std"] == pytest.approx(np.std([1, 2, 3, 1, 2, 3], ddof=1))
        assert row["p_wilcoxon"] == pytest.approx(0.03125)  # all six differences positive: 2 / 2**6
    against = variants.paired_differences(frame, "auc_prc", "variant", "default", within=("method",))
    assert list(against["method"]) == ["base", "kd"]
    assert against["mean_difference"].to_numpy() == pytest.approx([10.0, 10.0])
    reverse = variants.paired_differences(frame, "auc_prc", "variant", "other")  # methods averaged per run
    assert (reverse["wins"].item(), reverse["losses"].item(), reverse["n_pairs"].item()) == (0, 6, 6)
    same = frame.assign(auc_prc=0.5)
    assert np.isnan(variants.paired_differences(same, "auc_prc", "method", "base")["p_wilcoxon"].iloc[0])


def test_seed_spread_is_mean_and_std_of_per_seed_dataset_means():
    table = variants.seed_spread(_variant_frame(), "auc_prc")
    # default, base: per-seed means over D1 and D2 are 60.0, 60.1, 60.2 -> mean 60.10, std 0.10
    assert table.loc[("default", 0.4), "Base"] == "60.10 ± 0.10"
    # kd adds 1, 2, 3 by seed: 61.0, 62.1, 63.2 -> mean 62.10, std 1.10
    assert table.loc[("default", 0.4), "Base-KD"] == "62.10 ± 1.10"
    assert table.loc[("other", 0.4), "Base"] == "70.10 ± 0.10"
    assert (table["n_seeds"] == 3).all()
    one_seed = variants.seed_spread(_variant_frame().query("seed == 1"), "auc_prc")
    assert one_seed.loc[("default", 0.4), "Base"] == "60.00 ± –"


def test_against_default_and_baselines_label_methods():
    frame = _variant_frame()
    against = variants.against_default(frame, "auc_prc")
    assert list(against["method"]) == ["Base", "Base-KD"] and (against["variant"] == "other").all()
    assert against["mean_difference"].to_numpy() == pytest.approx([10.0, 10.0])
    baselines = variants.against_baselines(frame, "auc_prc")
    assert set(baselines["reference"]) == {"Base"}  # no GDPD rows here, so no comparison with Base-KD
    assert baselines["mean_difference"].to_numpy() == pytest.approx([2.0, 2.0])


def test_variant_cost_ratio_and_cells():
    cost = variants.variant_cost(_variant_frame())
    assert cost.loc["other", "vs default"] == pytest.approx(2.0)
    assert "vs default" not in variants.variant_cost(_variant_frame(), reference="missing").columns
    cells = variants.variant_cells(_variant_frame(), "auc_prc")
    assert len(cells) == 2 * 2 * 2 and set(cells["earliness"]) == {"0.4"}
    assert cells.query("variant == 'default' and dataset == 'D1' and method == 'base'")["auc_prc"].item() == \
        pytest.approx(50.1)


def test_variant_plots_draw_one_axis():
    frame = _variant_frame()
    assert len(variants.plot_variant_cells(frame, "auc_prc").axes) == 1
    two_levels = pd.concat([frame, frame.assign(earliness=0.6)])
    assert len(variants.plot_variant_cells(two_levels, "auc_prc").axes) == 1
    assert len(variants.plot_variant_means(variants.variant_means(frame, "auc_prc"), "x").axes) == 1
