"""The chapters' endings: golden values and properties of gdpd.findings on small synthetic frames (no training)."""

import numpy as np
import pandas as pd
import pytest

from gdpd import findings
from gdpd.cost import BOOK_SHAPE
from gdpd.results import Selection

SEEDS = (1, 2, 3, 4, 5)


def _selection(frame: pd.DataFrame, stored: int | None = None, rule: str = "complete seeds") -> Selection:
    """A selection of every row of ``frame``, its grid the frame's own cells (plus ``stored`` - len missing ones)."""
    grid = frame[["key", "dataset", "earliness", "method", "seed", "weight", "variant"]].assign(stored=True)
    if stored is not None and stored < len(grid):
        grid["stored"] = np.arange(len(grid)) < stored
    seeds = tuple(sorted(frame["seed"].unique())) if not frame.empty else ()
    return Selection(frame, rule if not frame.empty else "none", seeds, grid)


def _runs(values: dict[tuple[str, str], float], datasets=("D1", "D2"), earliness=(0.2,), step: float = 0.001,
          teacher: float = 0.95) -> pd.DataFrame:
    """One row per (variant, method) in ``values`` x dataset x earliness x seed: ``auc_prc`` is the given level, plus
    ``step`` per seed and 0.1 per dataset, so that runs differ but a constant shift is a shift in every run."""
    rows = []
    for (variant, method), level in values.items():
        for d, dataset in enumerate(datasets):
            for e in earliness:
                for i, seed in enumerate(SEEDS):
                    score = level + 0.1 * d + step * i
                    rows.append({"key": f"{variant}-{method}-{dataset}-{e}-{seed}", "dataset": dataset,
                                 "earliness": e, "method": method, "seed": seed, "weight": 1.0, "variant": variant,
                                 "auc_prc": score, "accuracy": score, "teacher_auc_prc": teacher,
                                 "teacher_accuracy": teacher, "seconds_per_epoch": 1.0})
    return pd.DataFrame(rows)


def test_holm_golden_values_and_missing_p_values():
    adjusted = findings.holm([0.01, 0.04, 0.03, np.nan])
    # m = 3: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04, raised to the running maximum 0.06
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])
    assert findings.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert findings.holm([]).size == 0


def test_verdict():
    assert findings.verdict(1.0, 0.01) == "higher"
    assert findings.verdict(-1.0, 0.01) == "lower"
    assert findings.verdict(-1.0, 0.2) == "no clear difference"
    assert findings.verdict(1.0, np.nan) == "no clear difference"


def test_a_setting_better_in_every_run_gives_a_positive_difference_and_the_right_counts():
    frame = _runs({("default", "gdpd"): 0.5, ("better", "gdpd"): 0.53, ("worse", "gdpd"): 0.45,
                   ("same", "gdpd"): 0.5})
    effects = findings.variant_effects(frame, "auc_prc").set_index("variant")
    better, worse, same = effects.loc["better"], effects.loc["worse"], effects.loc["same"]
    assert better["mean_difference"] == pytest.approx(3.0) and worse["mean_difference"] == pytest.approx(-5.0)
    assert (better["low"], better["high"]) == pytest.approx((3.0, 3.0))  # a constant shift: no spread to resample
    assert (better["n_pairs"], better["wins"], better["losses"], better["n_datasets"]) == (10, 10, 0, 2)
    assert (worse["wins"], worse["losses"]) == (0, 10)
    assert better["p_wilcoxon"] == pytest.approx(2 / 2**10)  # over runs, descriptive: every difference positive
    assert better["p_datasets"] == pytest.approx(2 / 2**2)  # over the 2 dataset means: the smallest possible
    assert better["p_holm"] == pytest.approx(1.0)  # two defined p-values (same has none), capped at 1
    assert (better["verdict"], worse["verdict"]) == ("no clear difference", "no clear difference")
    assert np.isnan(same["p_datasets"]) and same["verdict"] == "no clear difference"
    assert (same["wins"], same["losses"]) == (0, 0)

    text = findings.ablation_ending(_selection(frame), "auc_prc")
    assert "`better` against `default`: +3.00 [+3.00, +3.00] at e = 0.2 (10 up, 0 down of 10 runs)" in text
    assert ("With 2 datasets no test over datasets can reach p < 0.05 (the smallest two-sided Wilcoxon p-value is "
            "0.5)") in text and "**cannot be told from these runs**" in text
    assert "The largest gain in the mean is +3.00 (`better` at e = 0.2); the largest loss -5.00 (`worse`" in text
    assert "Counts over (dataset, seed) runs are descriptive, never a test" in text


