"""Command line: ``gdpd run | methods | presets | grid | table | early | cost | export | rerun``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import torch

from gdpd.data import DatasetError
from gdpd.experiment import (
    EARLY_DATASETS,
    EARLY_METHODS,
    PAPER_SEEDS,
    PRESETS,
    RunConfig,
    check_record,
    get_preset,
    run,
)
from gdpd.methods import METHODS
from gdpd.store import ResultStore


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", help="results folder (default: $GDPD_RESULTS or data/results)")


def _compute_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    parser.add_argument("--threads", type=int, help="torch threads per run (default: torch's choice)")


def _method_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("method options (override the preset)")
    group.add_argument("--weight", type=float, help="distillation weight lambda")
    group.add_argument("--samples", type=int, help="GDPD: hint samples J per step")
    group.add_argument("--alpha", type=float, help="GDPD: a fixed fusion weight in [0, 1] instead of the learned one")
    group.add_argument("--hinton", action=argparse.BooleanOptionalAction, default=None,
                       help="GDPD: add the released script's Hinton KD term")
    group.add_argument("--ddim-start", type=int, help="GDPD: DDIM start step (default 400)")
    group.add_argument("--ddim-steps", type=int, help="GDPD: DDIM steps (default 5)")
    group.add_argument("--conditioning", choices=["fusion", "dps"],
                       help="GDPD: noise-fusion start (default) or DPS likelihood guidance from pure noise")
    group.add_argument("--guidance-scale", type=float, help="GDPD with --conditioning dps: guidance step size")
    group.add_argument("--joint-prior", action=argparse.BooleanOptionalAction, default=None,
                       help="GDPD: keep training the prior on its denoising loss after the warm-up")
    group.add_argument("--prefix-mode", choices=["stretch", "truncate"], help="how the student sees the prefix")
    group.add_argument("--channel-fraction", type=float,
                       help="multivariate: the student sees only the first fraction of the channels (e.g. 0.5)")


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("models (override the preset)")
    group.add_argument("--architecture", help="student architecture: lstm, fcn, resnet or inception")
    group.add_argument("--hidden", type=int, help="student width (LSTM units, CNN base filters)")
    group.add_argument("--layers", type=int, help="student depth (LSTM layers, blocks, Inception modules)")
    group.add_argument("--teacher-architecture", help="teacher architecture (cross-architecture distillation)")
    group.add_argument("--teacher-hidden", type=int, help="teacher width")
    group.add_argument("--teacher-layers", type=int, help="teacher depth")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdpd", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p_run = commands.add_parser("run", help="train (or reuse from the store) one student and print its record")
    p_run.add_argument("--dataset", required=True, help="a dataset name, or a folder with <NAME>_TRAIN/_TEST.ts")
    p_run.add_argument("--earliness", type=float, required=True, help="fraction of the series seen, in (0, 1]")
    p_run.add_argument("--method", required=True, help="a name from `gdpd methods`")
    p_run.add_argument("--seed", type=int, default=1)
    p_run.add_argument("--preset", default="book", help=f"one of {', '.join(PRESETS)} (default: book)")
    p_run.add_argument("--json", action="store_true", help="print one JSON object (metrics at the top level)")
    p_run.add_argument("--recompute", action="store_true", help="train again even if the record is stored")
    p_run.add_argument("--keep-model", action="store_true",
                       help="also store the trained weights (chapters that look inside a run read them)")
    p_run.add_argument("--progress", action="store_true", help="show per-epoch progress bars")
    _method_arguments(p_run)
    _model_arguments(p_run)
    _store_argument(p_run)
    _compute_arguments(p_run)

    commands.add_parser("methods", help="list the registered distillation methods")
    commands.add_parser("presets", help="list the presets and what they run")

    p_grid = commands.add_parser("grid", help="run a preset's grid, skipping stored cells (resumable)")
    p_grid.add_argument("--preset", default="book")
    p_grid.add_argument("--datasets", nargs="+", help="restrict to these datasets")
    p_grid.add_argument("--earliness", nargs="+", type=float, help="restrict to these earliness levels")
    p_grid.add_argument("--methods", nargs="+", help="restrict to these methods")
    p_grid.add_argument("--seeds", nargs="+", type=int, help="restrict to these seeds")
    p_grid.add_argument("--workers", type=int, default=0, help="local Dask worker processes (0: run in-process)")
    p_grid.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    _store_argument(p_grid)
    _compute_arguments(p_grid)

    p_table = commands.add_parser("table", help="print a preset's aggregated results")
    p_table.add_argument("--preset", default="book")
    p_table.add_argument("--metric", default="auc_prc", help="auc_prc, accuracy, roc_auc, fidelity, kl")
    p_table.add_argument("--per-dataset", action="store_true", help="one row per dataset and earliness")
    _store_argument(p_table)

    p_early = commands.add_parser(
        "early", help="score students, banks of students and aeon's early classifiers (computing what is missing)"
    )
    p_early.add_argument("--preset", default="book", help="the preset whose students form the banks")
    p_early.add_argument("--datasets", nargs="+", default=list(EARLY_DATASETS))
    p_early.add_argument("--methods", nargs="+", default=list(EARLY_METHODS))
    p_early.add_argument("--seeds", nargs="+", type=int, default=list(PAPER_SEEDS))
    p_early.add_argument("--peers", nargs="*", default=["teaser", "probability-threshold"],
                         help="aeon early classifiers: teaser, probability-threshold (none: students only)")
    p_early.add_argument("--peer-seeds", nargs="+", type=int, help="seeds of the aeon peers (default: --seeds)")
    p_early.add_argument("--peer-estimator", choices=["tsf", "default"], default="tsf",
                         help="the peers' base classifier: a time series forest, or aeon's defaults (slow)")
    p_early.add_argument("--no-compute", action="store_true", help="only read the store; compute nothing")
    _store_argument(p_early)
    _compute_arguments(p_early)

    p_cost = commands.add_parser(
        "cost", help="measure each method's training time, peak memory and inference cost (the cost chapter)"
    )
    p_cost.add_argument("--methods", nargs="+", help="restrict to these methods (default: all)")
    p_cost.add_argument("--no-compute", action="store_true", help="only print what is stored")
    _store_argument(p_cost)

    p_export = commands.add_parser("export", help="write a preset's records in aeon.benchmarking's results layout")
    p_export.add_argument("path", help="folder to write <path>/classification/<measure>/<Estimator>_<measure>.csv")
    p_export.add_argument("--preset", default="book")
    _store_argument(p_export)

    p_rerun = commands.add_parser("rerun", help="recompute one stored record from its configuration")
    p_rerun.add_argument("key", help="the record's key (its file name in runs/<dataset>/)")
    p_rerun.add_argument("--check", action="store_true",
                         help="train again and compare with the stored metrics, replacing nothing "
                              "(exit 1 if they differ)")
    _store_argument(p_rerun)
    _compute_arguments(p_rerun)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("weight", "samples", "alpha", "hinton", "ddim_start", "ddim_steps", "conditioning", "guidance_scale",
             "joint_prior", "prefix_mode", "channel_fraction", "architecture", "hidden", "layers")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _teacher_overrides(args: argparse.Namespace) -> dict[str, Any]:
    fields = {"architecture": args.teacher_architecture, "hidden": args.teacher_hidden, "layers": args.teacher_layers}
    return {name: value for name, value in fields.items() if value is not None}


def _print_record(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"key": record["key"], **record["metrics"], "config": record["config"],
                          "training": record["training"], "provenance": record["provenance"]}))
        return
    config = record["config"]
    print(f"{config['method']} on {config['dataset']} at earliness {config['earliness']} (seed {config['seed']}), "
          f"record {record['key']}")
    for name, value in record["metrics"].items():
        print(f"  {name:>20s}  {value:.4f}")
    print(f"  {'seconds per epoch':>20s}  {record['training']['seconds_per_epoch']:.3f}")


def _cmd_run(args: argparse.Namespace) -> None:
    preset = get_preset(args.preset)
    overrides = _overrides(args)
    if _teacher_overrides(args):
        overrides["teacher"] = replace(preset.teacher, **_teacher_overrides(args))
    config = preset.config(args.dataset, args.earliness, args.method, args.seed, **overrides)
    record = run(config, ResultStore(args.results), args.device, progress=args.progress, recompute=args.recompute,
                 keep_model=args.keep_model)
    _print_record(record, args.json)


def _cmd_grid(args: argparse.Namespace) -> None:
    from gdpd.grid import run_grid

    preset = get_preset(args.preset)
    configs = [
        c for c in preset.grid()
        if (args.datasets is None or c.dataset in args.datasets)
        and (args.earliness is None or c.earliness in args.earliness)
        and (args.methods is None or c.method in args.methods)
        and (args.seeds is None or c.seed in args.seeds)
    ]
    if not configs:
        raise ValueError("the filters leave no cell of the grid; check --datasets/--earliness/--methods/--seeds")
    report = run_grid(configs, ResultStore(args.results), args.device, args.workers, args.scheduler, args.threads)
    print(f"grid {preset.name}: {report.total} cells, {report.stored} already stored, {report.computed} computed")


def _cmd_table(args: argparse.Namespace) -> None:
    from gdpd.report import cell_means, select_analysis, table1
    from gdpd.variants import variant_means

    preset = get_preset(args.preset)
    selection = select_analysis(ResultStore(args.results), preset)
    if selection.empty:
        raise LookupError(f"no complete rows of preset {args.preset!r} yet; run `gdpd grid --preset {args.preset}`")
    print(f"{selection.n_stored} of {selection.n_grid} cells stored; analysing {selection.rule}")
    if len(preset.variants) > 1:
        table = variant_means(selection.frame, args.metric)
    elif args.per_dataset:
        table = cell_means(selection.frame, args.metric)
    else:
        table = table1(selection.frame, args.metric)
    print(table.round(2).to_string())


def _cmd_early(args: argparse.Namespace) -> None:
    from gdpd.early import early_frame, early_summary

    frame = early_frame(get_preset(args.preset), args.datasets, args.methods, args.seeds, ResultStore(args.results),
                        args.peers, args.peer_seeds, compute=not args.no_compute, progress=True,
                        device=args.device, peer_estimator=args.peer_estimator)
    if frame.empty:
        raise LookupError("nothing stored for these datasets and seeds yet; run without --no-compute")
    print(early_summary(frame).round(3).to_string())


def _cmd_cost(args: argparse.Namespace) -> None:
    from gdpd.cost import chapter_configs, cost_frame

    configs = [c for c in chapter_configs() if args.methods is None or c.method in args.methods]
    if not configs:
        raise ValueError(f"no cost measurement for methods {args.methods}; `gdpd methods` lists them")
    frame = cost_frame(configs, ResultStore(args.results), compute=not args.no_compute, progress=True)
    if frame.empty:
        raise LookupError("no cost measurement stored yet; run `gdpd cost` without --no-compute")
    columns = ["method", "cases", "batch_size", "hidden", "samples", "s_per_step", "distillation_s_per_epoch",
               "peak_rss_mb", "inference_s_per_100"]
    print(frame[columns].round(4).to_string(index=False))


def _cmd_export(args: argparse.Namespace) -> None:
    from gdpd.export import export_aeon
    from gdpd.results import preset_frame

    written = export_aeon(preset_frame(ResultStore(args.results), get_preset(args.preset)), args.path)
    print(f"wrote {len(written)} files under {args.path}/classification")


def _cmd_rerun(args: argparse.Namespace) -> int:
    store = ResultStore(args.results)
    matches = list(store.root.glob(f"runs/*/{args.key}.json"))
    record = store.read_record(matches[0]) if matches else None
    if record is None:
        raise ValueError(f"no valid record {args.key!r} under {store.root / 'runs'}")
    if args.check:
        comparison = check_record(record, store, args.device)
        print(comparison.to_string())
        same = bool(comparison["identical"].all())
        print(f"{args.key}: {'reproduced exactly' if same else 'differs from the stored record'}")
        return 0 if same else 1
    _print_record(run(RunConfig.from_dict(record["config"]), store, args.device, recompute=True), as_json=False)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    status = 0
    try:
        if args.command == "methods":
            print("\n".join(METHODS))
        elif args.command == "presets":
            for preset in PRESETS.values():
                print(f"{preset.name}: {preset.description} ({len(preset.grid())} cells)")
        else:
            commands = {"run": _cmd_run, "grid": _cmd_grid, "table": _cmd_table, "early": _cmd_early,
                        "cost": _cmd_cost, "export": _cmd_export, "rerun": _cmd_rerun}
            status = commands[args.command](args)
    except (DatasetError, ValueError, LookupError) as error:
        print(f"gdpd: error: {error}", file=sys.stderr)
        return 2
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
