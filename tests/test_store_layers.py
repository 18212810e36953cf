"""A reader's runs go to the user store, which reads through to the book's store and never writes into it.

Every test here uses temporary folders in place of the book's store (``data/results``): none writes into it.
"""

import errno
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gdpd import store as store_module
from gdpd.cli import main
from gdpd.config import config_key
from gdpd.experiment import load_trained, run
from gdpd.presets import get_preset
from gdpd.store import ResultStore, StoreError

SMOKE_RUN = ["run", "--dataset", "UnitTest", "--earliness", "0.5", "--method", "base", "--preset", "smoke"]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _record(dataset: str, seed: int) -> dict:
    config = {"dataset": dataset, "seed": seed}
    return {"key": config_key(config), "config": config, "metrics": {"auc_prc": 0.5}, "training": {},
            "provenance": {}}


@pytest.fixture
def book_store(tmp_path, monkeypatch):
    """Stand-ins for the book's store and the user store; the default store is built from them."""
    committed, user = tmp_path / "committed", tmp_path / "user"
    monkeypatch.setattr(store_module, "COMMITTED_ROOT", committed)
    monkeypatch.setattr(store_module, "USER_ROOT", user)
    monkeypatch.delenv("GDPD_RESULTS", raising=False)
    ResultStore(committed).put(_record("GunPoint", 1))
    return committed, user


def test_the_default_store_writes_the_user_store_and_reads_the_books(book_store):
    committed, user = book_store
    store = ResultStore()
    assert store.root == user and store.read_through == (committed,)
    before = snapshot(committed)
    book_record = _record("GunPoint", 1)
    assert store.get("GunPoint", book_record["key"]) == book_record
    assert store.find(book_record["key"]) == book_record
    mine = _record("GunPoint", 2)
    assert store.put(mine) == user / "runs" / "GunPoint" / f"{mine['key']}.json"
    assert [r["key"] for r in store.records()] == sorted([book_record["key"], mine["key"]])
    assert snapshot(committed) == before


def test_the_user_store_reads_through_however_it_is_named(book_store):
    committed, user = book_store
    assert ResultStore(user).read_through == (committed,)
    assert ResultStore(str(user)).read_through == (committed,)


def test_a_named_folder_is_a_store_of_its_own(book_store, tmp_path, monkeypatch):
    committed, _ = book_store
    assert ResultStore(committed).read_through == ()
    assert ResultStore(tmp_path / "mine").read_through == ()
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path / "scratch"))
    assert ResultStore().root == tmp_path / "scratch"
    assert ResultStore().read_through == ()


def test_a_record_in_the_user_store_shadows_the_books_and_a_corrupt_one_does_not(book_store):
    store = ResultStore()
    book_record = _record("GunPoint", 1)
    mine = {**book_record, "metrics": {"auc_prc": 0.75}}
    path = store.put(mine)
    assert store.get("GunPoint", book_record["key"])["metrics"] == {"auc_prc": 0.75}
    assert list(store.records()) == [mine]
    path.write_text("{")
    assert store.get("GunPoint", book_record["key"]) == book_record
    assert list(store.records()) == [book_record]


def test_side_records_read_through_and_are_written_to_the_user_store(book_store):
    committed, user = book_store
    record = {"key": config_key({"m": 1}), "config": {"m": 1}, "metrics": {}, "provenance": {}}
    ResultStore(committed).put_side("cost", record)
    before = snapshot(committed)
    store = ResultStore()
    assert store.get_side("cost", record["key"]) == record
    other = {"key": config_key({"m": 2}), "config": {"m": 2}, "metrics": {}, "provenance": {}}
    assert store.put_side("cost", other) == user / "cost" / f"{other['key']}.json"
    assert snapshot(committed) == before


def test_a_teacher_is_read_from_the_layer_that_holds_it_whole(book_store):
    committed, user = book_store
    store = ResultStore()
    (committed / "teachers").mkdir()
    (committed / "teachers" / "GunPoint-abc.pt").write_bytes(b"weights")
    assert store.teacher_path("GunPoint", "abc", ".pt") == user / "teachers" / "GunPoint-abc.pt"
    (committed / "teachers" / "GunPoint-abc.json").write_text("{}")
    assert store.teacher_path("GunPoint", "abc", ".pt") == committed / "teachers" / "GunPoint-abc.pt"
    assert store.teacher_path("GunPoint", "abc", ".json") == committed / "teachers" / "GunPoint-abc.json"


