"""Start-up time of the command line: ``gdpd --help`` and ``gdpd methods`` against the imports they cannot avoid.

Each command runs in a fresh interpreter ``--repeats`` times; the script prints the median and the fastest wall time
of each, then the claims: ``gdpd --help`` within 2 s, and ``gdpd methods`` over a bare ``import torch`` (the method
classes are torch modules, so listing them costs the torch import and little else).

    python benchmarks/cli_startup.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python (nothing imported)": ["-c", "pass"],
    "import torch": ["-c", "import torch"],
    "gdpd --help": ["-m", "gdpd.cli", "--help"],
    "gdpd methods": ["-m", "gdpd.cli", "methods"],
    "gdpd run --help": ["-m", "gdpd.cli", "run", "--help"],
}
LIMIT_S = 2.0


def wall_seconds(arguments: list[str]) -> float:
    """Wall time of one fresh interpreter running ``arguments`` from the repository root."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per command (default: 5)")
    repeats = parser.parse_args().repeats
    times = {name: [wall_seconds(arguments) for _ in range(repeats)] for name, arguments in COMMANDS.items()}
    print(f"{'command':<28}{'median s':>10}{'min s':>10}")
    for name, seconds in times.items():
        print(f"{name:<28}{statistics.median(seconds):>10.2f}{min(seconds):>10.2f}")
    median = {name: statistics.median(seconds) for name, seconds in times.items()}
    verdict = "within" if median["gdpd --help"] < LIMIT_S else "over"
    print(f"gdpd --help: {median['gdpd --help']:.2f} s, {verdict} {LIMIT_S:g} s")
    print(f"gdpd methods / import torch: {median['gdpd methods'] / median['import torch']:.2f}")


if __name__ == "__main__":
    main()
