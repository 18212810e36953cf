"""Bit-for-bit reruns: the same configuration trained in two fresh processes gives the same record."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

import gdpd
from gdpd.store import ResultStore

pytestmark = pytest.mark.slow


def train_in_fresh_process(root) -> dict:
    """Train the smoke GDPD run (teacher included) in a new interpreter, into the store at ``root``."""
    command = ["-m", "gdpd.cli", "run", "--dataset", "UnitTest", "--earliness", "0.5", "--method", "gdpd",
               "--seed", "24", "--preset", "smoke", "--results", str(root)]
    subprocess.run([sys.executable, *command], check=True, capture_output=True, text=True, timeout=300)
    (record,) = ResultStore(root).records()
    return record


def test_two_fresh_processes_give_the_same_record(tmp_path):
    first, second = (train_in_fresh_process(tmp_path / name) for name in ("a", "b"))
    assert first["key"] == second["key"]
    for part in ("metrics", "history", "probabilities", "config"):
        assert first[part] == second[part], part
    assert first["training"]["best_epoch"] == second["training"]["best_epoch"]
    teachers = [sorted((tmp_path / name / "teachers").glob("*.pt")) for name in ("a", "b")]
    assert [p.name for p in teachers[0]] == [p.name for p in teachers[1]]
    assert teachers[0][0].read_bytes() == teachers[1][0].read_bytes()


def test_records_name_the_numerical_pins(tmp_path):
    record = train_in_fresh_process(tmp_path)
    provenance = record["provenance"]
    assert provenance["numerics"] == gdpd.NUMERICS_ENV
    if platform.machine() == "x86_64":
        assert provenance["cpu_capability"] == "AVX2"
    assert provenance["torch_threads"] >= 1 and provenance["cpu_model"]
