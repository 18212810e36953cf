"""One look for every table and figure of the book: human labels, one scale, fixed decimals, one colour per method.

Every chapter displays its tables through :func:`table` and draws with :func:`use` in force and :func:`colour` for a
method's line or bar, so a reader meets the same conventions on every page:

- headers and method names are the paper's words (:data:`LABELS`, the methods' own labels), never internal names;
- scores are on one scale, ×100, with two decimals; p-values with two significant digits; counts as integers,
  with their denominator where one is given (``10 of 12``); settings (earliness, seeds, weights) as written;
- no index column, and a table wider than the text column scrolls inside it (the book's ``_static/tables.css``
  styles the :data:`TABLE_CLASS` that every table carries);
- a method keeps its colour on every page (:data:`METHOD_COLOURS`).

The notebooks' parameters are checked by :func:`check_parameters`, in the cell after the parameters cell, so a typo
fails there with the choices named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from gdpd.methods import METHODS

SCORES = ("auc_prc", "accuracy", "roc_auc", "fidelity")
"""The scores a chapter's ``metric`` parameter may name (each stored for every run, test and validation)."""
TABLE_CLASS = "gdpd-table"
"""The HTML class of every table the style renders: the book's CSS styles it and a test looks for it."""
MISSING = "–"
"""What a cell shows where there is no number (a value the paper does not report, a spread over one seed)."""

