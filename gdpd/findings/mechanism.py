"""The ending of the section *GDPD with a prior that learns*: whether the working-prior arm's prior learned, and what
that did to GDPD's margins (:mod:`gdpd.working_prior`)."""

from __future__ import annotations

import pandas as pd

from gdpd.claims import FAILS, HOLDS, POOLED, UNKNOWN
from gdpd.findings.wording import count, ending, nothing_to_conclude
from gdpd.prior_fit import CLEARLY_LEARNED, TRIVIAL_LOSS
from gdpd.results import method_label
from gdpd.style import label
from gdpd.working_prior import WORKING


_REACHES = {HOLDS: "reaches", FAILS: "does not reach", UNKNOWN: "may or may not reach"}


def _effect(row: pd.Series) -> str:
    """``"+1.20 [-0.40, +2.90] (paper +3.70): cannot tell with these data"``."""
    paper = f" (the paper's GDPD margin {row['paper']:+.2f})" if pd.notna(row["paper"]) and row["target"] else ""
    return f"{row['estimate']:+.2f} [{row['low']:+.2f}, {row['high']:+.2f}]{paper}: {row['verdict']}"


def mechanism_ending(effects: pd.DataFrame, census: pd.DataFrame, updates: int, n_stored: int, n_grid: int) -> str:
    """Markdown: how the arm's prior ended its warm-up against released GDPD's (median L_diff, runs clearly below
    the trivial loss, hint accuracy), then the arm's pooled margins over released GDPD, Base-KD and Base with their
    intervals and verdicts (:func:`gdpd.working_prior.arm_margins`), and the limits; ``n_stored`` of ``n_grid`` arm
    cells are stored."""
    arm = label(WORKING)
    if effects.empty:
        return nothing_to_conclude(f"no (dataset, earliness, seed) block holds {arm}, GDPD as released, Base-KD and "
                                   f"Base together yet ({n_stored} of the arm's {n_grid} cells are stored).")
    pooled = effects[effects["earliness"] == POOLED].set_index("rival")
    priors = census.groupby("method")
    ends, clear, hints = (priors["diffusion_end"].median(), priors["clearly_learned"].sum(),
                          priors["hint_accuracy"].mean())
    runs = priors.size()
    shows = [
        f"The arm's prior ({updates} prior updates per warm-up batch) ends its warm-up at a median L_diff of "
        f"{ends.get(WORKING, float('nan')):.2f}, clearly below the trivial {TRIVIAL_LOSS:g} (at most "
        f"{CLEARLY_LEARNED * TRIVIAL_LOSS:g}) in {clear.get(WORKING, 0)} of {runs.get(WORKING, 0)} runs; released "
        f"GDPD's at {ends.get('gdpd', float('nan')):.2f}, clearly below in {clear.get('gdpd', 0)} of "
        f"{runs.get('gdpd', 0)}.",
        f"Hints classified correctly by the student's head on validation at the kept epoch: "
        f"{hints.get(WORKING, float('nan')):.1f} % with the learning prior, {hints.get('gdpd', float('nan')):.1f} % "
        "as released.",
        *(f"{arm} − {method_label(rival)}, pooled over earliness: {_effect(pooled.loc[rival])}."
          for rival in pooled.index),
    ]
    against_kd = pooled.loc["kd", "verdict"] if "kd" in pooled.index else UNKNOWN
    conclusion = (f"With a prior that ends its warm-up clearly below the trivial loss in {clear.get(WORKING, 0)} of "
                  f"{runs.get(WORKING, 0)} runs, GDPD's margin over Base-KD {_REACHES[against_kd]} the paper's on "
                  "these cells.")
    levels = sorted({e for e in effects["earliness"] if e != POOLED})
    seeds = census.loc[census["method"] == WORKING, "seed"].nunique()
    limits = [f"{count(int(pooled['n_datasets'].max()), 'dataset')} and {count(seeds, 'seed')} so far; earliness "
              f"{', '.join(f'{e:g}' for e in levels)} only.",
              "The arm's setting was chosen on warm-up-only runs (the denoising loss on the training split), never "
              "on a test score; everything else is the released protocol with the teacher chosen on validation."]
    return ending(conclusion, shows, limits)
