"""Do two stores that ran the same cells on different devices agree? Paired differences per method.

Pairs the records of the two stores by key (the same configuration), and prints per method the
mean difference ``other - reference`` x100 of a metric, its standard deviation, the wins and the two-sided Wilcoxon
signed-rank p-value (``gdpd.variants.paired_differences``), then the same pooled over methods, and the devices the
records name. ``benchmarks/stores/book_h200`` holds book-grid cells recomputed on an H200 and
``benchmarks/stores/book_cpu`` the CPU records of the same cells, both of protocol version 1 (the book's store holds
version 2 only; the pairs compare devices, not protocols):

    python benchmarks/device_agreement.py benchmarks/stores/book_h200 --reference benchmarks/stores/book_cpu
"""

from __future__ import annotations

import argparse

import pandas as pd

from gdpd.results import records_frame
from gdpd.store import ResultStore
from gdpd.variants import paired_differences


def paired_frame(reference: ResultStore, other: ResultStore) -> pd.DataFrame:
    """The records of ``other`` and those of ``reference`` with the same keys, labelled by ``store``."""
    theirs = records_frame(other)
    if theirs.empty:
        raise SystemExit(f"{other.root} holds no records")
    ours = records_frame(reference)
    ours = ours[ours["key"].isin(theirs["key"])]
    if ours.empty:
        raise SystemExit(f"no record of {other.root} has a counterpart in {reference.root}")
    theirs = theirs[theirs["key"].isin(ours["key"])]
    return pd.concat([ours.assign(store="reference"), theirs.assign(store="other")], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", help="the store whose records are compared")
    parser.add_argument("--reference", default="data/results", help="the store they are compared against")
    parser.add_argument("--metric", default="auc_prc")
    args = parser.parse_args()
    frame = paired_frame(ResultStore(args.reference), ResultStore(args.other))
    for label, part in frame.groupby("store"):
        print(f"{label}: {len(part)} records; devices {part['device'].value_counts().to_dict()}")
    # a pair is one configuration, i.e. one key, in both stores
    per_method = paired_differences(frame, args.metric, "store", "reference", within=("method",), match=("key",))
    pooled = paired_differences(frame, args.metric, "store", "reference", match=("key",))
    pd.set_option("display.width", 160)
    print(f"\n{args.metric} x100, other - reference, per method:")
    print(per_method.round(3).to_string(index=False))
    print("\npooled over methods:")
    print(pooled.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
