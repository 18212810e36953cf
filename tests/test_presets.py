"""Preset choices that rest on stored results follow their stated rule."""

import json

from gdpd.experiment import ABLATION_DATASETS, ABLATION_TEACHER_VAL_LOSS, get_preset
from gdpd.store import ResultStore


def test_ablation_datasets_are_the_book_datasets_with_a_confident_teacher_on_validation():
    """The rule reads only the teachers' validation loss, never a test score. It chose the datasets of the
    protocol-1 ablation grids, whose records the ablation chapters render until they are recomputed: so it is checked
    against the protocol-1 teachers, found through the legacy index's book records."""
    import pandas as pd

    from gdpd.report import LEGACY_INDEX

    book = get_preset("book")
    store = ResultStore()
    legacy = pd.read_csv(LEGACY_INDEX / "book.csv")
    val_loss = {}
    for dataset in book.datasets:
        key = legacy[legacy["dataset"] == dataset]["key"].iloc[0]
        teacher_key = store.get(dataset, key)["training"]["teacher_key"]
        val_loss[dataset] = json.loads(store.teacher_path(dataset, teacher_key, ".json").read_text())["val_loss"]
    chosen = tuple(d for d in book.datasets if val_loss[d] < ABLATION_TEACHER_VAL_LOSS)
    assert sorted(chosen) == sorted(ABLATION_DATASETS)


def test_schedule_datasets_are_the_book_datasets_with_more_than_one_batch_per_epoch():
    import torch

    from gdpd.experiment import SCHEDULE_DATASETS, prepare

    book = get_preset("book")
    batch = book.student.batch_size
    several = tuple(
        d for d in book.datasets
        if len(prepare(book.config(d, 0.2, "gdpd", book.seeds[0]), torch.device("cpu")).labels["train"]) > batch
    )
    assert sorted(several) == sorted(SCHEDULE_DATASETS)
    assert get_preset("ablation-schedule").datasets == SCHEDULE_DATASETS
