"""Tests for gdpd.train on tiny random problems (1-layer LSTM of 4 units, series of 6 steps)."""

from __future__ import annotations

import copy

import pytest
import torch

import gdpd.train as train_module
from gdpd.methods import METHODS, build_distiller
from gdpd.models import LSTMClassifier, Outputs
from gdpd.train import Split, TrainConfig, batch_indices, fit, validation_scores


def splits(n_train: int = 16, n_val: int = 6, teacher: bool = False) -> tuple[Split, Split]:
    torch.manual_seed(0)

    def split(n: int) -> Split:
        y = torch.arange(n) % 3
        x = torch.randn(n, 1, 6) + y[:, None, None].float()
        outputs = Outputs(torch.randn(n, 3), torch.randn(n, 4), torch.randn(n, 6, 4)) if teacher else None
        return Split(x, y, outputs)

    return split(n_train), split(n_val)


def distiller(method: str = "base", **config):
    torch.manual_seed(1)
    return build_distiller(method, LSTMClassifier(1, 3, hidden=4, layers=1), 4, METHODS[method].Settings(**config))


def state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize(
    "config, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 5, "warmup_epochs": 5}, "warmup_epochs"),
        ({"epochs": 5, "warmup_epochs": 6}, "warmup_epochs"),
        ({"epochs": 5, "warmup_epochs": -1}, "warmup_epochs"),
        ({"patience": 0}, "patience"),
        ({"lr_schedule": "cosine"}, "lr_schedule"),
        ({"batch_size": 1}, "batch_size"),
        ({"selection": "val_f1"}, "selection"),
        ({"epochs": 50, "warmup_epochs": 0, "select_from": 50}, "select_from.*train for more epochs"),
        ({"epochs": 50, "warmup_epochs": 10, "select_from": 5}, "select_from"),
    ],
)
def test_train_config_validation(config, match) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**config)


def test_train_config_defaults_follow_the_released_protocol() -> None:
    c = TrainConfig()
    assert (c.epochs, c.warmup_epochs, c.lr, c.weight_decay, c.batch_size, c.lr_schedule) == (
        600, 300, 1e-3, 1e-5, 64, "per_batch"
    )


@pytest.mark.parametrize(
    "n, batch_size, sizes",
    [(64, 64, [64]), (65, 64, [65]), (130, 64, [64, 64, 2]), (129, 64, [64, 65]), (5, 2, [2, 3]), (1, 4, [1])],
)
def test_batch_indices_partition(n, batch_size, sizes) -> None:
    """Every index exactly once, and a leftover single case joins the batch before it."""
    chunks = batch_indices(n, batch_size, torch.Generator().manual_seed(0))
    assert sorted(torch.cat(chunks).tolist()) == list(range(n))
    assert [len(c) for c in chunks] == sizes


def test_batch_indices_shuffle_depends_on_generator() -> None:
    a = batch_indices(20, 8, torch.Generator().manual_seed(0))
    b = batch_indices(20, 8, torch.Generator().manual_seed(0))
    c = batch_indices(20, 8, torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def recorded_optimizers(monkeypatch) -> list[torch.optim.Optimizer]:
    """The optimisers that ``fit`` builds from now on, in order."""
    optimizers: list[torch.optim.Optimizer] = []
    real = train_module._scheduler

    def recording(optimizer, lr_schedule):
        optimizers.append(optimizer)
        return real(optimizer, lr_schedule)

    monkeypatch.setattr(train_module, "_scheduler", recording)
    return optimizers


def final_lr(monkeypatch, schedule: str, epochs: int, n_train: int, batch_size: int) -> float:
    """Learning rate of the optimiser ``fit`` builds, read after training."""
    optimizers = recorded_optimizers(monkeypatch)
    train, val = splits(n_train, 3)
    config = TrainConfig(epochs=epochs, warmup_epochs=0, batch_size=batch_size, lr_schedule=schedule)
    fit(distiller(), train, val, config, seed=0)
    assert len(optimizers) == 1
    return optimizers[0].param_groups[0]["lr"]


@pytest.mark.parametrize("steps, lr", [(24, 1e-3), (25, 5e-4), (34, 2.5e-4), (35, 1.25e-4)])
def test_per_batch_schedule_steps_every_batch(monkeypatch, steps, lr) -> None:
    # One epoch of `steps` batches of two cases.
    assert final_lr(monkeypatch, "per_batch", 1, 2 * steps, 2) == pytest.approx(lr)


@pytest.mark.parametrize("epochs, lr", [(34, 2.5e-4), (35, 1.25e-4)])
def test_per_epoch_schedule_steps_every_epoch(monkeypatch, epochs, lr) -> None:
    # Two batches per epoch, so a per-batch schedule would already sit at 1.25e-4 after 18 epochs.
    assert final_lr(monkeypatch, "per_epoch", epochs, 4, 2) == pytest.approx(lr)


def test_constant_schedule(monkeypatch) -> None:
    assert final_lr(monkeypatch, "constant", 20, 4, 2) == pytest.approx(1e-3)


def test_fit_is_deterministic_per_seed() -> None:
    train, val = splits(teacher=True)
    config = TrainConfig(epochs=3, warmup_epochs=1, batch_size=4, lr=1e-2)
    runs = []
    for seed in (5, 5, 6):
        d = distiller("gdpd")
        result = fit(d, train, val, config, seed=seed)
        runs.append((result, state(d)))
    (a, wa), (b, wb), (c, wc) = runs
    assert a.history == b.history and (a.best_epoch, a.best_val_loss) == (b.best_epoch, b.best_val_loss)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a.history != c.history
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)
    assert {"epoch", "val_loss", "ce", "diffusion", "reconstruction"} <= set(a.history[0])
    assert {"hint", "alpha", "hint_accuracy"} <= set(a.history[-1])
    assert "hint" not in a.history[0]