LABELS: dict[str, str] = {
    # what a row is
    "dataset": "Dataset", "earliness": "Earliness", "method": "Method", "seed": "Seed", "seeds": "Seeds",
    "teacher": "Teacher", "student": "Student", "variant": "Setting", "setting": "Setting", "rival": "Against",
    "reference": "Reference", "comparison": "Comparison", "classifier": "Classifier", "kind": "Kind",
    "protocol": "Protocol", "pair": "Teacher → student", "peer": "Best aeon peer", "bank": "Bank",
    "weight": "λ", "alpha": "α", "samples": "J", "ddim_steps": "DDIM steps", "ddim_start": "DDIM start",
    "source": "Source", "statistic": "Statistic", "parameter": "Parameter", "value": "Value",
    # scores, x100
    "auc_prc": "AUC-PRC ×100", "accuracy": "Accuracy ×100", "roc_auc": "ROC-AUC ×100", "fidelity": "Fidelity ×100",
    "kl": "KL (nats)", "mean": "Mean ×100", "std": "SD ×100", "spread": "SD ×100", "low": "95 % low",
    "high": "95 % high", "difference": "Difference ×100", "mean_difference": "Mean difference ×100",
    "inflation": "Inflation ×100", "estimate": "Estimate",
    "teacher_val_accuracy": "Validation accuracy", "teacher_val_auc_prc": "Validation AUC-PRC",
    "teacher_auc_prc": "Test AUC-PRC", "teacher_accuracy": "Test accuracy",
    "teacher_roc_auc": "Test ROC-AUC", "students_auc_prc": "Students' AUC-PRC",
    "students_accuracy": "Students' accuracy", "base_auc_prc": "Base student's AUC-PRC",
    "base_accuracy": "Base student's accuracy", "teacher_lead": "Lead over students",
    "chance_auc_prc": "Chance AUC-PRC", "teacher_over_chance": "Lead over chance",
    "harmonic_mean": "Harmonic mean ×100", "bank_accuracy": "Bank accuracy ×100",
    "bank_earliness": "Bank earliness ×100", "bank_hm": "Bank harmonic mean ×100",
    "peer_hm": "Peer harmonic mean ×100", "mean_earliness": "Earliness ×100",
    "accuracy_needed": "Accuracy to tie ×100", "earliness_needed": "Earliness to tie ×100",
    "learned_share": "Prior learned (share ×100)", "hints_ahead_share": "Hints ahead (share ×100)",
    "hint_gap": "Hint − student ×100", "best_alpha": "Best fixed α",
    "clearly_learned_share": "Prior clearly learned (share ×100)", "diffusion_start": "L_diff at warm-up start",
    "diffusion_end": "L_diff at warm-up end", "prior_steps": "Prior steps",
    "hint_accuracy": "Hint accuracy ×100",
    "gdpd-working-prior": "GDPD, prior that learns",
    # tests
    "p_wilcoxon": "p (Wilcoxon)", "p_holm": "p (Holm)", "p_value": "p", "p": "p", "p_chi2": "p (χ²)",
    "p_iman_davenport": "p (Iman–Davenport)", "smallest_p": "Smallest p", "chi2": "Friedman χ²",
    "iman_davenport": "Iman–Davenport F", "critical_difference": "Nemenyi CD (ranks)", "verdict": "Verdict",
    "spearman_fidelity_vs_auc_prc": "Spearman ρ, fidelity vs AUC-PRC",
    # counts
    "n_datasets": "Datasets", "n_seeds": "Seeds", "n_pairs": "Runs", "n_classes": "Classes", "n_methods": "Methods",
    "val_accuracy": "Validation accuracy ×100", "majority_rate": "Majority rate ×100", "competent": "Competent",
    "test_auc_prc": "Test AUC-PRC ×100", "test_accuracy": "Test accuracy ×100", "epoch": "Kept epoch",
    "top_probability": "Mean top probability ×100", "test_nll": "Test NLL", "auc_prc_sd": "AUC-PRC SD",
    "ours_sd": "Ours SD", "ours_seeds": "Our seeds", "released_sd": "Released SD", "released_seeds": "Released seeds",
    "agrees": "Agrees within seed noise",
    "n_val": "Validation cases", "wins": "Wins", "losses": "Losses", "above": "Datasets above",
    "equal": "Datasets equal", "below": "Datasets below", "top1": "Best on", "top3": "Among best three on",
    "top3_share": "Among best three (% of datasets)",
    "average_rank": "Average rank", "rank": "Rank", "stored": "Stored", "cells": "Cells", "complete": "Complete",
    "analysed": "Analysed", "epochs_run": "Epochs run", "best_epoch": "Kept epoch", "runs": "Runs",
    "datasets": "Datasets", "methods": "Methods", "n": "Stays", "survived": "Survived", "died": "Died",
    "positive_rate": "Died (% of stays)", "imbalance_ratio": "Survived per died",
    # flags
    "competent": "Competent", "weak": "Weak", "mean_above": "Mean above", "learned": "Prior learned",
    # cost
    "median_s_per_epoch": "Median s / epoch", "vs_base": "× Base", "seconds_per_epoch": "s / epoch",
    "s_per_step": "s / step", "peak_rss_mb": "Peak memory (MB)", "student_parameters": "Student parameters",
    "teacher_parameters": "Teacher parameters", "inference_s_per_100": "Inference s / 100 series",
    "distillation_s_per_epoch": "Distillation s / epoch", "warmup_s_per_epoch": "Warm-up s / epoch",
}
"""Human labels of the column names that tables use; a name not listed is shown with its underscores as spaces. The
teacher's columns (:func:`gdpd.report.teacher_table`) are named without the teacher and the scale: their table's
caption (:data:`TEACHER_CAPTION`) gives both."""
RELEASED_MARK = "†"
"""Marks a dataset the released code's loader accepts (:func:`gdpd.report.mark_released`)."""
RELEASED_NOTE = f"{RELEASED_MARK}: one of the six datasets the released code's loader accepts"
TEACHER_CAPTION = ("Per teacher, scores ×100: what it was chosen on (validation), its test scores on the full series, "
                   "and the mean test score of the students it teaches on prefixes")

METHOD_COLOURS: dict[str, str] = {
    "base": "#7f7f7f", "kd": "#1f77b4", "fitnets": "#2ca02c", "gdpd": "#d62728", "rkd": "#ff7f0e",
    "attention": "#9467bd", "dkd": "#8c564b", "dt2w": "#e377c2", "vid": "#bcbd22", "pkt": "#17becf",
    "tekap": "#393b79", "ttm": "#637939", "teacher": "#000000", "gdpd-working-prior": "#ff9896", "teaser": "#525252",
    "probability-threshold": "#a8a8a8",
}
"""One colour per method (and for the teacher and aeon's early classifiers), the same in every figure."""

