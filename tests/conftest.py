"""Shared test settings.

The suite has two tiers. ``make test`` runs every test, then nbval on the chapters; ``make test-fast`` runs the unit
tests alone, deselecting the marker ``slow`` (declared in pyproject.toml) that each integration test carries where it
is written: tests that execute chapters with papermill, start Dask grids or fresh processes, read the whole committed
store, or train students end to end, and take most of the suite's time.
"""

import torch

# The tests use tiny tensors; one thread avoids oversubscribing the shared CPU cores.
torch.set_num_threads(1)