def test_fit_selects_best_epoch_after_warmup_and_loads_it() -> None:
    train, val = splits()
    d = distiller()
    config = TrainConfig(epochs=8, warmup_epochs=3, batch_size=4, lr=0.05, lr_schedule="constant")
    result = fit(d, train, val, config, seed=0)
    assert result.epochs_run == len(result.history) == 8
    assert [r["epoch"] for r in result.history] == list(range(8))
    after = [r["val_loss"] for r in result.history[3:]]
    assert result.best_epoch >= 3
    assert result.best_val_loss == min(after)
    assert result.history[result.best_epoch]["val_loss"] == result.best_val_loss
    assert validation_scores(d, val)[0] == pytest.approx(result.best_val_loss, rel=1e-6)
    assert result.seconds_per_epoch == pytest.approx(result.train_seconds / 8)


def scripted_fit(
    monkeypatch, losses: list[float], epochs: int, warmup: int, patience: int | None,
    accuracies: list[float] | None = None, **config,
):
    """Fit with validation scores replaced by ``losses`` (and ``accuracies``), keeping a snapshot of the student at
    every epoch."""
    snapshots: list[dict[str, torch.Tensor]] = []
    script = iter(zip(losses, accuracies or [0.5] * len(losses)))

    def fake_validation_scores(distiller, val):
        snapshots.append(copy.deepcopy(distiller.student.state_dict()))
        return (*next(script), None)

    monkeypatch.setattr(train_module, "validation_scores", fake_validation_scores)
    train, val = splits()
    d = distiller()
    config = TrainConfig(epochs=epochs, warmup_epochs=warmup, patience=patience, batch_size=4, lr=0.05, **config)
    return fit(d, train, val, config, seed=0), d, snapshots


def test_teacher_selection_skips_the_untrained_plateau(monkeypatch) -> None:
    # A tiny validation set: the cross-entropy is lowest on the plateau (ln 3 = 1.10) before the model fits, while
    # accuracy sits at the majority rate; selecting on loss would keep epoch 2, the teacher rule must not.
    losses = [1.12, 1.10, 1.08, 1.09, 1.30, 1.25, 1.40, 1.35, 1.50, 1.45]
    accuracies = [1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3, 5 / 6, 5 / 6, 1 / 2, 5 / 6, 2 / 3]
    by_loss, _, _ = scripted_fit(monkeypatch, losses, epochs=10, warmup=0, patience=None, accuracies=accuracies)
    assert by_loss.best_epoch == 2
    result, d, snapshots = scripted_fit(monkeypatch, losses, epochs=10, warmup=0, patience=None,
                                        accuracies=accuracies, selection="val_accuracy", select_from=1)
    assert (result.best_epoch, result.best_val_loss) == (8, 1.50)  # the last of three ties at 5/6
    loaded = d.student.state_dict()
    assert all(torch.equal(loaded[k], snapshots[8][k]) for k in loaded)


def test_teacher_selection_respects_its_first_epoch(monkeypatch) -> None:
    losses = [0.1] * 6
    accuracies = [1.0, 0.9, 0.5, 0.6, 0.6, 0.4]
    result, _, _ = scripted_fit(monkeypatch, losses, epochs=6, warmup=0, patience=None, accuracies=accuracies,
                                selection="val_accuracy", select_from=2)
    assert result.best_epoch == 4


