"""Runs per hour of a small grid: the plain one-run-at-a-time loop against Dask with 1 and 2 workers.

Each mode writes to its own empty store, so every mode computes the same cells (teachers included); the script
checks that the metrics agree and prints the ratios it claims.

    python benchmarks/grid_throughput.py --datasets GunPoint --seeds 1 24 --preset smoke
"""

from __future__ import annotations

import argparse
import tempfile
import time

from gdpd.grid import run_grid
from gdpd.presets import get_preset
from gdpd.store import ResultStore


def timed(configs, root, **kwargs) -> tuple[float, dict[str, dict[str, float]]]:
    store = ResultStore(root)
    start = time.perf_counter()
    run_grid(configs, store, progress=False, **kwargs)
    return time.perf_counter() - start, {r["key"]: r["metrics"] for r in store.records()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="smoke")
    parser.add_argument("--datasets", nargs="+", default=["GunPoint"])
    parser.add_argument("--earliness", nargs="+", type=float, default=[0.4])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 24])
    args = parser.parse_args()
    preset = get_preset(args.preset)
    configs = [c for c in preset.grid()
               if c.dataset in args.datasets and c.earliness in args.earliness and c.seed in args.seeds]
    if not configs:
        parser.error("no cell of the preset matches the filters")
    modes = {"plain loop": {}, "dask, 1 worker": {"workers": 1}, "dask, 2 workers": {"workers": 2}}
    seconds, metrics = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for i, (name, kwargs) in enumerate(modes.items()):
            seconds[name], metrics[name] = timed(configs, f"{scratch}/{i}", **kwargs)
    print(f"{len(configs)} cells of preset {preset.name!r}")
    for name, value in seconds.items():
        print(f"{name:>16}: {value:8.1f} s, {3600 * len(configs) / value:8.1f} runs per hour")
    print(f"speed-up over the plain loop: 2 workers {seconds['plain loop'] / seconds['dask, 2 workers']:.2f}x; "
          f"1 -> 2 workers {seconds['dask, 1 worker'] / seconds['dask, 2 workers']:.2f}x")
    same = all(metrics[name] == metrics["dask, 1 worker"] for name in ("dask, 2 workers",))
    print(f"metrics identical across Dask worker counts: {same}")


if __name__ == "__main__":
    main()
