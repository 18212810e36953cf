"""Preset choices that rest on stored results follow their stated rule."""

from gdpd.presets import ABLATION_DATASETS, ABLATION_SIZE, ABLATIONS, get_preset
from gdpd.store import ResultStore

ABLATION_PRESETS = [name for name in ABLATIONS if name != "ablation-schedule"]


def test_ablation_datasets_are_the_cheapest_book_datasets_with_a_competent_teacher():
    """The rule reads the teachers' validation accuracy and the size of the training data, never a test score."""
    from gdpd.data import load_dataset
    from gdpd.teachers import teacher_info

    book = get_preset("book")
    store = ResultStore()
    competent = [d for d in book.datasets if teacher_info(book, d, store)["competent"]]
    work = {d: load_dataset(d).X_train.shape[0] * load_dataset(d).X_train.shape[-1] for d in competent}
    chosen = sorted(competent, key=lambda d: (work[d], d))[:ABLATION_SIZE]
    assert sorted(chosen) == sorted(ABLATION_DATASETS)
    assert all(get_preset(name).datasets == ABLATION_DATASETS for name in ABLATION_PRESETS)


def test_schedule_datasets_are_the_book_datasets_with_more_than_one_batch_per_epoch():
    import torch

    from gdpd.experiment import prepare
    from gdpd.presets import SCHEDULE_DATASETS

    book = get_preset("book")
    batch = book.student.batch_size
    several = tuple(
        d for d in book.datasets
        if len(prepare(book.config(d, 0.2, "gdpd", book.seeds[0]), torch.device("cpu")).labels["train"]) > batch
    )
    assert sorted(several) == sorted(SCHEDULE_DATASETS)
    assert get_preset("ablation-schedule").datasets == SCHEDULE_DATASETS