def test_accuracy_patience_counts_strict_improvements_only(monkeypatch) -> None:
    # Ties move the kept epoch later but do not reset patience, so a saturated validation accuracy still stops.
    losses = [0.5] * 10
    accuracies = [0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    result, _, _ = scripted_fit(monkeypatch, losses, epochs=10, warmup=0, patience=3, accuracies=accuracies,
                                selection="val_accuracy")
    assert (result.best_epoch, result.epochs_run) == (4, 5)


def test_diagnostics_never_move_the_training_stream(monkeypatch) -> None:
    train, val = splits(teacher=True)
    config = TrainConfig(epochs=4, warmup_epochs=1, batch_size=4, lr_schedule="constant")
    plain = fit(distiller("gdpd"), train, val, config, seed=0)
    def greedy(self, batch, feature=None):  # diagnostics that draw many more random numbers
        torch.randn(1000)
        return {}

    from gdpd.methods.gdpd import GDPD

    monkeypatch.setattr(GDPD, "diagnostics", greedy)
    drawing = fit(distiller("gdpd"), train, val, config, seed=0)
    training_terms = ("ce", "diffusion", "reconstruction", "hint", "val_loss")
    assert [{k: r[k] for k in training_terms if k in r} for r in plain.history] == [
        {k: r[k] for k in training_terms if k in r} for r in drawing.history
    ]


def test_diagnostics_on_the_validation_feature_equal_those_that_encode_again() -> None:
    """The student's body runs once per epoch on the validation cases: its feature serves the scores and the
    diagnostics, with the numbers of diagnostics that encode the cases themselves."""
    train, val = splits(teacher=True)
    d = distiller("gdpd")
    fit(d, train, val, TrainConfig(epochs=2, warmup_epochs=1, batch_size=4, lr_schedule="constant"), seed=0)
    scores = validation_scores(d, val)
    assert scores.loss == pytest.approx(torch.nn.functional.cross_entropy(d.student(val.x), val.y).item(), abs=0)
    batch = val.batch(torch.arange(len(val.y)))
    d.eval()
    torch.manual_seed(5)
    shared = d.diagnostics(batch, scores.feature)
    torch.manual_seed(5)
    assert d.diagnostics(batch) == shared


def test_selection_ignores_warmup_and_restores_best_weights(monkeypatch) -> None:
    losses = [0.01, 0.02, 0.9, 0.5, 0.3, 0.4, 0.35, 0.8]
    result, d, snapshots = scripted_fit(monkeypatch, losses, epochs=8, warmup=2, patience=None)
    assert (result.best_epoch, result.best_val_loss, result.epochs_run) == (4, 0.3, 8)
    loaded = d.student.state_dict()
    assert all(torch.equal(loaded[k], snapshots[4][k]) for k in loaded)
    assert not all(torch.equal(loaded[k], snapshots[-1][k]) for k in loaded)
    assert not d.training


def test_patience_stops_early(monkeypatch) -> None:
    losses = [0.01, 0.9, 0.5, 0.6, 0.5, 0.7, 0.1, 0.1]
    result, _, _ = scripted_fit(monkeypatch, losses, epochs=8, warmup=1, patience=3)
    # Best at epoch 2; epochs 3, 4 and 5 do not improve (a tie is no improvement), so training stops after epoch 5.
    assert (result.best_epoch, result.best_val_loss, result.epochs_run) == (2, 0.5, 6)
    assert [r["val_loss"] for r in result.history] == losses[:6]


def test_patience_counts_from_the_first_selectable_epoch(monkeypatch) -> None:
    losses = [0.01, 0.02, 0.03, 0.9, 0.95, 0.96, 0.2]
    result, _, _ = scripted_fit(monkeypatch, losses, epochs=7, warmup=3, patience=2)
    assert (result.best_epoch, result.epochs_run) == (3, 6)


def test_fit_rejects_tiny_splits() -> None:
    train, val = splits(1, 1)
    with pytest.raises(ValueError, match="at least 2 training"):
        fit(distiller(), train, val, TrainConfig(epochs=2, warmup_epochs=0), seed=0)


@pytest.mark.parametrize("updates", [1, 3])
def test_fit_takes_the_extra_prior_steps_of_the_warmup(monkeypatch, updates) -> None:
    optimizers = recorded_optimizers(monkeypatch)
    train, val = splits(16, 6, teacher=True)
    gdpd = distiller("gdpd", prior_updates=updates)
    fit(gdpd, train, val, TrainConfig(epochs=4, warmup_epochs=2, batch_size=8, lr_schedule="constant"), seed=0)
    steps = {id(p): int(s["step"]) for p, s in optimizers[0].state.items()}
    # 4 epochs of 2 batches; in each of the 4 warm-up batches the prior takes updates - 1 more steps
    assert steps[id(gdpd.student.head.weight)] == 8
    assert steps[id(next(gdpd.sampler.prior.parameters()))] == 8 + 4 * (updates - 1)
