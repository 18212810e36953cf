"""What a results chapter's numbers show and what they do not: its analysed frame turned into sentences.

Every results chapter ends with a short section rendered by one ``*_ending`` function of this package: the findings
(ranks, paired differences, the harmonic-mean gap of the early classifiers, cost ratios) and the limits that the same
records set (how many datasets and seeds they cover, teachers that score below the students they teach). Every
number in those sentences is computed here from the chapter's frame when the chapter executes; nothing is typed.
The functions that compute return plain data (a DataFrame or a dict) and are tested on their own; the ``*_ending``
functions return Markdown. Scores are x100 as in the paper, the early classifiers' accuracy,
earliness and harmonic mean included (aeon reports them as fractions).

Effects come first, with 95 % intervals from a hierarchical bootstrap (datasets, then seeds within each;
:mod:`gdpd.statistics`). Tests are over datasets, two-sided Wilcoxon signed-rank tests on the dataset means with
Holm's correction over a chapter's comparisons (:func:`holm`), and the endings say when the datasets are too few for
any test to decide; counts over (dataset, seed) runs are descriptive. The settings chapters and the PhysioNet case
study still count paired runs (:func:`gdpd.variants.paired_differences`) and say their p-values are descriptive.

The submodules:

- ``wording``: the wording every ending shares: the significance level, Holm's correction, a verdict, numbers and
  names in prose, the two bullet lists of an ending, and the limits of a selection (with the teachers below their
  students).
- ``comparisons``: the endings that compare on matched runs: the settings chapters against the baselines, the
  ablations against their default, the inflation of choosing lambda on the test split, and PhysioNet.
- ``zoo``: the distiller zoo's ending: GDPD's place among the distillers, its effect against the best-ranked rival
  and the tests over datasets.
- ``early``: the early-classification verdict and ending: the harmonic-mean gap to the best aeon peer, with its
  interval over seeds, and what would tie it.
- ``cost``: the cost chapter's ending: the overhead of distillation per epoch, step, memory and inference.
- ``ledger``: the claims ledger: every claim of the paper this book can test, measured, with its verdict by the rule
  of :mod:`gdpd.claims`, and those it cannot test.
- ``ledger_page``: the ledger as the page shows it, its headline and the verdict in three sentences.
"""

from gdpd.findings.comparisons import (
    ablation_ending,
    baseline_effects,
    lambda_ending,
    physionet_ending,
    selection_inflation,
    variants_ending,
    variant_effects,
)
from gdpd.findings.cost import cost_ending, cost_overhead
from gdpd.findings.early import accuracy_to_tie, earliness_to_tie, early_ending, early_gaps
from gdpd.findings.ledger import claims_ledger
from gdpd.findings.ledger_page import headline, ledger_markdown, verdict_summary
from gdpd.findings.wording import limits, teacher_shortfall, verdict, weak_teachers, without_weak_teachers
from gdpd.findings.zoo import zoo_ending, zoo_standing, zoo_table
from gdpd.statistics import holm

__all__ = [
    "ablation_ending",
    "accuracy_to_tie",
    "baseline_effects",
    "claims_ledger",
    "cost_ending",
    "cost_overhead",
    "earliness_to_tie",
    "early_ending",
    "early_gaps",
    "headline",
    "holm",
    "lambda_ending",
    "ledger_markdown",
    "limits",
    "physionet_ending",
    "selection_inflation",
    "variants_ending",
    "teacher_shortfall",
    "variant_effects",
    "verdict",
    "verdict_summary",
    "weak_teachers",
    "without_weak_teachers",
    "zoo_ending",
    "zoo_standing",
    "zoo_table",
]