@pytest.mark.slow
def test_rerunning_a_book_record_with_its_weights_leaves_the_book_store_unchanged(book_store):
    """The teacher and the record come from the book's store; the recomputed record and its weights go to the user
    store, and the book's weights are still the ones read back from the book's record."""
    committed, user = book_store
    config = get_preset("smoke").config("UnitTest", 0.5, "base", 1)
    book = run(config, ResultStore(committed), keep_model=True)
    before = snapshot(committed)
    store = ResultStore()
    assert run(config, store, keep_model=True) == book  # stored, with its weights: nothing is trained
    again = run(config, store, recompute=True, keep_model=True)
    assert snapshot(committed) == before
    assert again["key"] == book["key"]
    assert (user / "runs" / "UnitTest" / f"{book['key']}.json").exists()
    assert (user / "models" / "UnitTest" / f"{book['key']}.pt").exists()
    assert not (user / "teachers").exists()
    assert load_trained(config, store).config == config


@pytest.mark.slow
def test_gdpd_run_writes_the_user_store_by_default_and_the_books_only_when_named(book_store, capsys):
    committed, user = book_store
    before = snapshot(committed)
    assert main(SMOKE_RUN) == 0
    assert snapshot(committed) == before
    assert list((user / "runs" / "UnitTest").glob("*.json"))
    assert main([*SMOKE_RUN, "--results", str(committed)]) == 0
    assert list((committed / "runs" / "UnitTest").glob("*.json"))


def test_a_folder_that_is_not_a_store_is_refused_with_the_fix(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "paper.pdf").write_bytes(b"%PDF")
    (folder / "runs").mkdir()
    with pytest.raises(StoreError, match=r"not a results store: it holds paper\.pdf.*--results DIR or GDPD_RESULTS"):
        ResultStore(folder)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        ResultStore(tmp_path / "a-file")


def test_gdpd_run_into_a_folder_that_is_not_a_store_fails_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "draft.txt").write_text("mine")
    before = snapshot(folder)
    assert main([*SMOKE_RUN, "--results", str(folder)]) == 2
    assert "not a results store" in capsys.readouterr().err
    assert snapshot(folder) == before and sorted(p.name for p in folder.iterdir()) == ["draft.txt"]


def _refuse_writes(monkeypatch, code: int) -> None:
    """Make every new file fail as the operating system does in a folder that cannot be written."""
    def refuse(*_args, **_kwargs):
        raise OSError(code, os.strerror(code)) if code != errno.EACCES else PermissionError(code, os.strerror(code))

    monkeypatch.setattr(store_module.tempfile, "mkstemp", refuse)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_a_folder_that_cannot_be_written_gives_a_clear_error(tmp_path, monkeypatch, code):
    store = ResultStore(tmp_path)
    _refuse_writes(monkeypatch, code)
    with pytest.raises(StoreError, match=rf"cannot write .*{os.strerror(code)}.*name a writable store"):
        store.ensure_writable()
    with pytest.raises(StoreError, match="cannot write"):
        store.put(_record("GunPoint", 1))
    assert snapshot(tmp_path) == {}


def test_gdpd_run_into_a_folder_that_cannot_be_written_fails_with_the_fix(tmp_path, monkeypatch, capsys):
    _refuse_writes(monkeypatch, errno.EROFS)
    assert main([*SMOKE_RUN, "--results", str(tmp_path)]) == 2
    assert "name a writable store" in capsys.readouterr().err


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` refuses new files meanwhile: by its mode, or, for the superuser (whom modes do not stop), by the
    file system's immutable attribute; the test is skipped where neither is available."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("the superuser ignores file modes and this file system has no immutable attribute")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_a_read_only_folder_gives_a_clear_error(tmp_path):
    with _read_only(tmp_path), pytest.raises(StoreError, match="cannot write"):
        ResultStore(tmp_path).ensure_writable()
