"""Cost measurements: what is measured, that it is stored once with provenance, and bad configurations."""

import json
from dataclasses import asdict

import pytest

from gdpd.config import PROTOCOL_VERSION
from gdpd.cost import (
    BOOK_SHAPE,
    CostConfig,
    book_shape_costs,
    chapter_configs,
    cost_frame,
    measure,
    samples_costs,
)
from gdpd.methods import METHODS
from gdpd.store import ResultStore, config_key

TINY = {"cases": 8, "length": 12, "hidden": 8, "layers": 1, "batch_size": 4, "epochs": 2, "inference_cases": 16}


def test_measure_reports_every_cost_and_the_student_is_the_same_network_for_every_method():
    base, gdpd = measure(CostConfig("base", **TINY)), measure(CostConfig("gdpd", **TINY))
    for costs in (base, gdpd):
        assert costs["warmup_s_per_epoch"] > 0 and costs["distillation_s_per_epoch"] > 0
        assert 0 < costs["s_per_step"] <= costs["distillation_s_per_epoch"]  # two steps per epoch here
        assert costs["inference_s_per_100"] > 0 and costs["peak_rss_mb"] > 0
    assert base["student_parameters"] == gdpd["student_parameters"] == 4 * 8 * (1 + 8 + 2) + 8 * 2 + 2


@pytest.mark.slow
def test_cost_frame_measures_once_in_a_fresh_process_and_reads_back(tmp_path):
    store = ResultStore(tmp_path)
    config = CostConfig("kd", **TINY)
    assert cost_frame([config], store).empty
    first = cost_frame([config], store, compute=True)
    assert len(first) == 1 and first.loc[0, "method"] == "kd"
    record = json.loads((tmp_path / "cost" / f"{config.key()}.json").read_text())
    assert record["config"]["hidden"] == 8 and "git_commit" in record["provenance"]
    assert record["provenance"]["torch_threads"] == config.threads == 1  # the measuring process's, not the caller's
    assert cost_frame([config], store).equals(first)  # stored: not measured again


def test_book_shape_costs_read_the_stored_measurements_of_the_methods_asked_for(tmp_path):
    store = ResultStore(tmp_path)
    assert book_shape_costs(("kd",), store).empty
    for method, peak in (("kd", 400.0), ("gdpd", 450.0)):
        config = CostConfig(method, **BOOK_SHAPE)
        metrics = {"s_per_step": peak / 1000, "peak_rss_mb": peak}
        store.put_side("cost", {"key": config.key(), "config": config.stored_fields(), "metrics": metrics,
                                "provenance": {"created": "2026-01-01T00:00:00+00:00"}})
    narrow = CostConfig("kd", **{**BOOK_SHAPE, "hidden": 32})
    store.put_side("cost", {"key": narrow.key(), "config": narrow.stored_fields(),
                            "metrics": {"s_per_step": 9.0, "peak_rss_mb": 9.0}, "provenance": {"created": ""}})
    costs = book_shape_costs(("kd", "gdpd", "pkt"), store)
    assert list(costs.index) == ["kd", "gdpd"]
    assert costs.loc["gdpd", "peak_rss_mb"] == 450.0 and costs.loc["kd", "s_per_step"] == 0.4


def test_samples_costs_are_gdpd_at_the_book_shape_by_j_with_the_ratio_to_j_1(tmp_path):
    store = ResultStore(tmp_path)
    assert samples_costs(store).empty
    for j, step in ((1, 0.2), (4, 0.3)):
        config = CostConfig("gdpd", **BOOK_SHAPE, samples=j)
        store.put_side("cost", {"key": config.key(), "config": config.stored_fields(), "provenance": {"created": ""},
                                "metrics": {"s_per_step": step, "distillation_s_per_epoch": 2 * step,
                                            "peak_rss_mb": 400.0}})
    table = samples_costs(store)
    assert list(table.index) == [1, 4]
    assert table.loc[4, "step vs J=1"] == pytest.approx(1.5)


def test_chapter_configs_cover_every_method_and_the_scaling_sweeps():
    configs = chapter_configs()
    assert {c.method for c in configs} == set(METHODS)
    assert {c.batch_size for c in configs if c.method == "gdpd"} == {16, 64, 256}
    assert {c.hidden for c in configs if c.method == "gdpd"} == {32, 100, 200}
    assert {c.samples for c in configs if c.method == "gdpd"} == {1, 2, 4, 8}
    assert {c.samples for c in configs if c.method != "gdpd"} == {1}
    assert len(configs) == len(set(configs))


def test_a_key_holds_the_protocol_version_and_samples_only_when_not_one():
    fields = asdict(CostConfig("gdpd"))
    assert fields["protocol"] == PROTOCOL_VERSION
    assert CostConfig("gdpd").key() == config_key({k: v for k, v in fields.items() if k != "samples"})
    assert CostConfig("gdpd", samples=2).key() != CostConfig("gdpd").key()


def test_a_measurement_of_an_earlier_protocol_is_not_read_as_a_current_one(tmp_path):
    store = ResultStore(tmp_path)
    config = CostConfig("gdpd", **BOOK_SHAPE)
    earlier = {k: v for k, v in config.stored_fields().items() if k != "protocol"}  # as version 1 stored it
    store.put_side("cost", {"key": config_key(earlier), "config": earlier, "provenance": {"created": ""},
                            "metrics": {"s_per_step": 0.2, "peak_rss_mb": 400.0}})
    assert cost_frame([config], store).empty
    assert book_shape_costs(("gdpd",), store).empty


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="unknown method"):
        CostConfig("nope")
    with pytest.raises(ValueError, match="samples"):
        CostConfig("gdpd", samples=0)
    with pytest.raises(ValueError, match=">= 2"):
        CostConfig("kd", epochs=1)
    with pytest.raises(ValueError, match="protocol version 1 is not the one this code measures"):
        CostConfig("kd", protocol=1)
