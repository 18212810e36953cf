"""Ctrl-C on a grid: the workers ignore it, the main process silences Dask and stops with one line."""

from __future__ import annotations

import logging
import signal
import sys

import dask
import pytest

from gdpd import interrupt


def test_install_makes_workers_ignore_sigint_and_the_main_process_stop_quietly():
    before, options = signal.getsignal(signal.SIGINT), list(sys.warnoptions)
    try:
        with dask.config.set({}):
            interrupt.install()
            assert dask.config.get("distributed.worker.preload") == ["gdpd.interrupt"]
            with pytest.raises(KeyboardInterrupt):
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        assert logging.getLogger("distributed").level == logging.CRITICAL
        assert any("resource_tracker" in option for option in sys.warnoptions)
        interrupt.dask_setup(None)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
        sys.warnoptions[:] = options
        logging.getLogger("distributed").setLevel(logging.NOTSET)
