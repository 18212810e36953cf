"""Command line: ``gdpd run | methods | presets | grid | table | early | cost | export | rerun``.

Each command imports what it needs when it runs: torch alone takes about two seconds to import, and ``gdpd --help``
should not wait for it. The flags of the methods' settings are generated from the registered methods'
``Settings`` dataclasses, so a new method's settings are flags without a line here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gdpd.flags import RUN_FLAGS, TEACHER_OPTIONS, run_arguments, setting_arguments

if TYPE_CHECKING:
    import pandas as pd

    from gdpd.results import Selection

METRICS = ("auc_prc", "accuracy", "roc_auc", "fidelity", "kl")


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", help="results folder (default: $GDPD_RESULTS, else data/user-results, which "
                        "reads through to data/results; name data/results to write the book's store)")


def _compute_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    parser.add_argument("--threads", type=int, help="torch threads per run (default: torch's choice)")


def build_parser(settings: bool = True) -> argparse.ArgumentParser:
    """The whole command line; ``settings=False`` leaves out the flags of the methods' settings, which need the
    method registry and so torch (``main`` adds them only for ``gdpd run``)."""
    parser = argparse.ArgumentParser(prog="gdpd", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p_run = commands.add_parser("run", help="train (or reuse from the store) one student and print its record")
    p_run.add_argument("--dataset", required=True, help="a dataset name, or a folder with <NAME>_TRAIN/_TEST.ts")
    p_run.add_argument("--earliness", type=float, required=True, help="fraction of the series seen, in (0, 1]")
    p_run.add_argument("--method", required=True, help="a name from `gdpd methods`")
    p_run.add_argument("--seed", type=int, default=1)
    p_run.add_argument("--preset", default="book", help="a name from `gdpd presets` (default: book)")
    p_run.add_argument("--json", action="store_true", help="print one JSON object (metrics at the top level)")
    p_run.add_argument("--recompute", action="store_true", help="train again even if the record is stored")
    p_run.add_argument("--keep-model", action="store_true",
                       help="also store the trained weights (chapters that look inside a run read them)")
    p_run.add_argument("--progress", action="store_true", help="show per-epoch progress bars")
    if settings:
        setting_arguments(p_run)
    run_arguments(p_run)
    _store_argument(p_run)
    _compute_arguments(p_run)

    commands.add_parser("methods", help="list the registered distillation methods with their citations and settings")
    commands.add_parser("presets", help="list the presets and what they run")

    p_grid = commands.add_parser("grid", help="run a preset's grid, skipping stored cells (resumable)")
    p_grid.add_argument("--preset", default="book")
    p_grid.add_argument("--datasets", nargs="+", help="restrict to these datasets")
    p_grid.add_argument("--earliness", nargs="+", type=float, help="restrict to these earliness levels")
    p_grid.add_argument("--methods", nargs="+", help="restrict to these methods")
    p_grid.add_argument("--seeds", nargs="+", type=int, help="restrict to these seeds")
    p_grid.add_argument("--workers", type=int, default=0, help="local Dask worker processes (0: run in-process)")
    p_grid.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    p_grid.add_argument("--teachers-only", action="store_true", help="train only the teachers the cells need")
    _store_argument(p_grid)
    _compute_arguments(p_grid)

    p_table = commands.add_parser("table", help="print a preset's aggregated results")
    p_table.add_argument("--preset", default="book")
    p_table.add_argument("--metric", default="auc_prc", choices=METRICS, help="the score (default: auc_prc)")
    p_table.add_argument("--per-dataset", action="store_true", help="one row per dataset and earliness")
    _store_argument(p_table)

    p_early = commands.add_parser(
        "early", help="score students, banks of students and aeon's early classifiers (computing what is missing)"
    )
    p_early.add_argument("--preset", default="paper", help="the preset whose students form the banks")
    p_early.add_argument("--datasets", nargs="+", help="default: the preset's datasets")
    p_early.add_argument("--methods", nargs="+", help="default: the preset's methods")
    p_early.add_argument("--seeds", nargs="+", type=int, help="default: the paper's five seeds")
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

    p_export = commands.add_parser(
        "export", help="write the runs a preset's tables analyse in aeon.benchmarking's results layout"
    )
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
    names = (*args.setting_names, *RUN_FLAGS)
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


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


def _report(line: str) -> None:
    """Long commands say what they do on standard error, so that ``--json`` output stays one object."""
    print(line, file=sys.stderr, flush=True)


def _cmd_run(args: argparse.Namespace) -> None:
    from gdpd.experiment import run
    from gdpd.presets import get_preset
    from gdpd.store import ResultStore

    preset = get_preset(args.preset)
    overrides = _overrides(args)
    teacher = {field: getattr(args, option) for option, field in TEACHER_OPTIONS.items()
               if getattr(args, option) is not None}
    if teacher:
        overrides["teacher"] = replace(preset.teacher, **teacher)
    config = preset.config(args.dataset, args.earliness, args.method, args.seed, **overrides)
    store = ResultStore(args.results).ensure_writable()
    record = run(config, store, args.device, progress=args.progress, recompute=args.recompute,
                 keep_model=args.keep_model, report=_report)
    _print_record(record, args.json)
    print(f"records in {store}", file=sys.stderr)


def _cmd_methods(args: argparse.Namespace) -> None:
    from gdpd.methods import METHODS

    for name, cls in METHODS.items():
        print(f"{name:<10} {cls.label:<10} {cls.description}")
        print(f"{'':<21} {cls.citation}")
        print(f"{'':<21} settings: {', '.join(cls.Settings.names()) or 'none'}")


def _cmd_presets(args: argparse.Namespace) -> None:
    from gdpd.presets import PRESETS

    for preset in PRESETS.values():
        print(f"{preset.name}: {preset.description} ({len(preset.grid())} cells)")


def _cmd_grid(args: argparse.Namespace) -> None:
    from gdpd.grid import run_grid
    from gdpd.interrupt import install
    from gdpd.presets import get_preset
    from gdpd.store import ResultStore

    preset = get_preset(args.preset)
    wanted = {"dataset": args.datasets, "earliness": args.earliness, "method": args.methods, "seed": args.seeds}
    configs = [c for c in preset.grid() if all(v is None or getattr(c, k) in v for k, v in wanted.items())]
    if not configs:
        raise ValueError("the filters leave no cell of the grid; check --datasets/--earliness/--methods/--seeds")
    store = ResultStore(args.results).ensure_writable()
    install()
    report = run_grid(configs, store, args.device, args.workers, args.scheduler, args.threads,
                      teachers_only=args.teachers_only)
    unit = "teachers" if args.teachers_only else "cells"
    print(f"grid {preset.name}: {report.total} {unit}, {report.stored} already stored, {report.computed} computed")


def _analysed(args: argparse.Namespace) -> tuple[Selection, pd.DataFrame]:
    """The runs ``gdpd table`` and ``gdpd export`` read (:func:`gdpd.results.select_analysis`) and the protocol they
    were computed under (:func:`gdpd.results.protocol_table`), after printing the preset, that protocol and the
    coverage."""
    from gdpd.presets import get_preset
    from gdpd.results import protocol_table, select_analysis
    from gdpd.store import ResultStore

    preset = get_preset(args.preset)
    selection = select_analysis(ResultStore(args.results), preset)
    if selection.empty:
        raise LookupError(f"no complete rows of preset {args.preset!r} yet; run `gdpd grid --preset {args.preset}`")
    protocol = protocol_table(preset, selection)
    print(f"preset {preset.name}: {preset.description}")
    for row in protocol.itertuples():
        print(("" if len(protocol) == 1 else f"{row.variant}: ") + f"records of protocol version {row.protocol}; "
              f"teacher seed chosen by {row.teacher_choice}, {row.teacher_lr_schedule} learning-rate schedule "
              f"({row.runs} runs)")
    print(f"{selection.n_stored} of {selection.n_grid} cells stored; analysing {selection.rule}")
    return selection, protocol


def _cmd_table(args: argparse.Namespace) -> None:
    from gdpd.report import cell_means, labelled, table1
    from gdpd.results import method_label
    from gdpd.variants import variant_means

    selection, protocol = _analysed(args)
    if len(protocol) > 1:
        print(f"{args.metric} x100: per setting and earliness, the mean over datasets of the seed means")
        print(labelled(variant_means(selection.frame, args.metric)).round(2).to_string())
    elif args.per_dataset:
        print(f"{args.metric} x100: the seed mean per dataset and earliness")
        print(labelled(cell_means(selection.frame, args.metric)).round(2).to_string())
    else:
        print(f"{args.metric} x100: per earliness, the mean over datasets of the seed means, the average rank "
              "(1 is best) and the number of datasets where the method is best")
        table = table1(selection.frame, args.metric)
        table["method"] = table["method"].map(method_label)
        print(table.round(2).to_string(index=False))


def _cmd_early(args: argparse.Namespace) -> None:
    from gdpd.config import PAPER_SEEDS
    from gdpd.early import early_frame, early_summary
    from gdpd.presets import get_preset
    from gdpd.store import ResultStore

    preset = get_preset(args.preset)
    frame = early_frame(preset, args.datasets or list(preset.datasets),
                        args.methods or list(preset.methods), args.seeds or list(PAPER_SEEDS),
                        ResultStore(args.results), args.peers, args.peer_seeds, compute=not args.no_compute,
                        progress=False, device=args.device, peer_estimator=args.peer_estimator, report=_report)
    if frame.empty:
        raise LookupError("nothing stored for these datasets and seeds yet; run without --no-compute")
    print(early_summary(frame).round(3).to_string())


def _cmd_cost(args: argparse.Namespace) -> None:
    from gdpd.cost import chapter_configs, cost_frame
    from gdpd.store import ResultStore

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
    from gdpd.export import export_aeon, export_protocol

    selection, protocol = _analysed(args)
    written = export_aeon(selection.frame, args.path)
    print(f"wrote {len(written)} files under {args.path}/classification ({len(selection.frame)} runs: "
          f"{selection.rule}) and their protocol to {export_protocol(protocol, args.path)}")


def _cmd_rerun(args: argparse.Namespace) -> int:
    from gdpd.experiment import check_record, run
    from gdpd.methods import config_from_dict
    from gdpd.store import ResultStore

    store = ResultStore(args.results)
    record = store.find(args.key)
    if record is None:
        raise ValueError(f"no valid record {args.key!r} in {store}")
    if args.check:
        comparison = check_record(record, store, args.device)
        print(comparison.to_string())
        same = bool(comparison["identical"].all())
        print(f"{args.key}: {'reproduced exactly' if same else 'differs from the stored record'}")
        return 0 if same else 1
    _print_record(run(config_from_dict(record["config"]), store.ensure_writable(), args.device, recompute=True),
                  as_json=False)
    print(f"records in {store}", file=sys.stderr)
    return 0


COMMANDS = {"run": _cmd_run, "methods": _cmd_methods, "presets": _cmd_presets, "grid": _cmd_grid,
            "table": _cmd_table, "early": _cmd_early, "cost": _cmd_cost, "export": _cmd_export, "rerun": _cmd_rerun}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(settings=argv[:1] == ["run"]).parse_args(argv)
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    try:
        status = COMMANDS[args.command](args)
    except (ValueError, LookupError) as error:  # DatasetError is a ValueError
        print(f"gdpd: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        from gdpd.interrupt import quiet

        quiet()
        print("gdpd: interrupted; every finished record and teacher seed is kept, nothing is half-written "
              "(records are written whole), and the same command resumes", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