def test_an_ablation_on_enough_datasets_tests_over_them():
    datasets = tuple(f"D{i}" for i in range(7))
    frame = _runs({("default", "gdpd"): 0.5, ("better", "gdpd"): 0.53}, datasets=datasets)
    effects = findings.variant_effects(frame, "auc_prc").iloc[0]
    assert effects["n_datasets"] == 7 and effects["p_datasets"] == pytest.approx(2 / 2**7)
    assert effects["verdict"] == "higher"
    text = findings.ablation_ending(_selection(frame), "auc_prc")
    assert "cannot be told" not in text
    assert "above in `better` at e = 0.2 (+3.00, p = 0.0156)" in text


def test_an_ablation_where_nothing_changes_much_says_so():
    frame = _runs({("default", "gdpd"): 0.5, ("worse", "gdpd"): 0.45})
    text = findings.ablation_ending(_selection(frame), "auc_prc")
    assert "The mean changes by -5.00 (`worse` at e = 0.2)." in text
    assert "Only GDPD runs are in this grid" in text


def test_an_ablation_ending_words_the_range_where_every_change_has_one_sign():
    frame = _runs({("default", "gdpd"): 0.5, ("worse", "gdpd"): 0.45, ("bit worse", "gdpd"): 0.49})
    text = findings.ablation_ending(_selection(frame), "auc_prc")
    assert ("No setting raises the mean: the changes run from -1.00 (`bit worse` at e = 0.2) to -5.00 (`worse` at "
            "e = 0.2).") in text
    frame = _runs({("default", "gdpd"): 0.5, ("better", "gdpd"): 0.53, ("bit better", "gdpd"): 0.51})
    text = findings.ablation_ending(_selection(frame), "auc_prc")
    assert ("No setting lowers the mean: the changes run from +1.00 (`bit better` at e = 0.2) to +3.00 (`better` "
            "at e = 0.2).") in text


def test_zoo_standing_place_rivals_and_paired_test():
    # GDPD below KD on every run (-0.02), above Base on every run (+0.01), equal to FitNets' level + 0.03
    frame = _runs({("default", "base"): 0.50, ("default", "kd"): 0.53, ("default", "gdpd"): 0.51,
                   ("default", "fitnets"): 0.48}, datasets=("D1", "D2", "D3"), earliness=(0.5,))
    standing = findings.zoo_standing(frame, "auc_prc")
    assert standing["n_methods"] == 4 and standing["n_rows"] == 3
    assert standing["average_rank"] == pytest.approx(2.0) and standing["place"] == 2
    assert list(standing["ahead"].index) == ["kd"]
    assert standing["ahead"].loc["kd", "mean_difference"] == pytest.approx(2.0)
    assert standing["ahead"].loc["kd", "rows_above"] == 3
    assert standing["top1"] == 0 and standing["top3_share"] == pytest.approx(1.0)
    assert standing["rival"] == "kd"
    test = standing["test"]
    assert test["mean_difference"] == pytest.approx(-2.0) and (test["wins"], test["losses"]) == (0, 15)
    paper = pd.DataFrame({"average_rank": [2.25], "top3_share": [0.8]}, index=["gdpd"])
    text = findings.zoo_ending(_selection(frame), "auc_prc", paper)
    assert "average rank is 2.00 (the paper's: 2.25) among 4 methods over 3 datasets, which places it 2nd of 4" in text
    assert text.startswith("**GDPD comes 2nd of 4 methods by average rank (2.00; the paper's: 2.25)")
    assert "1 method ranks above GDPD: Base-KD (rank 1.00, mean +2.00" in text
    assert standing["effect"] == pytest.approx((-2.0, -2.0, -2.0, 3))
    assert standing["over_datasets"]["p_holm"] == pytest.approx(3 * 2 / 2**3)  # Holm over 3 rivals, 3 datasets
    assert ("GDPD − Base-KD -2.00, 95 % interval [-2.00, -2.00]; over the 3 datasets a two-sided Wilcoxon test with "
            "Holm's correction over the 3 rivals gives p = 0.75 (the smallest these 3 datasets allow: 0.75): no "
            "difference these datasets can establish. On runs (descriptive): -2.00 (0 up, 15 down of 15 runs") in text
    assert "Friedman's test over the 3 datasets: Iman–Davenport p = 0 (the methods differ somewhere)" in text
    assert "best on 0 of 3 datasets and among the best three on 100 % of them (the paper: 80 %)" in text
    assert "Every run is at earliness 0.5" in text


