"""The variants chapters: the paper's four baselines under a few variants of one preset, shown alike.

Two chapters run Base, Base-KD, FitNets and GDPD under the variants of their preset (``Preset.variants``): the
channels the student sees (*Multivariate series*, preset ``uea``) and the teacher and student architectures (*Other
architectures*, preset ``architectures``). Both show their grid in the same sections; the sections with more than a
call into :mod:`gdpd.variants` or :mod:`gdpd.report` are written here once, and each chapter keeps only its prose
and, where it has one, a section of its own. These functions display in a Jupyter kernel, where the chapters run.
"""

from __future__ import annotations

import pandas as pd

from gdpd.report import labelled
from gdpd.results import Selection
from gdpd.style import label, table
from gdpd.variants import plot_variant_means, seed_sd, seed_spread, variant_means

SPREAD_NOTE = "Mean ± standard deviation over seeds (for each seed, the mean over the datasets)"
NOTHING_COMPLETE = "no complete results yet"


def show_means(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Show the section *Mean score per setting* (one row per variant) and return its table
    (:func:`gdpd.variants.variant_means`).

    Shown in order, in the book's style (:func:`gdpd.style.table`): the mean over datasets of the seed-mean
    ``metric`` x100 per variant, earliness and method; the mean ± standard deviation over seeds
    (:func:`gdpd.variants.seed_spread`); and the same means as grouped bars with that standard deviation.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display  # the kernel's, not a dependency of the package

    means = variant_means(frame, metric)
    display(table(labelled(means), caption=f"{label(metric)}: mean over datasets of the seed means"))
    display(table(seed_spread(frame, metric), caption=SPREAD_NOTE))
    plot_variant_means(means, f"{label(metric)}, mean over datasets (± SD over seeds)", seed_sd(frame, metric))
    plt.show()
    return means


def checked_output(preset: str, selection: Selection, means: pd.DataFrame | None) -> str:
    """What the chapter's check cell prints for nbval to compare: the complete blocks and the analysis rule, then
    the table of :func:`show_means` (``None`` while no block is complete)."""
    head = f"preset {preset}: {selection.n_complete_blocks} complete blocks; rule: {selection.rule}"
    return f"{head}\n{NOTHING_COMPLETE if means is None else labelled(means).round(2).to_string()}"
