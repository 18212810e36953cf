"""What Ctrl-C does to a command that runs a grid on local Dask worker processes: one line, no traceback.

The terminal sends Ctrl-C's SIGINT to every process of the command, the workers included. Left alone, each worker
prints a ``KeyboardInterrupt`` traceback and the cluster logs warnings while it shuts down. Instead the workers
ignore SIGINT (:func:`dask_setup`, run in each worker as a Dask preload), so the main process alone stops: it
silences Dask's logging and warnings before the cluster closes (:func:`quiet`), and the command prints one line.
A cell is stored whole when it finishes, so nothing is half-written.
"""

from __future__ import annotations

import logging
import signal
import sys
import warnings
from types import FrameType
from typing import Any


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in every worker process at start: ignore SIGINT, which the main process handles,
    and leave unlogged the cancelled task that the cluster's shutdown then reports."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)


def quiet() -> None:
    """Silence what Dask's workers, its event loop and multiprocessing log while a cluster shuts down."""
    warnings.simplefilter("ignore")
    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _stop(signum: int, frame: FrameType | None) -> None:
    quiet()
    raise KeyboardInterrupt


def install() -> None:
    """Before a grid starts: workers started from here on ignore SIGINT, and this process silences Dask as soon
    as Ctrl-C arrives, before the cluster's shutdown can log anything."""
    import dask

    dask.config.set({"distributed.worker.preload": [__name__]})
    # multiprocessing's resource tracker, started with the cluster, takes its warning filters from this list: a
    # worker stopped by the shutdown leaves a semaphore that the tracker reclaims, which is no news to the reader.
    sys.warnoptions.append("ignore::UserWarning:multiprocessing.resource_tracker")
    signal.signal(signal.SIGINT, _stop)
