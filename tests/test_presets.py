"""Preset choices that rest on stored results follow their stated rule."""

from gdpd.presets import ABLATION_DATASETS, ABLATION_SIZE, ABLATIONS, get_preset
from gdpd.store import ResultStore

ABLATION_PRESETS = [name for name in ABLATIONS if name != "ablation-schedule"]


def _rule(datasets):
    """The ablation datasets' rule (gdpd.presets): a competent teacher more accurate on validation than the budget
    probe's Base student at e = 0.8, then the ABLATION_SIZE with the least training work per epoch."""
    from gdpd.budget import probe_records
    from gdpd.data import load_dataset
    from gdpd.teachers import teacher_info

    book, store = get_preset("book"), ResultStore()
    base = {r["config"]["dataset"]: r["metrics"]["val_accuracy"] for r in probe_records(store)
            if r["config"]["earliness"] == 0.8}
    infos = {d: teacher_info(book, d, store) for d in datasets}
    distils = [d for d in datasets if infos[d]["competent"] and infos[d]["val_metrics"]["accuracy"] > base[d]]
    work = {d: load_dataset(d).X_train.shape[0] * load_dataset(d).X_train.shape[-1] for d in distils}
    return sorted(distils, key=lambda d: (work[d], d))[:ABLATION_SIZE]


def test_ablation_datasets_are_the_cheapest_book_datasets_whose_teacher_has_something_to_distil():
    """The rule reads validation scores and the size of the training data, never a test score."""
    assert sorted(_rule(get_preset("book").datasets)) == sorted(ABLATION_DATASETS)
    assert all(get_preset(name).datasets == ABLATION_DATASETS for name in ABLATION_PRESETS)


def test_schedule_datasets_follow_the_rule_among_the_book_datasets_with_more_than_one_batch_per_epoch():
    import torch

    from gdpd.experiment import prepare
    from gdpd.presets import SCHEDULE_DATASETS

    book = get_preset("book")
    batch = book.student.batch_size
    several = tuple(
        d for d in book.datasets
        if len(prepare(book.config(d, 0.2, "gdpd", book.seeds[0]), torch.device("cpu")).labels["train"]) > batch
    )
    assert sorted(several) == ["ACSF1", "Covid3Month_disc", "OSULeaf", "Trace"]
    assert sorted(_rule(several)) == sorted(SCHEDULE_DATASETS)
    assert get_preset("ablation-schedule").datasets == SCHEDULE_DATASETS


def test_the_working_prior_arm_runs_the_prior_check_rule_and_differs_from_released_gdpd_in_it_alone():
    """The arm's prior updates are what the rule chooses from the committed warm-up-only runs (which read the
    denoising loss on the training split, never a test score); every arm cell is the reference preset's GDPD cell
    with that setting added, under the same teacher."""
    from dataclasses import replace

    from gdpd.presets import WORKING_PRIOR_UPDATES
    from gdpd.prior_fit import prior_fit, working_prior_updates

    check_preset = get_preset("prior-check")
    check = prior_fit(ResultStore(), check_preset)
    assert len(check) == len(list(check_preset.labelled_grid())), "a prior-check run is missing from the store"
    assert working_prior_updates(check) == WORKING_PRIOR_UPDATES
    arm, reference = get_preset("paper-working-prior"), get_preset("paper-released-teacher")
    assert set(arm.datasets) == set(reference.datasets) and set(arm.earliness) <= set(reference.earliness)
    for _, config in arm.labelled_grid():
        released = reference.config(config.dataset, config.earliness, "gdpd", config.seed)
        assert config.teacher_run.key() == released.teacher_run.key()
        assert config.method_config.prior_updates == WORKING_PRIOR_UPDATES
        assert replace(config, method_config=released.method_config) == released