_PLAIN = {"earliness", "seed", "weight", "alpha", "samples", "ddim_steps", "ddim_start"}
"""Settings shown as written (``0.2``, ``1001``), never rounded to the decimals of a score."""
_SIGNIFICANT = {"p", "p_value", "smallest_p"}


def label(name: Any) -> str:
    """The human label of a column name or a method (``"p_wilcoxon"``: ``"p (Wilcoxon)"``, ``"kd"``: ``"Base-KD"``);
    any other name with its underscores as spaces."""
    if not isinstance(name, str):
        return name if isinstance(name, (int, float)) else str(name)
    if name in METHODS:
        return METHODS[name].label
    return LABELS.get(name, name.replace("_", " "))


def colour(method: str) -> str:
    """The colour of a method in every figure, by its name (``"kd"``) or its label (``"Base-KD"``)."""
    by_label = {cls.label: name for name, cls in METHODS.items()}
    return METHOD_COLOURS.get(by_label.get(method, method), "#333333")


def significant(value: float, digits: int = 2) -> str:
    """A p-value with ``digits`` significant digits, in plain notation down to 0.0001 (``0.042``, ``0.00012``)."""
    if not np.isfinite(value):
        return MISSING
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
    return f"{value:.{decimals}f}" if decimals <= 6 else f"{value:.{digits - 1}e}"


def out_of(counts: Iterable[float], totals: Iterable[float] | float) -> list[str]:
    """Counts with their denominators: ``["10 of 12", ...]`` (``–`` where the count is missing)."""
    counts = list(counts)
    totals = list(totals) if isinstance(totals, Iterable) else [totals] * len(counts)
    return [MISSING if pd.isna(c) else f"{c:.0f} of {t:.0f}" for c, t in zip(counts, totals)]


def _count(value: Any) -> str:
    """A count as an integer; a mean of counts that is not whole (seeds per dataset) with two decimals."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return MISSING
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _is_p(name: str) -> bool:
    return name in _SIGNIFICANT or name.startswith("p_") or name.startswith("p (") or name.endswith(" p")


def _key(column: Any) -> str:
    """The name a column's format is chosen by: the last level of a tuple that names a statistic, else the first."""
    if isinstance(column, tuple):
        names = [str(level) for level in column]
        return next((n for n in names if n in LABELS or _is_p(n) or n in _PLAIN), names[0])
    return str(column)


def _formatter(name: str, values: pd.Series, counts: Collection[str]) -> Any:
    """The format of one column from its name and values."""
    if pd.api.types.is_bool_dtype(values):
        return lambda v: "yes" if v else "no"
    if name in _PLAIN:
        return lambda v: MISSING if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v))
    if pd.api.types.is_integer_dtype(values) or name in counts or name.startswith("n_"):
        return _count
    if _is_p(name) and pd.api.types.is_numeric_dtype(values):
        return significant
    if pd.api.types.is_float_dtype(values):
        return lambda v: MISSING if pd.isna(v) else f"{v:.2f}"
    return lambda v: MISSING if v is None or (isinstance(v, float) and np.isnan(v)) else (
        f"{v:.2f}" if isinstance(v, float) else label(v) if isinstance(v, str) and v in METHODS else
        "yes" if v is True else "no" if v is False else str(v).replace(" -> ", " → "))


class Table(Styler):
    """A styled table whose plain-text form names its shape, not its memory address, so that a chapter executed
    twice gives the same bytes (the page shows the HTML)."""

    def __repr__(self) -> str:
        rows, columns = self.data.shape
        return f"<table: {rows} rows, {columns} columns>"


