"""Seconds per training epoch and peak memory of each method, by dataset size; prints GDPD over Base-KD.

Each (method, size) is measured in a fresh process so its peak resident memory is its own. Synthetic series of the
book's shape (one channel, 100 steps, LSTM3-100) isolate the cost from the data.

    python benchmarks/epoch_cost.py --sizes 40 160 --epochs 5 --methods base kd fitnets gdpd
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from gdpd.methods import METHODS, MethodConfig, Stage, build_distiller
from gdpd.models import LSTMClassifier, predict_outputs
from gdpd.train import Split, batch_indices


def measure(method: str, size: int, epochs: int, length: int, threads: int) -> dict[str, float]:
    """Train ``epochs`` epochs after warm-up (the distillation stage, the costly one for GDPD) and time them."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = torch.randn(size, 1, length), torch.randint(0, 2, (size,))
    teacher = LSTMClassifier(1, 2).eval()
    train = Split(x, y, predict_outputs(teacher, x))
    distiller = build_distiller(method, LSTMClassifier(1, 2), teacher.feature_dim, MethodConfig())
    optimizer = torch.optim.Adam(distiller.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    stage = Stage(epoch=1, warmup=False)
    start = time.perf_counter()
    for _ in range(epochs):
        for index in batch_indices(size, 64, generator):
            loss = torch.stack(list(distiller(train.batch(index), stage).values())).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = (time.perf_counter() - start) / epochs
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"method": method, "size": size, "seconds_per_epoch": seconds, "peak_rss_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["base", "kd", "fitnets", "gdpd"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[40, 160])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.epochs, args.length, args.threads)))
        return
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    rows = []
    for size in args.sizes:
        for method in args.methods:
            command = [sys.executable, __file__, "--one", method, str(size), "--epochs", str(args.epochs),
                       "--length", str(args.length), "--threads", str(args.threads)]
            rows.append(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
    print(f"{'method':>10} {'size':>6} {'s/epoch':>9} {'peak MB':>8}")
    for row in rows:
        print(f"{row['method']:>10} {row['size']:>6} {row['seconds_per_epoch']:>9.3f} {row['peak_rss_mb']:>8.0f}")
    for size in args.sizes:
        cost = {r["method"]: r["seconds_per_epoch"] for r in rows if r["size"] == size}
        if "gdpd" in cost and "kd" in cost:
            print(f"size {size}: GDPD / Base-KD seconds per epoch = {cost['gdpd'] / cost['kd']:.2f}")


if __name__ == "__main__":
    main()
