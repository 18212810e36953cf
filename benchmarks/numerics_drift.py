"""How far does a stored record move when it is retrained on another numerical code path?

`gdpd` pins MKL, ATen and oneDNN to their AVX2 code paths (see `gdpd/__init__.py`), so that a record computed on one
x86-64 CPU is recomputed bit for bit on another. This script shows what the pin buys: it retrains stored records in
fresh processes, once with the pins as they are (the reproduction, which must be exact) and once with each
alternative code path given (what an unpinned run on another CPU would do), and prints per record and code path the
best epoch and the test AUC-PRC x100 against the stored ones. Nothing in the store changes.

    python benchmarks/numerics_drift.py --preset paper --datasets ItalyPowerDemand Coffee --count 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pandas as pd

CODE_PATHS = {
    "pinned (AVX2)": {},
    "MKL and ATen unpinned (AVX-512 here)": {"MKL_CBWR": "AUTO", "ATEN_CPU_CAPABILITY": "avx512",
                                             "ONEDNN_MAX_CPU_ISA": "ALL"},
    "generic (SSE4.2 class)": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default",
                               "ONEDNN_MAX_CPU_ISA": "SSE41"},
}


def retrain(key: str, root: str) -> dict:
    """In this process: retrain the stored record ``key`` with its recorded thread count; its facts as JSON."""
    from gdpd.experiment import check_record
    from gdpd.store import ResultStore

    store = ResultStore(root)
    (path,) = store.root.glob(f"runs/*/{key}.json")
    table = check_record(store.read_record(path), store)
    return {"stored": table["stored"].to_dict(), "recomputed": table["recomputed"].to_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--count", type=int, default=4, help="records to retrain, the first stored in grid order")
    parser.add_argument("--results", default="data/results")
    parser.add_argument("--retrain", help=argparse.SUPPRESS)  # the child process's entry point
    args = parser.parse_args()
    if args.retrain:
        print(json.dumps(retrain(args.retrain, args.results)))
        return
    from gdpd.presets import get_preset
    from gdpd.store import ResultStore

    store = ResultStore(args.results)
    keys = [c.key() for c in get_preset(args.preset).grid()
            if c.dataset in args.datasets and store.get(c.dataset, c.key()) is not None][: args.count]
    rows = []
    for key in keys:
        for name, env in CODE_PATHS.items():
            out = subprocess.run([sys.executable, __file__, "--retrain", key, "--results", args.results,
                                  "--datasets", *args.datasets], env={**os.environ, **env}, check=True,
                                 capture_output=True, text=True).stdout
            facts = json.loads(out.splitlines()[-1])
            stored, fresh = facts["stored"], facts["recomputed"]
            rows.append({"key": key, "code path": name, "identical": stored == fresh,
                         "best epoch (stored)": stored["best_epoch"], "best epoch": fresh["best_epoch"],
                         "AUC-PRC x100 difference": 100 * (fresh["auc_prc"] - stored["auc_prc"])})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 160)
    print(table.round(3).to_string(index=False))
    print("\nper code path: records identical, mean |AUC-PRC difference| x100")
    print(table.groupby("code path", sort=False).agg(
        identical=("identical", "sum"), records=("identical", "size"),
        mean_abs_difference=("AUC-PRC x100 difference", lambda d: d.abs().mean())).round(3).to_string())


if __name__ == "__main__":
    main()
