"""One training loop for teachers and students, with validation-based checkpoint selection.

The protocol follows the released GDPD code (book chapter "The method"): Adam (lr 1e-3, weight decay 1e-5),
batch 64; a student keeps the checkpoint with the lowest validation cross-entropy among epochs after the warm-up.
A teacher is the ``base`` method trained on full series; it keeps the epoch with the highest validation accuracy
from ``select_from`` on, ties going to the later epoch, so that it cannot be chosen on the untrained plateau where
a tiny validation set's cross-entropy is lowest (book chapter "The method", "Choosing the teacher").
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from gdpd.config import LRSchedule, TrainConfig
from gdpd.methods import Batch, Distiller, Stage
from gdpd.models import Outputs

LR_MILESTONES = (25, 30, 35)
LR_GAMMA = 0.5


class Split(NamedTuple):
    """Tensors of one split: the model's input, labels and the frozen teacher's outputs on the full series."""

    x: Tensor
    y: Tensor
    teacher: Outputs | None = None

    def batch(self, index: Tensor) -> Batch:
        teacher = None if self.teacher is None else Outputs(*(field[index] for field in self.teacher))
        return Batch(self.x[index], self.y[index], teacher)


@dataclass
class FitResult:
    """The selected epoch, per-epoch history and training time of one fit."""

    best_epoch: int
    best_val_loss: float
    epochs_run: int
    history: list[dict[str, float]]
    train_seconds: float

    @property
    def seconds_per_epoch(self) -> float:
        return self.train_seconds / max(1, self.epochs_run)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so the same seed gives the same numbers on the same machine."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> list[Tensor]:
    """A shuffled partition into batches; a final batch of one joins the previous one (BatchNorm needs two)."""
    chunks = list(torch.randperm(n, generator=generator).split(batch_size))
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        last = chunks.pop()
        chunks[-1] = torch.cat([chunks[-1], last])
    return chunks


def _scheduler(optimizer: torch.optim.Optimizer, schedule: LRSchedule) -> torch.optim.lr_scheduler.LRScheduler | None:
    if schedule == "constant":
        return None
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(LR_MILESTONES), gamma=LR_GAMMA)


class Validation(NamedTuple):
    """The student on the validation inputs in eval mode: cross-entropy, accuracy, and the feature it computed."""

    loss: float
    accuracy: float
    feature: Tensor


@torch.no_grad()
def validation_scores(distiller: Distiller, val: Split) -> Validation:
    """Cross-entropy and accuracy of the student on the validation inputs, in eval mode, with the feature that the
    method's diagnostics reuse (``logits = head(feature)``, as the student's forward computes them)."""
    distiller.eval()
    feature = distiller.student.encode(val.x).feature
    logits = distiller.student.head(feature)
    scores = Validation(F.cross_entropy(logits, val.y).item(), (logits.argmax(1) == val.y).float().mean().item(),
                        feature)
    distiller.train()
    return scores


def diagnostics(distiller: Distiller, val: Split, feature: Tensor) -> dict[str, float]:
    """The method's per-epoch diagnostics on the validation batch, drawn from a forked random state.

    Forking keeps the training noise stream the same whatever the diagnostics draw (e.g. hints with other sampler
    settings), so that diagnostics never change a run. ``feature`` is the student's validation feature that
    :func:`validation_scores` computed in the same eval mode, so the student's body runs once per epoch on it.
    """
    devices = [val.x.device] if val.x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        distiller.eval()
        values = distiller.diagnostics(val.batch(torch.arange(len(val.y), device=val.x.device)), feature)
        distiller.train()
    return values


def fit(
    distiller: Distiller,
    train: Split,
    val: Split,
    config: TrainConfig,
    seed: int,
    progress: bool = False,
    description: str = "train",
) -> FitResult:
    """Train ``distiller`` and load into its student the checkpoint selected on validation (:class:`TrainConfig`)."""
    if len(train.y) < 2 or len(val.y) < 1:
        raise ValueError(f"need at least 2 training and 1 validation cases, got {len(train.y)} and {len(val.y)}")
    seed_everything(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(distiller.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = _scheduler(optimizer, config.lr_schedule)
    by_accuracy = config.selection == "val_accuracy"
    best_score, best_loss, best_epoch, improved, best_state = -math.inf, math.inf, -1, -1, None
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    distiller.train()
    epochs = tqdm(range(config.epochs), desc=description, disable=not progress, leave=False)
    for epoch in epochs:
        stage = Stage(epoch, warmup=epoch < config.warmup_epochs)
        totals: dict[str, float] = defaultdict(float)
        for index in batch_indices(len(train.y), config.batch_size, generator):
            batch = train.batch(index)
            terms = distiller(batch, stage)
            loss = torch.stack(list(terms.values())).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for extra in distiller.extra_losses(batch, stage):
                optimizer.zero_grad(set_to_none=True)
                extra.backward()
                optimizer.step()
            if scheduler is not None and config.lr_schedule == "per_batch":
                scheduler.step()
            for name, value in terms.items():
                totals[name] += value.item() * len(index) / len(train.y)
        if scheduler is not None and config.lr_schedule == "per_epoch":
            scheduler.step()
        val_loss, val_accuracy, val_feature = validation_scores(distiller, val)
        record = {"epoch": float(epoch), "val_loss": val_loss, "val_accuracy": val_accuracy, **totals}
        if val.teacher is not None:
            record.update(diagnostics(distiller, val, val_feature))
        history.append(record)
        epochs.set_postfix(val=f"{val_loss:.3f}")
        if epoch < config.first_selectable:
            continue
        score = val_accuracy if by_accuracy else -val_loss
        if score > best_score or best_state is None:
            improved = epoch
        if improved == epoch or (by_accuracy and score == best_score):
            best_score, best_loss, best_epoch = score, val_loss, epoch
            best_state = copy.deepcopy(distiller.student.state_dict())
        if config.patience is not None and epoch - improved >= config.patience:
            break
    assert best_state is not None  # first_selectable < epochs guarantees one selectable epoch
    distiller.student.load_state_dict(best_state)
    distiller.eval()
    return FitResult(best_epoch, best_loss, len(history), history, time.perf_counter() - start)
