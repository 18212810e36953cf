import json

import pytest

from gdpd.store import ResultStore, atomic_write_text, config_key


def _record(config):
    return {"key": config_key(config), "config": config, "metrics": {"auc_prc": 0.5}, "training": {},
            "provenance": {}}


def test_config_key_is_stable_and_order_free():
    assert config_key({"a": 1, "b": [1, 2]}) == config_key({"b": [1, 2], "a": 1})
    assert config_key({"a": 1}) != config_key({"a": 2})
    assert len(config_key({"a": 1})) == 16


def test_put_get_roundtrip(tmp_path):
    store = ResultStore(tmp_path)
    record = _record({"dataset": "GunPoint", "seed": 1})
    path = store.put(record)
    assert path == tmp_path / "runs" / "GunPoint" / f"{record['key']}.json"
    assert store.get("GunPoint", record["key"]) == record
    assert list(store.records()) == [record]
    assert not list(path.parent.glob("*.tmp"))


def test_incomplete_or_mislabelled_records_are_refused(tmp_path):
    store = ResultStore(tmp_path)
    record = _record({"dataset": "GunPoint", "seed": 1})
    with pytest.raises(ValueError, match="lacks"):
        store.put({k: v for k, v in record.items() if k != "metrics"})
    with pytest.raises(ValueError, match="does not match"):
        store.put({**record, "key": "0" * 16})
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("content", ["", "{\"key\": ", "[]", "{\"key\": \"x\"}"])
def test_corrupt_records_read_as_missing(tmp_path, content):
    store = ResultStore(tmp_path)
    record = _record({"dataset": "GunPoint", "seed": 2})
    path = store.put(record)
    path.write_text(content)
    assert store.get("GunPoint", record["key"]) is None
    assert list(store.records()) == []


def test_record_whose_config_was_edited_reads_as_missing(tmp_path):
    store = ResultStore(tmp_path)
    record = _record({"dataset": "GunPoint", "seed": 3})
    path = store.put(record)
    edited = json.loads(path.read_text())
    edited["config"]["seed"] = 4
    path.write_text(json.dumps(edited))
    assert store.get("GunPoint", record["key"]) is None


def test_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path / "elsewhere"))
    assert ResultStore().root == tmp_path / "elsewhere"
    assert ResultStore(tmp_path).root == tmp_path


def test_atomic_write_leaves_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("gdpd.store.os.replace", fail)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_recorded_threads_sets_the_records_count_and_restores():
    import torch

    from gdpd.provenance import recorded_threads

    before = torch.get_num_threads()
    target = 1 if before != 1 else 2
    with recorded_threads({"provenance": {"torch_threads": target}}):
        assert torch.get_num_threads() == target
    assert torch.get_num_threads() == before
    with recorded_threads({"provenance": {}}), recorded_threads(None):
        assert torch.get_num_threads() == before


def test_git_commit_outside_a_repository_comes_from_the_environment(tmp_path, monkeypatch):
    from gdpd import provenance

    monkeypatch.setattr(provenance, "REPO_ROOT", tmp_path)
    monkeypatch.delenv(provenance.COMMIT_ENV, raising=False)
    assert provenance.git_commit() == "unknown"
    monkeypatch.setenv(provenance.COMMIT_ENV, "abc123")
    assert provenance.git_commit() == "abc123"
