"""The claims ledger's page: the ledger's rows (:mod:`gdpd.findings.ledger`) as Markdown tables with lettered notes,
the one-sentence headline of its verdicts, and the verdict in three sentences that the landing page, the README and
the main results open with."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gdpd.claims import FAILS, HOLDS, POOLED, UNKNOWN, dataset_scores
from gdpd.findings.ledger import METRIC_LABELS, PAPER_DATASETS, Source
from gdpd.findings.wording import count
from gdpd.results import method_label
from gdpd.statistics import wilcoxon_holm


def _value(value: float, unit: str) -> str:
    """A measured or reported value in its unit: points and seconds signed with two decimals, ranks and F with two,
    shares in per cent."""
    if not np.isfinite(value):
        return "—"
    formats = {"share": f"{100 * value:.0f} %", "points": f"{value:+.2f}", "seconds": f"{value:+.2f} s"}
    return formats.get(unit, f"{value:.2f}")


def _ours(row: Any) -> str:
    """The measured cell: the estimate with its interval, or with its p-value for a test, and the detail."""
    if row.kind == "untestable":
        return "—"
    if row.kind == "test":
        cell = f"{_value(row.estimate, row.unit)} (p = {row.p_value:.2g})"
    else:
        cell = f"{_value(row.estimate, row.unit)} [{_value(row.low, row.unit)}, {_value(row.high, row.unit)}]"
    return cell + (f"; {row.detail}" if row.detail else "")


def ledger_markdown(ledger: pd.DataFrame) -> str:
    """Markdown: the ledger as up to three tables (the paper's claims, this book's checks, what this book cannot
    test), one row per claim, with what tempers each verdict as a lettered note below (the notes repeat across
    rows)."""
    notes = {text: chr(ord("a") + i) for i, text in enumerate(dict.fromkeys(ledger["caveat"]))}
    sections = (("The paper's claims", (ledger["whose"] == "paper") & (ledger["kind"] != "untestable")),
                ("This book's checks", ledger["whose"] == "this book's check"),
                ("What this book cannot test", ledger["kind"] == "untestable"))
    out = []
    for title, mask in ((title, mask) for title, mask in sections if mask.any()):
        out.append(f"**{title}**\n\n| Claim | In the paper | Measured | Paper | Ours | Verdict | Temper with | "
                   "Evidence |\n|---|---|---|---|---|---|---|---|")
        for row in ledger[mask].itertuples():
            out.append(f"| {row.claim} | {row.where} | {row.quantity} | {_value(row.paper, row.unit)} | "
                       f"{_ours(row)} | **{row.verdict}** | ({notes[row.caveat]}) | {{doc}}`{row.chapter}` |")
        out.append("")
    out.append("**Notes.**\n\n" + "\n".join(f"- ({letter}) {text}." for text, letter in notes.items()))
    return "\n".join(out)


def _tally(counts: pd.Series) -> str:
    """The verdicts counted in words: "1 holds, 9 do not hold and 6 cannot be told with these data"."""
    holds, fails, unknown = (int(counts.get(verdict, 0)) for verdict in (HOLDS, FAILS, UNKNOWN))
    return (f"{holds} {'holds' if holds == 1 else 'hold'}, {fails} {'does' if fails == 1 else 'do'} not hold and "
            f"{unknown} cannot be told with these data")


def headline(ledger: pd.DataFrame, subject: str = "the paper's claims") -> str:
    """One sentence: of the paper's claims among ``ledger``'s rows that these data can reach, how many hold, do not
    hold and cannot be told; how many it cannot test."""
    paper = ledger[ledger["whose"] == "paper"]
    tested, untested = paper[paper["kind"] != "untestable"], paper[paper["kind"] == "untestable"]
    counts = tested["verdict"].value_counts()
    return (f"Of {subject} that this book can test ({len(tested)}), **{_tally(counts)}**"
            + (f"; {count(len(untested), 'more claim')} it cannot test." if len(untested) else "."))



_REACHES = {HOLDS: "reaches the paper's margin over Base", FAILS: "falls short of the paper's margin over Base",
            UNKNOWN: "may or may not reach the paper's margin over Base: these runs cannot tell"}
_MECHANISM = {HOLDS: "the margin the paper credits to its mechanism is reached",
              FAILS: "the margin the paper credits to its mechanism is not reached",
              UNKNOWN: "whether the margin the paper credits to its mechanism is reached cannot be told yet"}


def verdict_summary(ledger: pd.DataFrame, table1: Source, metric: str = "auc_prc",
                    subject: str = "the paper's claims") -> str:
    """The verdict in three plain sentences, computed from ``ledger`` and the runs of Table 1's preset
    (``table1``): GDPD against Base with its interval beside the paper's margin (naming the teacher), the count of
    verdicts, and what tempers them (datasets that are not the paper's, seeds not yet computed, datasets too few for
    a test to decide, a prior that did not learn, and what the ledger's mechanism row measured where it does).
    ``subject`` names the rows counted (e.g. ``"Table 1's statements"`` for :func:`table1_rows` alone). What the
    landing page, the README and the top of the main results say first."""
    base = ledger.set_index("id").loc[f"T1 GDPD − {method_label('base')}"]
    paper = ledger[(ledger["whose"] == "paper") & (ledger["kind"] != "untestable")]
    counts = paper["verdict"].value_counts()
    frame = table1.selection.frame
    n_datasets = frame["dataset"].nunique()
    label = METRIC_LABELS.get(metric, metric)
    teacher = ("the teacher trained as the released code trains it" if table1.preset.teacher.choice != "val_accuracy"
               else "this book's teacher")
    first = (f"On the {n_datasets} offline UCR datasets this book runs under the paper's own protocol, with {teacher}, "
             f"GDPD {_REACHES[base.verdict]}: pooled over earliness, GDPD's mean {label} minus Base's is "
             f"{base.estimate:+.2f} points (95 % interval {base.low:+.2f} to {base.high:+.2f}), where the paper "
             f"reports {base.paper:+.2f}.")
    second = f"Of {subject} that this book can test ({len(paper)}), {_tally(counts)}."
    tempers = [f"these are not the paper's {PAPER_DATASETS} datasets, which it does not name"]
    selection, planned = table1.selection, len(table1.preset.seeds)
    if selection.rule == "complete seeds" and len(selection.complete_seeds) < planned:
        tempers.append(f"the runs hold {len(selection.complete_seeds)} of the {planned} seeds the grid plans (the "
                       "others are not computed yet)")
    elif selection.rule == "complete blocks":
        tempers.append(f"the runs are the complete (dataset, earliness, seed) blocks of a grid still being computed "
                       f"({selection.n_stored} of {selection.n_grid} cells stored)")
    tests = wilcoxon_holm(dataset_scores(frame, metric)[POOLED], "gdpd")
    smallest = min(1.0, len(tests) * float(tests["smallest_p"].min()))
    if smallest >= 0.05:
        tempers.append(f"{n_datasets} datasets are too few for a test over datasets to find any difference (the "
                       f"smallest p-value they allow, after Holm's correction, is {smallest:.2g})")
    prior = table1.prior
    if len(prior) and not prior["learned"].all():
        tempers.append(f"in {int((~prior['learned']).sum())} of {len(prior)} GDPD runs the diffusion prior had not "
                       "learned the teacher's features by the end of its warm-up, so these runs test GDPD as the "
                       "paper's schedule trains it, not with a working prior")
    mechanism = ledger[(ledger["id"] == "Mechanism") & (ledger["kind"] != "untestable")]
    for row in mechanism.itertuples():
        datasets = count(int(row.n_datasets), "dataset")
        tempers.append(f"where the prior does learn (the ledger's mechanism row, {datasets} and the seeds stored so "
                       f"far), GDPD's margin over Base-KD is {row.estimate:+.2f} (95 % "
                       f"interval {row.low:+.2f} to {row.high:+.2f}) against the paper's {row.paper:+.2f}, so "
                       f"{_MECHANISM[row.verdict]}")
    return f"{first} {second} Temper this with what limits it: " + "; ".join(tempers) + "."
