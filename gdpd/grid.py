"""Run many cells: in-process, on a Dask ``LocalCluster``, or on a running Dask scheduler.

Each (dataset, earliness, method, weight, seed) cell is one task. Teachers are trained first, once per dataset, so
that the students that share one never race to train it. Cells already in the store are skipped, so a grid that was
stopped (even by ``kill -9``) resumes where it stopped; records are written atomically by the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from tqdm.auto import tqdm

from gdpd.config import RunConfig
from gdpd.experiment import resolve_device, run
from gdpd.results import missing_cells
from gdpd.store import ResultStore
from gdpd.teacher_training import get_teacher

LOCAL_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    # Without scheduler-side queuing every task reaches a worker at once, and workers run them by priority.
    "distributed.scheduler.worker-saturation": "inf",
}


@dataclass
class GridReport:
    """What a grid call did: cells (or, for a teachers-only call, teachers) asked for, already stored, and computed
    now."""

    total: int
    stored: int
    computed: int


def run_cell(config: RunConfig, root: str, device: str, threads: int | None) -> str:
    """Task body: run one cell into the store at ``root`` and return its key."""
    if threads:
        torch.set_num_threads(threads)
    return run(config, ResultStore(root), device)["key"]


def train_teacher(config: RunConfig, root: str, device: str, threads: int | None) -> str:
    """Task body: make sure the teacher of ``config``'s dataset is cached in the store."""
    if threads:
        torch.set_num_threads(threads)
    get_teacher(config.teacher_run, ResultStore(root), resolve_device(device))
    return config.teacher_run.key()


def distinct_teachers(configs: Sequence[RunConfig]) -> list[RunConfig]:
    """One representative configuration per distinct teacher."""
    seen: dict[str, RunConfig] = {}
    for config in configs:
        seen.setdefault(config.teacher_run.key(), config)
    return list(seen.values())


def missing_teachers(store: ResultStore, configs: Sequence[RunConfig]) -> list[RunConfig]:
    """One representative configuration per distinct teacher of ``configs`` that ``store`` lacks."""
    return [c for c in distinct_teachers(configs) if not store.has_teacher(c.dataset, c.teacher_run.key())]


def _in_process(configs: Sequence[RunConfig], root: str, device: str, threads: int | None,
                teachers_only: bool) -> Iterator[str]:
    for config in distinct_teachers(configs):
        key = train_teacher(config, root, device, threads)
        if teachers_only:
            yield key
    if not teachers_only:
        for config in configs:
            yield run_cell(config, root, device, threads)


def _on_dask(configs: Sequence[RunConfig], root: str, device: str, threads: int | None, client: Any,
             teachers_only: bool) -> Iterator[str]:
    from dask.distributed import as_completed

    # Priorities keep the grid's order: every teacher first, then the cells seed by seed, so a grid stopped
    # part-way leaves complete seeds rather than a few datasets with every seed.
    teachers = {
        c.teacher_run.key(): client.submit(
            train_teacher, c, root, device, threads, pure=False, priority=len(configs) + 1
        )
        for c in distinct_teachers(configs)
    }
    if teachers_only:
        for future in as_completed(list(teachers.values())):
            yield future.result()
        return
    futures = []
    for order, config in enumerate(configs):
        teacher = teachers[config.teacher_run.key()]
        futures.append(client.submit(_after, teacher, config, root, device, threads, pure=False, priority=-order))
    for future in as_completed(futures):
        yield future.result()


def _after(_teacher_key: str, config: RunConfig, root: str, device: str, threads: int | None) -> str:
    """Run a cell once its teacher task has finished (Dask passes the teacher future's result first)."""
    return run_cell(config, root, device, threads)


def run_grid(
    configs: Sequence[RunConfig],
    store: ResultStore,
    device: str = "cpu",
    workers: int = 0,
    scheduler: str | None = None,
    threads: int | None = None,
    progress: bool = True,
    teachers_only: bool = False,
) -> GridReport:
    """Compute the cells of ``configs`` missing from ``store``; with ``teachers_only``, only the teachers they need
    (a teacher does not depend on the students' training, so a grid's teachers can be trained before its budget is
    settled).

    ``workers=0`` and no ``scheduler``: in this process. ``workers=N``: a local Dask cluster of N single-threaded
    worker processes. ``scheduler="tcp://host:8786"``: a running Dask cluster (every worker must see ``store.root``).
    """
    if teachers_only:
        total = len(distinct_teachers(configs))
        pending = missing_teachers(store, configs)
        report = GridReport(total=total, stored=total - len(pending), computed=0)
    else:
        pending = missing_cells(store, configs)
        report = GridReport(total=len(configs), stored=len(configs) - len(pending), computed=0)
    if not pending:
        return report
    root = str(store.root)
    bar = tqdm(total=len(pending), desc="teachers" if teachers_only else "grid",
               unit="teacher" if teachers_only else "run", disable=not progress)
    if scheduler is None and workers == 0:
        keys = _in_process(pending, root, device, threads, teachers_only)
        for _ in keys:
            report.computed += 1
            bar.update()
    else:
        import dask
        from dask.distributed import Client, LocalCluster

        if scheduler is not None:
            client, cluster = Client(scheduler), None
        else:
            # The workers' statistical profiler samples the task thread every 10 ms; on a machine with as many
            # workers as cores that steals time from training, so the local cluster runs without it.
            # A running cluster (--scheduler) keeps its own configuration.
            with dask.config.set(LOCAL_WORKER_CONFIG):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            for _ in _on_dask(pending, root, device, threads or 1, client, teachers_only):
                report.computed += 1
                bar.update()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    bar.close()
    return report