def test_zoo_standing_again_without_a_teacher_below_its_students():
    frame = _runs({("default", "base"): 0.50, ("default", "kd"): 0.53, ("default", "gdpd"): 0.51,
                   ("default", "fitnets"): 0.48}, datasets=("D1", "D2", "D3"), earliness=(0.5,))
    frame.loc[frame["dataset"] == "D3", ["teacher_auc_prc", "teacher_accuracy"]] = 0.2  # below D3's students (~0.7)
    below, strong = findings.without_weak_teachers(frame, "auc_prc")
    assert below == ["D3"] and set(strong["dataset"]) == {"D1", "D2"} and len(strong) == 2 * len(frame) // 3
    text = findings.zoo_ending(_selection(frame), "auc_prc")
    assert ("Without the runs of the 1 weak teacher (D3), GDPD's average rank is 2.00 among 4 methods over 2 "
            "datasets, which places it 2nd of 4.") in text
    assert findings.without_weak_teachers(frame[frame["dataset"] != "D3"], "auc_prc")[0] == []
    assert "Without the runs" not in findings.zoo_ending(_selection(frame[frame["dataset"] != "D3"]), "auc_prc")


def test_zoo_ties_are_named():
    frame = _runs({("default", "base"): 0.5, ("default", "gdpd"): 0.5})
    standing = findings.zoo_standing(frame, "auc_prc")
    assert standing["place"] == 1 and standing["tied"] == ["base"] and standing["ahead"].empty


def test_baseline_effects_per_setting():
    frame = pd.concat([
        _runs({("half", "base"): 0.60, ("half", "kd"): 0.55, ("half", "gdpd"): 0.58}),
        _runs({("all", "base"): 0.70, ("all", "kd"): 0.70, ("all", "gdpd"): 0.74}),
    ], ignore_index=True)
    effects = findings.baseline_effects(frame, "auc_prc").set_index(["variant", "reference"])
    assert effects.loc[("half", "Base"), "mean_difference"] == pytest.approx(-2.0)
    assert effects.loc[("half", "Base"), "losses"] == 10 and effects.loc[("half", "Base"), "verdict"] == "lower"
    assert effects.loc[("half", "Base-KD"), "mean_difference"] == pytest.approx(3.0)
    assert effects.loc[("all", "Base"), "best"] == "GDPD"
    assert effects.loc[("half", "Base"), "best"] == "Base"
    assert effects.loc[("half", "Base"), "best_mean"] == pytest.approx(65.2)  # 60 and 70, plus 0.2 for the seeds
    text = findings.variants_ending(_selection(frame), "auc_prc")
    assert "**half** (e = 0.2): GDPD against Base -2.00 (0 up, 10 down of 10 runs" in text
    assert "GDPD has the best mean in 1 of 2 settings" in text
    assert "negative against Base in 1 and against Base-KD in 0 of them" in text


def test_selection_inflation_and_the_lambda_ending():
    validation = _runs({("default", "base"): 0.60, ("default", "kd"): 0.62, ("default", "gdpd"): 0.59})
    test = _runs({("default", "base"): 0.60, ("default", "kd"): 0.63, ("default", "gdpd"): 0.65})
    table = findings.selection_inflation(validation, test, "auc_prc")
    assert table.loc[(0.2, "gdpd"), "inflation"] == pytest.approx(6.0)
    assert table.loc[(0.2, "base"), "inflation"] == pytest.approx(0.0)
    assert table.loc[(0.2, "kd"), "lambda on test"] == pytest.approx(68.2)
    grid_rows = pd.concat([validation, validation[validation["method"] != "base"].assign(weight=10.0)])
    selection = Selection(validation, "complete seeds", SEEDS, grid_rows.assign(stored=True))
    text = findings.lambda_ending(selection, test, "auc_prc")
    assert "GDPD +6.00 [+6.00, +6.00] at e = 0.2" in text and "The largest inflation: GDPD at e = 0.2 (+6.00)" in text
    assert "Base-KD leads with the weight chosen on validation, GDPD with it chosen on test" in text
    assert "GDPD trails Base-KD by 3.00 [+3.00, +3.00]" in text
    assert "With 2 datasets no test over datasets can reach p < 0.05" in text
    assert "best of 2 weights (1 and 10)" in text


