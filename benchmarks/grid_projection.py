"""Core-hours a preset's missing cells would take on the machine that computed the store, projected from its records,
and the core-hours its stored cells took (their summed training seconds; a cell shared by two presets counts in both).

A cell's cost is its epochs times a seconds-per-epoch estimate: the median over stored protocol-2 runs of the same
dataset and method, else the dataset's median Base run scaled by the method's median ratio to Base on the datasets
where both are stored, else the dataset's Base alone (the method's overhead then unknown, ``~`` in the output). The
stored seconds were measured with as many workers as the grids ran (two single-threaded workers on this CPU), so the
projection is in core-hours of such a worker. Early stopping, if a preset has it, makes the projection an upper bound.
A GDPD cell with more prior updates per warm-up batch than its method's stored runs (``GDPDSettings.prior_updates``)
costs its warm-up epochs at the rate of stored warm-up-only runs (preset ``prior-check``) with as many updates on the
same dataset, and its other epochs at the method's rate.

    python benchmarks/grid_projection.py zoo ablation-alpha --results data/results
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from statistics import median

from gdpd.config import PROTOCOL_VERSION, RunConfig
from gdpd.methods import config_from_dict
from gdpd.presets import get_preset
from gdpd.store import ResultStore


def current_runs(store: ResultStore) -> list[tuple[RunConfig, float]]:
    """Each stored current-protocol run's configuration and measured seconds per epoch."""
    return [(config_from_dict(record["config"]), record["training"]["seconds_per_epoch"])
            for record in store.records() if record["config"].get("protocol") == PROTOCOL_VERSION]


def warmup_only(config: RunConfig) -> bool:
    """A GDPD run that stops one epoch after its warm-up (the preset ``prior-check``): it times the warm-up alone."""
    return config.method == "gdpd" and config.train.epochs == config.train.warmup_epochs + 1


def seconds_per_epoch(runs: list[tuple[RunConfig, float]]) -> dict[tuple[str, str], float]:
    """Median seconds per epoch of whole runs, per (dataset, method)."""
    seen: dict[tuple[str, str], list[float]] = defaultdict(list)
    for config, rate in runs:
        if not warmup_only(config):
            seen[config.dataset, config.method].append(rate)
    return {cell: median(values) for cell, values in seen.items()}


def warmup_rates(runs: list[tuple[RunConfig, float]]) -> dict[tuple[str, int], float]:
    """Median seconds per epoch of the warm-up-only GDPD runs, per (dataset, prior updates per batch)."""
    seen: dict[tuple[str, int], list[float]] = defaultdict(list)
    for config, rate in runs:
        if warmup_only(config):
            seen[config.dataset, config.method_config.prior_updates].append(rate)
    return {cell: median(values) for cell, values in seen.items()}


def cell_seconds(config: RunConfig, rate: float, warmup: dict[tuple[str, int], float]) -> float:
    """A cell's projected seconds: its epochs at ``rate``, but a GDPD warm-up with a measured warm-up rate for its
    prior updates (:func:`warmup_rates`) at that rate."""
    updates = getattr(config.method_config, "prior_updates", None)
    measured = warmup.get((config.dataset, updates)) if config.method == "gdpd" else None
    if measured is None or warmup_only(config):
        return rate * config.train.epochs
    return measured * config.train.warmup_epochs + rate * (config.train.epochs - config.train.warmup_epochs)


def method_ratios(rates: dict[tuple[str, str], float]) -> dict[str, float]:
    """Per method, the median over datasets of its seconds per epoch over Base's on the same dataset."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for (dataset, method), rate in rates.items():
        if (dataset, "base") in rates:
            ratios[method].append(rate / rates[dataset, "base"])
    return {method: median(values) for method, values in ratios.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("presets", nargs="+")
    parser.add_argument("--results", default="data/results")
    args = parser.parse_args()
    store = ResultStore(args.results)
    runs = current_runs(store)
    rates, warmup = seconds_per_epoch(runs), warmup_rates(runs)
    ratios = method_ratios(rates)
    for name in args.presets:
        preset = get_preset(name)
        grid = preset.grid()
        records = [(config, store.get(config.dataset, config.key())) for config in grid]  # each file read once
        missing = [config for config, record in records if record is None]
        stored = [record for _, record in records if record is not None]
        spent = sum(record["training"]["train_seconds"] for record in stored) / 3600
        hours: dict[str, float] = defaultdict(float)
        unknown = set()
        for config in missing:
            rate = rates.get((config.dataset, config.method))
            if rate is None:
                base = rates.get((config.dataset, "base"))
                if base is None:
                    unknown.add(f"{config.dataset} (no Base run)")
                    continue
                rate = base * ratios.get(config.method, 1.0)
                if config.method not in ratios:
                    unknown.add(f"~{config.method}")
            hours[config.dataset] += cell_seconds(config, rate, warmup) / 3600
        per_dataset = ", ".join(f"{d} {h:.1f}" for d, h in sorted(hours.items(), key=lambda item: -item[1]))
        print(f"{name}: {len(stored)} cells stored, {spent:.1f} core-hours spent; "
              f"{len(missing)} of {len(grid)} cells missing, {sum(hours.values()):.1f} core-hours "
              f"({per_dataset})" + (f"; not projected: {', '.join(sorted(unknown))}" if unknown else ""))


if __name__ == "__main__":
    main()
