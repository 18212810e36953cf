"""gdpd.teacher_training: each teacher seed kept as it finishes, and the seed each choice picks."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

import gdpd.teacher_training as teacher_training
from gdpd.config import TeacherRun
from gdpd.presets import PAPER_TEACHER, get_preset
from gdpd.store import ResultStore
from gdpd.teacher_training import choose, competent, get_teacher


def _candidate(seed: int, val_loss: float, accuracy: float, test_auc_prc: float, majority: float = 0.5) -> dict:
    return {"seed": seed, "val_loss": val_loss, "majority_rate": majority, "val_metrics": {"accuracy": accuracy},
            "test_metrics": {"auc_prc": test_auc_prc}}


# Seed 1 kept the untrained plateau: uniform outputs on four validation cases give ln 2 = 0.693 and the majority
# rate; seed 24 fitted but is less sure of itself; seed 300 fitted best on validation; seed 49000 is best on test.
PLATEAU = _candidate(1, 0.65, 0.5, 0.55)
CANDIDATES = [PLATEAU, _candidate(24, 0.80, 0.75, 0.80), _candidate(300, 0.70, 1.0, 0.85),
              _candidate(49000, 0.90, 0.75, 0.95)]


def test_released_criterion_is_guarded_against_the_plateau():
    assert not competent(PLATEAU) and all(competent(c) for c in CANDIDATES[1:])
    assert choose(CANDIDATES, "val_loss") == 2  # lowest loss among the competent seeds, not the plateau's
    assert choose([PLATEAU], "val_loss") == 0  # no competent seed: the lowest loss, reported as not competent


def test_each_choice_picks_its_seed():
    assert choose(CANDIDATES, "val_accuracy") == 2
    assert choose(CANDIDATES, "test_auc_prc") == 3
    tied = [_candidate(1, 0.5, 1.0, 0.9), _candidate(24, 0.5, 1.0, 0.9)]
    assert [choose(tied, choice) for choice in ("val_accuracy", "val_loss", "test_auc_prc")] == [0, 0, 0]


def test_choose_refuses_nothing_to_choose_from_and_unknown_choices():
    with pytest.raises(ValueError, match="at least one seed"):
        choose([], "val_loss")
    with pytest.raises(ValueError, match="choice must be"):
        choose(CANDIDATES, "test_accuracy")


def test_the_paper_teacher_is_the_released_training_chosen_on_validation():
    train = PAPER_TEACHER.train
    assert (train.lr_schedule, train.selection, train.first_selectable, train.patience, train.epochs) == (
        "per_batch", "val_loss", 0, 150, 600)
    assert PAPER_TEACHER.choice == "val_loss"


def test_teachers_that_differ_only_in_choice_share_their_candidates():
    run = TeacherRun("GunPoint", PAPER_TEACHER)
    other = replace(run, teacher=replace(PAPER_TEACHER, choice="test_auc_prc"))
    assert run.key() != other.key()
    assert run.candidate_key(1) == other.candidate_key(1) != run.candidate_key(24)
    assert run.candidate_key(1) != TeacherRun("Coffee", PAPER_TEACHER).candidate_key(1)


def test_a_teacher_resumes_from_its_finished_seeds_and_chooses_as_a_fresh_one(tmp_path, monkeypatch):
    smoke = get_preset("smoke")
    run = smoke.teacher_run("UnitTest")
    device = torch.device("cpu")
    fresh, fresh_info = get_teacher(run, ResultStore(tmp_path / "fresh"), device)

    interrupted = ResultStore(tmp_path / "interrupted")
    teacher_training.candidate(run, teacher_training.load_dataset("UnitTest"), smoke.teacher.seeds[0], interrupted,
                               device)
    trained = []
    original = teacher_training._train_candidate
    monkeypatch.setattr(teacher_training, "_train_candidate",
                        lambda r, d, seed, *rest: trained.append(seed) or original(r, d, seed, *rest))
    resumed, resumed_info = get_teacher(run, interrupted, device)
    assert trained == list(smoke.teacher.seeds[1:])  # the finished seed was read, not trained again
    assert resumed_info["seed"] == fresh_info["seed"] and resumed_info["metrics"] == fresh_info["metrics"]
    drop = ("seconds_per_epoch", )
    assert [{k: v for k, v in c.items() if k not in drop} for c in resumed_info["candidates"]] == [
        {k: v for k, v in c.items() if k not in drop} for c in fresh_info["candidates"]]
    for a, b in zip(fresh.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
