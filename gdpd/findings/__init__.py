"""What a results chapter's numbers show and what they do not: its analysed frame turned into sentences.

Every results chapter ends with a short section rendered by one ``*_ending`` function of this package: the findings
(ranks, paired differences, the harmonic-mean gap of the early classifiers, cost ratios) and the limits that the same
records set (their protocol version, how many datasets and seeds they cover, teachers that score below the students
they teach). Every number in those sentences is computed here from the chapter's frame when the chapter executes;
nothing is typed. The functions that compute return plain data (a DataFrame or a dict) and are tested on their own;
the ``*_ending`` functions return Markdown. Scores are x100 as in the paper, except the early classifiers' accuracy,
earliness and harmonic mean, which are fractions as in aeon.

Paired tests are two-sided Wilcoxon signed-rank tests over runs (:func:`gdpd.variants.paired_differences`); where a
chapter makes several, a difference is called significant at ``p < 0.05`` and the text says how many survive Holm's
correction over the chapter's comparisons (:func:`holm`).

The submodules:

- ``wording``: the wording every ending shares: the significance level, Holm's correction, a verdict, numbers and
  names in prose, the two bullet lists of an ending, and the limits of a selection (with the teachers below their
  students).
- ``comparisons``: the endings that compare on matched runs: the distiller zoo, the settings chapters against the
  baselines, the ablations against their default, the inflation of choosing lambda on the test split, and PhysioNet.
- ``early``: the early-classification ending: the harmonic-mean gap to the best aeon peer and what would tie it.
- ``cost``: the cost chapter's ending: the overhead of distillation per epoch, step, memory and inference.
"""

from gdpd.findings.comparisons import (
    ablation_ending,
    baseline_effects,
    lambda_ending,
    physionet_ending,
    selection_inflation,
    settings_ending,
    variant_effects,
    zoo_ending,
    zoo_standing,
)
from gdpd.findings.cost import cost_ending, cost_overhead
from gdpd.findings.early import accuracy_to_tie, earliness_to_tie, early_ending, early_gaps
from gdpd.findings.wording import holm, limits, teacher_shortfall, verdict, without_weak_teachers

__all__ = [
    "ablation_ending",
    "accuracy_to_tie",
    "baseline_effects",
    "cost_ending",
    "cost_overhead",
    "earliness_to_tie",
    "early_ending",
    "early_gaps",
    "holm",
    "lambda_ending",
    "limits",
    "physionet_ending",
    "selection_inflation",
    "settings_ending",
    "teacher_shortfall",
    "variant_effects",
    "verdict",
    "without_weak_teachers",
    "zoo_ending",
    "zoo_standing",
]