def table(frame: pd.DataFrame, percent: Collection[str] = (), counts: Collection[str] = (),
          caption: str | None = None) -> Styler:
    """``frame`` as the book shows a table: a pandas Styler with no index column (named index levels become the first
    columns), human headers (:func:`label`) and method labels, every column formatted by :func:`_formatter`.

    ``percent`` names columns on the 0–1 scale, shown ×100; ``counts`` names float columns that hold counts. Scores
    are expected ×100 already (the report functions compute them so); every number gets two decimals, p-values two
    significant digits. The HTML carries :data:`TABLE_CLASS` and an id derived from what the table shows (its headers,
    formatted cells and caption), so executing a chapter twice, or on a CPU whose last digits differ, gives the same
    bytes.
    """
    shown = frame.copy()
    numbered = isinstance(shown.index, pd.RangeIndex) and shown.index.name is None
    if not numbered:
        levels = shown.index.nlevels
        shown = shown.reset_index(names=[n if n is not None else "" for n in shown.index.names])
        if levels > 1:  # the outer level is shown once per group, as a grouped table reads
            outer = shown.columns[0]
            shown[outer] = shown[outer].astype(object).where(shown[outer].ne(shown[outer].shift()), "")
    for column in shown.columns:
        if _key(column) in percent:
            shown[column] = shown[column] * 100
    formats = {column: _formatter(_key(column), shown[column], counts) for column in shown.columns}
    cells = [[formats[column](value) for column, value in zip(shown.columns, row)]
             for row in shown.itertuples(index=False, name=None)]
    digest = hashlib.sha1(repr((list(shown.columns), cells, caption)).encode()).hexdigest()[:10]
    styler = Table(shown, uuid=digest, cell_ids=False)
    styler.format(formats)
    styler.format_index(label, axis="columns", level=list(range(shown.columns.nlevels)))
    styler.hide(axis="index")
    numeric = [i for i, column in enumerate(shown.columns) if pd.api.types.is_numeric_dtype(shown[column])
               and not pd.api.types.is_bool_dtype(shown[column])]
    styler.set_table_styles([{"selector": f"td.col{i}, th.col{i}", "props": "text-align: right;"} for i in numeric])
    styler.set_table_attributes(f'class="{TABLE_CLASS}"')
    if caption:
        styler.set_caption(caption)
    return styler


def use() -> None:
    """The figure style of the book: seaborn's white grid, sizes legible at the text column's width (figures are
    drawn 7 inches wide at 100 dpi, the column's width in pixels, so fonts are not shrunk on the page)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", rc={
        "figure.figsize": (7.0, 4.0), "figure.dpi": 100, "font.size": 11, "axes.titlesize": 11,
        "axes.labelsize": 11, "xtick.labelsize": 10, "ytick.labelsize": 10, "legend.fontsize": 9.5,
        "legend.title_fontsize": 10, "figure.titlesize": 12})


def check_parameters(**chosen: tuple[Any, Collection[Any]]) -> None:
    """Refuse a notebook parameter outside its choices, naming them: ``check_parameters(metric=(metric, ("auc_prc",
    "accuracy")))``.

    Raises:
        ValueError: naming the parameter, the value given and the choices.
    """
    for name, (value, choices) in chosen.items():
        if value not in choices:
            listed = ", ".join(repr(c) for c in choices)
            raise ValueError(f"parameter {name} = {value!r} is not one of the choices: {listed}")


def small_multiples(n: int, ncols: int = 3, height: float = 2.3, **kwargs: Any) -> tuple[Any, np.ndarray]:
    """A grid of ``n`` panels, ``ncols`` wide, at the text column's width, with the unused panels removed (so no
    empty frame is left) and the tick labels of every panel kept."""
    import matplotlib.pyplot as plt

    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(7.0, height * nrows + 0.6), squeeze=False, **kwargs)
    for axis in axes.flat[n:]:
        axis.remove()
    for axis in axes.flat[:n]:
        axis.tick_params(labelbottom=True, labelleft=True)
    return figure, axes.flat[:n]


def method_handles(methods: Mapping[str, str] | Iterable[str]) -> list[Any]:
    """Legend handles for ``methods`` (names or labels) in their colours, for a figure whose panels share one
    legend."""
    from matplotlib.lines import Line2D

    return [Line2D([], [], color=colour(m), marker="o", label=label(m)) for m in methods]
