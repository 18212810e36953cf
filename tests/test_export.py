import numpy as np
import pandas as pd
import pytest
from aeon.benchmarking.results_loaders import get_estimator_results

from gdpd.export import estimator_name, export_aeon, register_with_aeon


@pytest.fixture
def frame():
    rows = []
    for dataset in ("GunPoint", "UnitTest"):
        for method in ("base", "gdpd"):
            for seed in (1, 24):
                value = 0.5 + 0.1 * seed / 24 + 0.2 * (method == "gdpd") + 0.05 * (dataset == "UnitTest")
                rows.append({"dataset": dataset, "method": method, "earliness": 0.4, "seed": seed,
                             "accuracy": value, "roc_auc": value - 0.01, "auc_prc": value - 0.02})
    return pd.DataFrame(rows)


def test_estimator_names():
    assert estimator_name("gdpd", 0.4) == "GDPD-e0.4"
    assert estimator_name("kd", 0.2) == "Base-KD-e0.2"


def test_aeon_reads_the_export(tmp_path, frame):
    export_aeon(frame, tmp_path)
    names = [estimator_name("base", 0.4), estimator_name("gdpd", 0.4)]
    register_with_aeon(names)
    read = get_estimator_results(names, datasets=["GunPoint", "UnitTest"], num_resamples=2,
                                 measure="accuracy", path=str(tmp_path))
    expected = frame[(frame.method == "gdpd") & (frame.dataset == "GunPoint")].sort_values("seed")["accuracy"]
    np.testing.assert_allclose(read["GDPD-e0.4"]["GunPoint"], expected.to_numpy())
    auroc = get_estimator_results(names, num_resamples=1, measure="auroc", path=str(tmp_path))
    assert auroc["Base-e0.4"]["UnitTest"] == pytest.approx(frame.query(
        "method == 'base' and dataset == 'UnitTest' and seed == 1")["roc_auc"].item())
    assert (tmp_path / "classification" / "auprc" / "GDPD-e0.4_auprc.csv").exists()


def test_a_preset_of_several_settings_gives_one_estimator_per_setting(tmp_path, frame):
    settings = pd.concat([frame.assign(variant="default"), frame.assign(variant="alpha=0.5")])
    written = {path.name for path in export_aeon(settings, tmp_path)}
    assert {"GDPD-e0.4-default_accuracy.csv", "GDPD-e0.4-alpha=0.5_accuracy.csv"} <= written
    assert estimator_name("gdpd", 0.4, "LSTM3-100 -> LSTM2-32") == "GDPD-e0.4-LSTM3-100_-_LSTM2-32"