def _cost_frame() -> pd.DataFrame:
    rows = []
    for method, epoch, step in (("base", 1.0, 0.10), ("kd", 1.1, 0.11), ("gdpd", 1.5, 0.15), ("rkd", 2.0, 0.2)):
        rows.append({**BOOK_SHAPE, "method": method, "samples": 1, "threads": 1, "distillation_s_per_epoch": epoch,
                     "s_per_step": step, "peak_rss_mb": 400.0 + 10 * step, "inference_s_per_100": 0.05,
                     "student_parameters": 1000})
    for method, seconds in (("kd", (0.1, 0.4, 1.6)), ("gdpd", (0.2, 0.5, 1.7))):
        for batch, s in zip((16, 64, 256), seconds):
            rows.append({**BOOK_SHAPE, "cases": 256, "batch_size": batch, "method": method, "samples": 1,
                         "threads": 1, "s_per_step": s, "distillation_s_per_epoch": s, "peak_rss_mb": 400.0,
                         "inference_s_per_100": 0.05, "student_parameters": 1000})
    return pd.DataFrame(rows)


def test_cost_overhead_golden_values():
    overhead = findings.cost_overhead(_cost_frame())
    assert overhead["epoch_ratio"] == pytest.approx(1.5) and overhead["step_ratio"] == pytest.approx(1.5)
    assert overhead["cheaper"] == ["kd"] and overhead["noise"] == pytest.approx(1.1)
    assert overhead["same_parameters"] and overhead["inference_ratio"] == pytest.approx(1.0)
    assert overhead["sweeps"]["batch_size"].to_numpy() == pytest.approx([2.0, 1.25, 1.0625])
    text = findings.cost_ending(_cost_frame())
    assert "takes 1.50× Base's" in text and "the overhead is largest at 16" in text
    assert "no method measured faster than Base" in text


def test_physionet_ending_without_data_or_runs():
    frame = _runs({("default", "base"): 0.6, ("default", "gdpd"): 0.62})
    empty = _selection(frame.iloc[0:0], stored=0)
    assert findings.physionet_ending(empty, present=False).startswith("**Nothing to conclude yet.** The PhysioNet")
    assert "is present but" in findings.physionet_ending(empty, present=True)
    text = findings.physionet_ending(_selection(frame.assign(died_auc_prc=frame["auc_prc"] / 2)), True, 0.14)
    assert "GDPD against Base: +2.00 (10 up, 0 down of 10 runs" in text and "(chance 14.0)" in text


def test_empty_selections_give_nothing_to_conclude():
    empty = _selection(_runs({("default", "gdpd"): 0.5}).iloc[0:0])
    for text in (findings.zoo_ending(empty, "auc_prc"), findings.variants_ending(empty, "auc_prc"),
                 findings.ablation_ending(empty, "auc_prc"), findings.lambda_ending(empty, pd.DataFrame(), "auc_prc"),
                 findings.cost_ending(pd.DataFrame())):
        assert text.startswith("**Nothing to conclude yet.**"), text


def test_limits_name_the_partial_grid_and_weak_teachers():
    frame = _runs({("default", "base"): 0.5, ("default", "gdpd"): 0.5}, teacher=0.95)
    frame.loc[frame["dataset"] == "D2", "teacher_auc_prc"] = 0.3  # below its students (about 60)
    selection = _selection(frame, stored=len(frame) - 5, rule="complete blocks")
    text = " ".join(findings.limits(selection, "auc_prc"))
    assert f"({len(frame) - 5} of {len(frame)} cells)" in text
    assert "1 of 2 teachers are weak (D2;" in text and "30.00 on the full series against 60.20" in text
    one_seed = _selection(frame[frame["seed"] == 1])
    assert "spread is unknown" in " ".join(findings.limits(one_seed, "auc_prc"))
    strong = findings.limits(_selection(frame.assign(teacher_auc_prc=0.99)), "auc_prc")
    assert "No teacher is weak: each of the 2 teachers scores above" in strong[-1]
    # fidelity has no teacher score: the teacher is compared on accuracy
    assert findings.teacher_shortfall(frame, "fidelity")["score"].iloc[0] == "accuracy"


def test_ordinals():
    from gdpd.findings.wording import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 102)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "102nd"]


def test_the_verdict_tally_agrees_in_number():
    import pandas as pd

    from gdpd.claims import FAILS, HOLDS, UNKNOWN
    from gdpd.findings.ledger_page import _tally

    one = pd.Series({HOLDS: 1, FAILS: 1, UNKNOWN: 1})
    assert _tally(one) == "1 holds, 1 does not hold and 1 cannot be told with these data"
    assert _tally(pd.Series({FAILS: 9})) == "0 hold, 9 do not hold and 0 cannot be told with these data"
