"""Shared test settings."""

import torch

# The tests use tiny tensors; one thread avoids oversubscribing the shared CPU cores.
torch.set_num_threads(1)
