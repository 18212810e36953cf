"""The device-agreement benchmark pairs the committed H200 records with the CPU records of the same cells; the grid
projection costs a GDPD warm-up with more prior updates at the rate its warm-up-only runs measured."""

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


def test_grid_projection_costs_a_gdpd_warmup_at_the_rate_of_warmup_only_runs_with_as_many_prior_updates():
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from grid_projection import cell_seconds, seconds_per_epoch, warmup_rates

    from gdpd.presets import get_preset

    check = next(c for c in get_preset("prior-check").grid() if c.method_config.prior_updates == 128)
    arm = next(c for c in get_preset("paper-working-prior").grid() if c.dataset == check.dataset)
    released = get_preset("paper-released-teacher").config(check.dataset, 0.2, "gdpd", 1)
    runs = [(check, 3.0), (released, 1.0)]
    assert seconds_per_epoch(runs) == {(check.dataset, "gdpd"): 1.0}  # the warm-up-only run times no whole run
    warmup = warmup_rates(runs)
    assert warmup == {(check.dataset, 128): 3.0}
    assert cell_seconds(arm, 1.0, warmup) == 300 * 3.0 + 300 * 1.0  # warm-up at 3 s an epoch, the rest at 1 s
    assert cell_seconds(released, 1.0, warmup) == 600 * 1.0  # 8 updates per batch: no warm-up-only rate measured
