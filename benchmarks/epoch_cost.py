"""Seconds per training epoch and peak memory of each method, by dataset size; prints GDPD over Base-KD.

Each (method, size) is measured in a fresh process so its peak resident memory is its own. Synthetic series of the
book's shape (one channel, 100 steps, LSTM3-100) isolate the cost from the data; half the epochs are warm-up and half
distillation, and each stage is timed. ``--dataset NAME`` instead times the whole trainer (validation and per-epoch
diagnostics included) on a real dataset at earliness 0.4 with the book preset's models.

    python benchmarks/epoch_cost.py --sizes 40 160 --epochs 6 --methods base kd fitnets gdpd
    python benchmarks/epoch_cost.py --dataset GunPoint --epochs 20
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys

import torch

from gdpd import cost
from gdpd.methods import METHODS


def measure(method: str, size: int, epochs: int, length: int, threads: int) -> dict[str, float]:
    """``gdpd.cost.measure``: ``epochs // 2`` warm-up epochs, then as many distillation epochs, each stage timed."""
    costs = cost.measure(cost.CostConfig(method, cases=size, length=length, epochs=epochs, threads=threads))
    stages = {"warmup_seconds": costs["warmup_s_per_epoch"], "distillation_seconds": costs["distillation_s_per_epoch"]}
    return {"method": method, "size": size, "seconds_per_epoch": sum(stages.values()) / 2, **stages,
            "peak_rss_mb": costs["peak_rss_mb"]}


def measure_fit(method: str, dataset: str, epochs: int, threads: int) -> dict[str, float]:
    """Seconds per epoch of the whole trainer on ``dataset`` (teacher from the store's cache or trained first)."""
    from dataclasses import replace

    from gdpd.experiment import train_run
    from gdpd.presets import get_preset
    from gdpd.store import ResultStore
    from gdpd.train import TrainConfig

    torch.set_num_threads(threads)
    config = get_preset("book").config(dataset, 0.4, method, 1)
    config = replace(config, train=TrainConfig(epochs=epochs, warmup_epochs=epochs // 2, lr_schedule="constant"))
    trained = train_run(config, ResultStore())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"method": method, "size": len(trained.data.labels["train"]),
            "seconds_per_epoch": trained.result.seconds_per_epoch, "peak_rss_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["base", "kd", "fitnets", "gdpd"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[40, 160])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dataset", help="time the whole trainer on this dataset instead of synthetic series")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        method, size = args.one
        row = (measure_fit(method, args.dataset, args.epochs, args.threads) if args.dataset
               else measure(method, int(size), args.epochs, args.length, args.threads))
        print(json.dumps(row))
        return
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    rows = []
    for size in [0] if args.dataset else args.sizes:
        for method in args.methods:
            command = [sys.executable, __file__, "--one", method, str(size), "--epochs", str(args.epochs),
                       "--length", str(args.length), "--threads", str(args.threads)]
            if args.dataset:
                command += ["--dataset", args.dataset]
            rows.append(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
    print(f"{'method':>10} {'size':>6} {'s/epoch':>9} {'warm-up':>9} {'distill':>9} {'peak MB':>8}")
    for row in rows:
        stages = "".join(f" {row.get(f'{s}_seconds', float('nan')):>9.3f}" for s in ("warmup", "distillation"))
        print(f"{row['method']:>10} {row['size']:>6} {row['seconds_per_epoch']:>9.3f}{stages}"
              f" {row['peak_rss_mb']:>8.0f}")
    for size in sorted({r["size"] for r in rows}):
        cost = {r["method"]: r["seconds_per_epoch"] for r in rows if r["size"] == size}
        if "gdpd" in cost and "kd" in cost:
            print(f"size {size}: GDPD / Base-KD seconds per epoch = {cost['gdpd'] / cost['kd']:.2f}")


if __name__ == "__main__":
    main()
