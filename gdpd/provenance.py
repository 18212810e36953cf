"""Where a result came from: package and library versions, git commit, device and host facts."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

import gdpd

REPO_ROOT = Path(__file__).resolve().parents[1]


COMMIT_ENV = "GDPD_COMMIT"
"""Names the commit where the code runs without its git repository (a copied tree or an installed wheel)."""


def git_commit() -> str:
    """The checked-out commit of the repository holding the package, with ``+dirty`` for local changes.

    Without a git repository the commit is ``$GDPD_COMMIT`` when set (whoever copied the tree names its commit),
    else ``"unknown"``.
    """
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "gdpd"],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return os.environ.get(COMMIT_ENV, "unknown")
    return commit + ("+dirty" if dirty else "")


COMMIT_AT_IMPORT = git_commit()
"""The commit of the code this process loaded; later commits do not change what it runs."""


def device_name(device: torch.device) -> str:
    """A readable name of the device that ran a computation."""
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"cpu:{platform.machine()}"


def cpu_model() -> str:
    """The processor's model name (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance(device: torch.device) -> dict[str, Any]:
    """Facts stored with every record so a number can be traced back to code and machine.

    Besides versions and the device: the thread count, the CPU model, ATen's instruction set and the numerical
    library pins of :mod:`gdpd` as this process ran them; a bit-for-bit rerun needs the same thread count and pins.
    """
    return {
        "gdpd_version": gdpd.__version__,
        "git_commit": COMMIT_AT_IMPORT,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": device_name(device),
        "torch_threads": torch.get_num_threads(),
        "cpu_model": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "numerics": {name: os.environ.get(name, "") for name in gdpd.NUMERICS_ENV},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@contextmanager
def recorded_threads(record: Mapping[str, Any] | None) -> Iterator[None]:
    """Run the block with the torch thread count ``record`` was computed with, then restore the current one.

    CPU kernels sum in a thread-count-dependent order, so a run retrained with another count can drift from the
    stored one; the same seed and code give the same numbers only at the same count. Records without the fact leave
    the count as it is.
    """
    before = torch.get_num_threads()
    threads = None if record is None else record.get("provenance", {}).get("torch_threads")
    if threads:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)
