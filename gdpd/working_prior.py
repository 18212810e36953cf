"""GDPD with a prior that learns: the paper protocol's Table 1 cells with a GDPD arm whose diffusion prior is trained.

Under the released schedule GDPD's prior ends its warm-up no better than the denoiser that predicts zero
(:data:`gdpd.prior_fit.TRIVIAL_LOSS`), so Table 1 tests GDPD without the mechanism the paper credits (Sec. 3: hints
sampled near the teacher's feature manifold). The *working-prior* arm (preset ``paper-working-prior``) is GDPD as
released with more prior updates per warm-up batch (``GDPDSettings.prior_updates``), the fewest that the
``prior-check`` preset's warm-up-only runs show to end clearly below the trivial loss on every dataset
(:func:`gdpd.prior_fit.working_prior_updates`, read on the training split alone). Everything else about its cells
(teacher, students, seeds, lambda = 1) is the ``paper-released-teacher`` preset's, so the arm sits beside released
GDPD, Base-KD and Base on the same (dataset, earliness, seed) blocks.

In the frames here the arm's runs carry the method code :data:`WORKING`, so the claims' functions
(:func:`gdpd.claims.margins`) compare it like any method.
"""

from __future__ import annotations

import pandas as pd

from gdpd.claims import Pair, margins
from gdpd.presets import Preset, get_preset
from gdpd.prior_fit import CLEARLY_LEARNED, TRIVIAL_LOSS, prior_fit
from gdpd.results import BLOCK, select_analysis
from gdpd.statistics import N_RESAMPLES, SEED
from gdpd.store import ResultStore

WORKING = "gdpd-working-prior"
"""The method code of the working-prior arm's runs in a comparison frame (its label: ``GDPD, prior that learns``)."""
ARM = "paper-working-prior"
REFERENCE = "paper-released-teacher"
RIVALS = ("gdpd", "kd", "base")
PAIRS = (Pair(WORKING, "gdpd", False), Pair(WORKING, "kd", True), Pair(WORKING, "base", True))
"""The arm against released GDPD (a direction: does a learning prior help at all?) and against Base-KD and Base
(the paper's margins for GDPD, which the mechanism is credited with)."""


def comparison_frame(store: ResultStore, arm: Preset | None = None, reference: Preset | None = None) -> pd.DataFrame:
    """The analysed runs of the arm (method :data:`WORKING`) and of :data:`RIVALS` in the reference preset, at the
    arm's earliness levels, on the (dataset, earliness, seed) blocks where all four are stored."""
    arm = get_preset(ARM) if arm is None else arm
    reference = get_preset(REFERENCE) if reference is None else reference
    ours = select_analysis(store, arm).frame.assign(method=WORKING)
    theirs = select_analysis(store, reference).frame
    if ours.empty or theirs.empty:
        return pd.DataFrame(columns=theirs.columns)
    theirs = theirs[theirs["method"].isin(RIVALS) & theirs["earliness"].isin(arm.earliness)]
    frame = pd.concat([theirs, ours], ignore_index=True)
    methods = frame.groupby(BLOCK)["method"].nunique()
    complete = methods[methods == len(RIVALS) + 1].index
    return frame[frame.set_index(BLOCK).index.isin(complete)].reset_index(drop=True)


def paper_with_arm(paper: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 1 with GDPD's rows repeated as :data:`WORKING`: the margins the paper credits to GDPD's
    mechanism are the ones the working-prior arm is held to."""
    return pd.concat([paper, paper[paper["method"] == "gdpd"].assign(method=WORKING)], ignore_index=True)


def arm_margins(frame: pd.DataFrame, paper: pd.DataFrame | None = None, metric: str = "auc_prc",
                n_resamples: int = N_RESAMPLES, seed: int = SEED) -> pd.DataFrame:
    """:func:`gdpd.claims.margins` of :data:`PAIRS` on a :func:`comparison_frame`: per earliness and pooled, the
    mean over datasets of the arm minus each rival x100 and its 95 % hierarchical bootstrap interval, with the
    margin ``paper`` (:func:`gdpd.report.read_paper`, of AUC-PRC) reports for GDPD and the verdict."""
    return margins(frame, None if paper is None else paper_with_arm(paper), metric, PAIRS, n_resamples, seed)


def prior_census(store: ResultStore, frame: pd.DataFrame, arm: Preset | None = None,
                 reference: Preset | None = None) -> pd.DataFrame:
    """One row per GDPD run of ``frame`` (the arm's and released GDPD's): :func:`gdpd.prior_fit.prior_fit`'s
    columns with ``method`` and ``clearly_learned`` (L_diff at the end of the warm-up at most
    :data:`gdpd.prior_fit.CLEARLY_LEARNED` x the trivial loss)."""
    arm = get_preset(ARM) if arm is None else arm
    reference = get_preset(REFERENCE) if reference is None else reference
    keys = set(frame.get("key", []))
    parts = [prior_fit(store, preset).assign(method=method)
             for preset, method in ((reference, "gdpd"), (arm, WORKING))]
    census = pd.concat(parts, ignore_index=True)
    census = census[census["key"].isin(keys)].reset_index(drop=True)
    return census.assign(clearly_learned=census["diffusion_end"] <= CLEARLY_LEARNED * TRIVIAL_LOSS)


def census_summary(census: pd.DataFrame) -> pd.DataFrame:
    """Per method and earliness: the runs, the median L_diff at the end of the warm-up (the trivial denoiser scores
    1), the share of runs below the trivial loss and clearly below it (x100), and the mean share of validation hints
    the student classifies correctly beside its accuracy on prefixes (x100)."""
    groups = census.groupby(["method", "earliness"], sort=False)
    return pd.DataFrame({
        "runs": groups.size(),
        "diffusion_end": groups["diffusion_end"].median(),
        "learned_share": 100 * groups["learned"].mean(),
        "clearly_learned_share": 100 * groups["clearly_learned"].mean(),
        "hint_accuracy": groups["hint_accuracy"].mean(),
        "val_accuracy": groups["val_accuracy"].mean(),
    })
