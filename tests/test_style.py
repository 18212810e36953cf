"""The book's one table and figure style (gdpd.style), and that every chapter shows its tables through it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gdpd import style
from gdpd.methods import METHODS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _cells(html: str) -> list[list[str]]:
    """The text of every row of a rendered table, header row first."""
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]


def test_a_small_frame_is_formatted_as_the_book_shows_it():
    frame = pd.DataFrame({
        "earliness": [0.2, 0.2, 0.4], "method": ["gdpd", "kd", "gdpd"], "mean": [63.0512, 62.6, np.nan],
        "p_wilcoxon": [0.04213, 0.5, 0.000123], "n_datasets": [6.0, 6.0, 12.0], "competent": [True, False, True],
        "accuracy": [0.5, 0.25, 1.0],
    }).set_index(["earliness", "method"])
    rows = _cells(style.table(frame, percent=["accuracy"]).to_html())
    assert rows == [
        ["Earliness", "Method", "Mean ×100", "p (Wilcoxon)", "Datasets", "Competent", "Accuracy ×100"],
        ["0.2", "GDPD", "63.05", "0.042", "6", "yes", "50.00"],
        ["", "Base-KD", "62.60", "0.50", "6", "no", "25.00"],
        ["0.4", "GDPD", "–", "0.00012", "12", "yes", "100.00"],
    ]


def test_a_table_carries_the_marker_class_no_index_and_the_same_bytes_twice():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="dataset"))
    html = style.table(frame).to_html()
    assert f'class="{style.TABLE_CLASS}"' in html
    assert "row_heading" not in html and "index_name" not in html  # no index column
    assert html == style.table(frame.copy()).to_html()


def test_counts_come_with_their_denominators_and_p_values_with_two_significant_digits():
    assert style.out_of([10, 3, np.nan], [12, 6, 6]) == ["10 of 12", "3 of 6", "–"]
    assert style.out_of([2], 12) == ["2 of 12"]
    assert [style.significant(p) for p in (0.9123, 0.042, 1.0, 0.0)] == ["0.91", "0.042", "1.0", "0"]


def test_every_method_has_one_colour_and_a_label_that_is_its_name_in_the_paper():
    assert set(METHODS) <= set(style.METHOD_COLOURS)
    colours = [style.METHOD_COLOURS[m] for m in METHODS]
    assert len(set(colours)) == len(colours)
    assert style.colour("kd") == style.colour("Base-KD") == style.METHOD_COLOURS["kd"]
    assert style.label("kd") == "Base-KD" and style.label("p_wilcoxon") == "p (Wilcoxon)"
    assert style.label("some_new_column") == "some new column"


def test_a_bad_parameter_is_refused_with_the_choices_named():
    style.check_parameters(metric=("auc_prc", style.SCORES))
    with pytest.raises(ValueError, match=r"metric = 'acuracy' is not one of the choices: 'auc_prc', 'accuracy'"):
        style.check_parameters(metric=("acuracy", style.SCORES))


@pytest.mark.parametrize("notebook", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_table_a_chapter_shows_goes_through_the_shared_style(notebook):
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text())["cells"]
    tables = [("".join(o["data"]["text/html"]), i) for i, c in enumerate(cells) for o in c.get("outputs", [])
              if "<table" in "".join(o.get("data", {}).get("text/html", ""))]
    unstyled = [i for html, i in tables if f'class="{style.TABLE_CLASS}"' not in html]
    assert unstyled == [], f"{notebook}: cells {unstyled} show a table without gdpd.style.table"
    printed = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and "remove-cell" not in
               c["metadata"].get("tags", []) and any(o.get("name") == "stdout" for o in c.get("outputs", []))]
    assert printed == [], f"{notebook}: cells {printed} print their findings instead of rendering them"


TEACHING_CODE = {"01_inverse_problem", "03_distillation_walkthrough"}
"""The chapters whose code is what they teach: they show it, every other chapter folds it away."""


@pytest.mark.parametrize("notebook", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb") if p.stem not in TEACHING_CODE))
def test_results_chapters_fold_their_code_away(notebook):
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text())["cells"]
    shown = [i for i, c in enumerate(cells) if c["cell_type"] == "code"
             and not {"hide-input", "remove-cell", "remove-input"} & set(c["metadata"].get("tags", []))]
    assert shown == [], f"{notebook}: code cells {shown} are not folded (tag hide-input)"


def test_a_table_prints_its_shape_not_its_address():
    shown = style.table(pd.DataFrame({"auc_prc": [80.0, 81.5], "method": ["gdpd", "kd"]}))
    assert repr(shown) == "<table: 2 rows, 2 columns>"
