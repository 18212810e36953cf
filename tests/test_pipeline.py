"""End-to-end at tiny scale: data -> teacher -> student -> metrics -> store, with the `smoke` preset."""

import json
from dataclasses import replace

import pytest

from gdpd.experiment import run
from gdpd.methods import config_from_dict
from gdpd.presets import get_preset
from gdpd.report import cell_means, table1
from gdpd.results import select_analysis
from gdpd.store import ResultStore

SMOKE = get_preset("smoke")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return ResultStore(tmp_path_factory.mktemp("results"))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["base", "kd", "fitnets", "gdpd"])
def test_each_method_runs_and_is_stored(store, method):
    config = SMOKE.config("GunPoint", 0.4, method, 1)
    record = run(config, store)
    metrics = record["metrics"]
    for name in ("auc_prc", "accuracy", "roc_auc", "fidelity", "kl", "val_auc_prc", "teacher_auc_prc"):
        assert 0 <= metrics[name] < float("inf"), name
    assert record["training"]["best_epoch"] >= config.train.warmup_epochs
    assert len(record["history"]) == record["training"]["epochs_run"]
    assert store.get("GunPoint", config.key()) == record
    assert record["provenance"]["device"].startswith("cpu")


@pytest.mark.slow
def test_students_share_one_cached_teacher(store):
    keys = {run(SMOKE.config("GunPoint", e, "base", 1), store)["training"]["teacher_key"] for e in (0.4, 0.6)}
    assert len(keys) == 1
    assert len(list((store.root / "teachers").glob("GunPoint-*.pt"))) == 1


@pytest.mark.slow
def test_same_seed_same_numbers_without_store():
    config = SMOKE.config("UnitTest", 0.5, "gdpd", 7)
    first, second = run(config), run(config)
    assert first["metrics"] == second["metrics"]
    assert first["history"] == second["history"]
    other = run(replace(config, seed=8))
    assert other["history"] != first["history"]


@pytest.mark.slow
def test_stored_record_is_reused_not_retrained(store):
    config = SMOKE.config("GunPoint", 0.4, "kd", 1)
    stored = run(config, store)
    assert run(config, store)["provenance"] == stored["provenance"]


def test_config_roundtrip_through_json():
    config = SMOKE.config("GunPoint", 0.4, "gdpd", 3, alpha=0.5, samples=2, prefix_mode="truncate")
    assert config_from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.slow
def test_truncate_prefix_runs(store):
    record = run(SMOKE.config("GunPoint", 0.4, "fitnets", 1, prefix_mode="truncate"), store)
    assert record["config"]["prefix_mode"] == "truncate"


@pytest.mark.slow
def test_tables_aggregate_the_store(store):
    for config in SMOKE.grid():
        run(config, store)
    frame = select_analysis(store, SMOKE).frame
    table = cell_means(frame, "auc_prc")
    assert table.loc[("GunPoint", 0.4), "gdpd"] == pytest.approx(
        100 * store.get("GunPoint", SMOKE.config("GunPoint", 0.4, "gdpd", 1).key())["metrics"]["auc_prc"])
    rows = table1(frame)
    assert set(rows["method"]) == {"base", "kd", "fitnets", "gdpd"}
    assert rows["average_rank"].sum() == pytest.approx(10.0)  # ranks 1..4 average to 2.5 each dataset


def test_keys_ignore_options_left_at_their_defaults():
    config = SMOKE.config("GunPoint", 0.4, "gdpd", 1)
    compact = config.to_dict()
    assert "prefix_mode" not in compact and "architecture" not in compact
    assert {"dataset", "earliness", "method", "seed"} <= set(compact)
    assert config_from_dict(config.full_dict()) == config
    assert SMOKE.config("GunPoint", 0.4, "gdpd", 1, samples=2).key() != config.key()


@pytest.mark.slow
def test_channel_partial_student_on_multivariate_data():
    from gdpd.experiment import train_run

    config = SMOKE.config("BasicMotions", 0.5, "gdpd", 1, channel_fraction=0.5)
    trained = train_run(config)
    assert trained.data.prefix["train"].shape[1] == 3 and trained.data.full["train"].shape[1] == 6
    assert trained.student.in_channels == 3 and trained.teacher.in_channels == 6
    assert 0 <= run(config)["metrics"]["auc_prc"] <= 1


def test_every_preset_grid_has_unique_keys():
    from gdpd.presets import PRESETS

    for preset in PRESETS.values():
        keys = [config.key() for config in preset.grid()]
        assert len(keys) == len(set(keys)), preset.name


def test_ablation_default_arms_are_the_book_runs():
    from gdpd.presets import ABLATIONS

    book = {config.key() for config in get_preset("book").grid()}
    for preset in ABLATIONS.values():
        defaults = [config for label, config in preset.labelled_grid() if label == "default"]
        lambda_one = [config for config in defaults if getattr(config.method_config, "weight", 1.0) == 1.0]
        assert lambda_one and all(config.key() in book for config in lambda_one)
        arms = {label for label, _ in preset.labelled_grid()}
        assert len(arms) == len(preset.variants)


def test_variants_override_method_and_training_fields():
    from gdpd.presets import ABLATIONS

    arms = dict(ABLATIONS["ablation-warmup"].labelled_grid()[:5])
    assert arms["warm-up 0"].train.warmup_epochs == 0
    assert arms["joint prior"].method_config.joint_prior
    assert arms["default"].train == get_preset("book").student


@pytest.mark.slow
def test_kept_weights_give_back_the_trained_run(store):
    import numpy as np

    from gdpd.experiment import load_trained
    from gdpd.metrics import softmax
    from gdpd.models import predict_outputs

    config = SMOKE.config("UnitTest", 0.5, "gdpd", 24)
    with pytest.raises(LookupError, match="--keep-model"):
        load_trained(config, store)
    record = run(config, store, keep_model=True)
    trained = load_trained(config, store)
    logits = predict_outputs(trained.student, trained.data.prefix["test"]).logits.numpy()
    np.testing.assert_allclose(softmax(logits), record["probabilities"]["test"], atol=1e-5)
    assert trained.result.best_epoch == record["training"]["best_epoch"]
    assert run(config, store, keep_model=True)["provenance"] == record["provenance"]  # stored: not trained again
