"""The device-agreement benchmark pairs the committed H200 records with the CPU records of the same cells."""

import subprocess
import sys

import pytest

from gdpd.provenance import REPO_ROOT


@pytest.mark.slow
def test_device_agreement_pairs_the_committed_gpu_records_with_the_cpu_ones():
    done = subprocess.run(
        [sys.executable, "benchmarks/device_agreement.py", "benchmarks/stores/book_h200", "--reference",
         "benchmarks/stores/book_cpu"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    assert "other: 163 records; devices {'cuda:NVIDIA H200': 163}" in done.stdout
    assert "reference: 163 records; devices {'cpu:x86_64': 163}" in done.stdout
    pooled = done.stdout.split("pooled over methods:")[1].split()
    assert "163" in pooled


@pytest.mark.slow
def test_device_agreement_refuses_a_store_without_counterparts(tmp_path):
    done = subprocess.run(
        [sys.executable, "benchmarks/device_agreement.py", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode != 0 and "holds no records" in done.stderr
