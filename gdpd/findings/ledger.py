"""The claims ledger: every claim of the paper that this book can test, and those it cannot, one row each.

A row holds the claim (paraphrased), where it stands in the paper, whose statement it is (the paper's, or a check of
this book's own), the quantity measured on the stored runs with its 95 % interval or p-value, the paper's value, the
verdict by :func:`gdpd.claims.verdict` (the rule :data:`gdpd.claims.RULE` states), what should temper it (datasets
that are not the paper's, teachers below their students, a prior that did not learn, the protocol) and the chapter
with the evidence. Every measured number is computed from the store when the ledger is built; the paper's numbers
come from ``data/paper_reported*.csv`` and :data:`PAPER_COST`. The page that shows the rows is
:mod:`gdpd.findings.ledger_page`.

Why this module is long: it holds one small builder per part of the paper the ledger reads (Table 1, fidelity,
Table 2, the ablations, cost, the mechanism, what cannot be tested), and they share the row format and its caveats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from gdpd import working_prior
from gdpd.claims import (POOLED, Pair, dataset_scores, friedman_tests, margins,
                         paper_margins, pool, run_differences, verdict)
from gdpd.findings.wording import count, listing, teacher_shortfall, weak_teachers
from gdpd.presets import PAPER_DATASETS as RELEASED_LOADER_DATASETS
from gdpd.presets import Preset, get_preset
from gdpd.prior_fit import prior_fit
from gdpd.report import PAPER_CSV, device_note, read_paper
from gdpd.results import BLOCK, Selection, method_label, select_analysis
from gdpd.statistics import (N_RESAMPLES, SEED, bootstrap_mean, datasets_needed, hierarchical_bootstrap, rank_statistic,
                              wilcoxon_holm)
from gdpd.store import ResultStore

PAPER_DATASETS = 12
"""The number of UCR datasets the paper's Table 1 averages over (their names are not public)."""
PAPER_COST = 0.24
"""Seconds per training epoch that GDPD adds to Base in the paper's reply on wall-clock cost: the paper's number."""
PAPER_ZOO_CSV = PAPER_CSV.with_name("paper_reported_zoo.csv")
PRESETS = {"table1": "paper-released-teacher", "zoo": "zoo", "samples": "ablation-samples",
           "warmup": "ablation-warmup", "physionet": "physionet", "mechanism": working_prior.ARM,
           "released": working_prior.REFERENCE}
"""The presets whose runs the ledger reads, by the part of the paper they test."""
METRIC_LABELS = {"auc_prc": "AUC-PRC", "accuracy": "accuracy", "roc_auc": "ROC-AUC", "fidelity": "fidelity"}
COLUMNS = ["id", "claim", "where", "whose", "quantity", "unit", "kind", "better", "null", "estimate", "low", "high",
           "n_datasets", "p_value", "paper", "target", "verdict", "detail", "caveat", "chapter"]
WHOSE = ("paper", "this book's check")


class Source(NamedTuple):
    """What a group of rows reads: a preset, its analysed runs, and the prior's census of its analysed GDPD runs."""

    preset: Preset
    selection: Selection
    prior: pd.DataFrame


def open_source(store: ResultStore, name: str) -> Source:
    """The preset ``name``, its :func:`gdpd.results.select_analysis` selection and the :func:`gdpd.prior_fit.prior_fit`
    rows of the analysed runs."""
    preset = get_preset(name)
    selection = select_analysis(store, preset)
    prior = prior_fit(store, preset) if not selection.empty else pd.DataFrame(columns=["key", "learned"])
    return Source(preset, selection, prior[prior["key"].isin(selection.frame.get("key", []))])


def caveat(source: Source, metric: str, weights: bool = True) -> str:
    """What tempers a verdict on ``source``'s runs, computed from them: their datasets against the paper's twelve,
    the teachers below their students (:func:`gdpd.findings.teacher_shortfall`), the prior's state at the end of the
    warm-up, the students' budget and, with ``weights``, the distillation weight."""
    frame, student = source.selection.frame, source.preset.student
    parts = [f"{count(frame['dataset'].nunique(), 'offline dataset')}, not the paper's {PAPER_DATASETS}"]
    shortfall, below = teacher_shortfall(frame, metric), weak_teachers(frame, metric)
    parts.append(f"weak teacher (below its students' mean) on {len(below)} of {len(shortfall)}"
                 + (f" ({listing(below)})" if below else ""))
    if len(source.prior):
        parts.append(f"prior not below the trivial loss after warm-up in {int((~source.prior['learned']).sum())} of "
                     f"{len(source.prior)} GDPD runs")
    parts.append(f"students {student.epochs} epochs, warm-up {student.warmup_epochs}")
    chosen = source.preset.weights
    if weights:
        parts.append(f"λ = {chosen[0]:g} for every distiller" if len(chosen) == 1 else
                     f"λ among {listing([f'{w:g}' for w in chosen])} chosen on validation")
        parts[-1] += " (the paper chose λ per dataset on the test split)"
    return "; ".join(parts)


def _row(id_: str, claim: str, where: str, whose: str, quantity: str, unit: str, kind: str, chapter: str,
         estimate: float = np.nan, low: float = np.nan, high: float = np.nan, n_datasets: int = 0,
         p_value: float = np.nan, paper: float = np.nan, target: float = np.nan, null: float = 0.0,
         better: str = "higher", detail: str = "", caveat: str = "") -> dict[str, Any]:
    """One ledger row, its verdict computed by :func:`gdpd.claims.verdict` from its own numbers; the detail says
    when the datasets are too few for any verdict."""
    needed = datasets_needed()
    if kind != "untestable" and n_datasets < needed:
        detail = f"{count(n_datasets, 'dataset')}, fewer than the {needed} a verdict needs; " + detail
    return {"id": id_, "claim": claim, "where": where, "whose": whose, "quantity": quantity, "unit": unit,
            "kind": kind, "better": better, "null": null, "estimate": estimate, "low": low, "high": high,
            "n_datasets": n_datasets, "p_value": p_value, "paper": paper, "target": target,
            "verdict": verdict(kind, estimate, low, high, target, null, better, n_datasets, p_value),
            "detail": detail, "caveat": caveat, "chapter": chapter}


def _possessive(label: str) -> str:
    """``"Base's"``, ``"FitNets'"``."""
    return label + ("'" if label.endswith("s") else "'s")


def _per_earliness(table: pd.DataFrame) -> str:
    """The verdicts of a pair's rows of :func:`gdpd.claims.margins` at each earliness, e.g.
    ``"per earliness: does not hold at 0.2, 0.4; cannot tell at 0.6"``."""
    levels = table[table["earliness"] != POOLED]
    parts = [f"{v.removesuffix(' with these data')} at {listing([f'{e:g}' for e in rows['earliness']])}"
             for v, rows in levels.groupby("verdict", sort=False)]
    return "per earliness: " + "; ".join(parts)


def _wide(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Runs x100 indexed (dataset, seed), one column per method (one earliness)."""
    return frame.pivot_table(index=["dataset", "seed"], columns="method", values=metric, aggfunc="mean").dropna() * 100


def table1_rows(source: Source, paper: pd.DataFrame, metric: str = "auc_prc", n_resamples: int = N_RESAMPLES,
                seed: int = SEED) -> list[dict[str, Any]]:
    """Table 1's statements: GDPD's margins over Base, Base-KD and FitNets and every distiller above Base (pooled
    over earliness, with the verdict per earliness as detail), GDPD's average rank and top-1 share where the paper
    states them; and this book's checks over datasets: Friedman's test pooled, GDPD against each baseline by
    Wilcoxon-Holm."""
    frame, chapter, note = source.selection.frame, "04_main_results", caveat(source, metric)
    label = METRIC_LABELS.get(metric, metric)
    effects = margins(frame, paper, metric, n_resamples=n_resamples, seed=seed)
    friedmans = friedman_tests(frame, metric).set_index("earliness")
    rows = []
    for (method, rival), table in effects.groupby(["method", "rival"], sort=False):
        pooled = table[table["earliness"] == POOLED].iloc[0]
        spread = paper_margins(paper, method, rival).reindex(table["earliness"]).dropna()
        head, other = method_label(method), method_label(rival)
        claim = (f"{_possessive(head)} mean is above {_possessive(other)} by {spread.min():.2f} to "
                 f"{spread.max():.2f} points (at each earliness)" if method == "gdpd" else
                 f"Every distiller beats Base: {_possessive(head)} mean is above {_possessive(other)} (at each "
                 "earliness)")
        rows.append(_row(f"T1 {head} − {other}", claim, "Table 1", "paper",
                         f"{head} − {other}, mean {label} ×100 over datasets, pooled over earliness", "points",
                         "effect", chapter, pooled.estimate, pooled.low, pooled.high, pooled.n_datasets,
                         paper=pooled.paper, target=pooled.target, detail=_per_earliness(table), caveat=note))
    reported = paper[(paper["method"] == "gdpd") & paper["average_rank"].notna()]
    for entry in reported.itertuples():
        runs = _wide(frame[frame["earliness"] == entry.earliness], metric)
        if runs.empty:
            continue
        k, column = runs.shape[1], list(runs.columns).index("gdpd")
        rank = hierarchical_bootstrap(runs, rank_statistic(column), n_resamples, seed)
        test = friedmans.loc[entry.earliness]
        rows.append(_row(f"T1 rank e={entry.earliness:g}", f"GDPD's average rank among the {k} methods at "
                         f"earliness {entry.earliness:g} is {entry.average_rank:.2f} (1 = best)", "Table 1, text",
                         "paper", f"GDPD's average rank among {k}", "rank", "effect", chapter, *rank,
                         paper=entry.average_rank, target=entry.average_rank, null=(k + 1) / 2, better="lower",
                         detail=f"Iman–Davenport p = {test.p_iman_davenport:.2g} at this earliness; Nemenyi's "
                                f"critical difference {test.critical_difference:.2f} ranks", caveat=note))
        best = hierarchical_bootstrap(runs, rank_statistic(column, top=1), n_resamples, seed)
        share = entry.top1 / PAPER_DATASETS
        rows.append(_row(f"T1 top-1 e={entry.earliness:g}", f"GDPD is the best method on {int(entry.top1)} of the "
                         f"{PAPER_DATASETS} datasets at earliness {entry.earliness:g}", "Table 1, text", "paper",
                         "share of datasets where GDPD is best", "share", "effect", chapter, *best, paper=share,
                         target=share, null=1 / k, caveat=note,
                         detail=f"best on {round(best.estimate * best.n_datasets)} of {best.n_datasets}"))
    rows.append(_friedman_row("T1 Friedman", "The four methods differ over datasets (pooled over earliness)",
                              friedmans.loc[POOLED], chapter, note))
    tests = wilcoxon_holm(dataset_scores(frame, metric)[POOLED], "gdpd").set_index("rival")
    for rival, test in tests.iterrows():
        rows.append(_wilcoxon_row(f"T1 test GDPD − {method_label(rival)}", f"GDPD scores above "
                                  f"{method_label(rival)} over datasets (pooled over earliness)", rival, tests,
                                  chapter, note))
    return rows


def _wilcoxon_row(id_: str, claim: str, rival: str, tests: pd.DataFrame, chapter: str, note: str) -> dict[str, Any]:
    """A row for GDPD against ``rival`` in a :func:`gdpd.statistics.wilcoxon_holm` table (by rival), on its
    Holm-adjusted p-value, with the smallest that the datasets allow."""
    test = tests.loc[rival]
    return _row(id_, claim, "—", "this book's check", f"two-sided Wilcoxon over {int(test.n_datasets)} dataset "
                f"means, Holm over {len(tests)}; GDPD − {method_label(rival)} ×100", "points", "test", chapter,
                test.mean_difference, n_datasets=int(test.n_datasets), p_value=test.p_holm, caveat=note,
                detail="the smallest Holm-adjusted p these datasets allow: "
                       f"{min(1.0, len(tests) * test.smallest_p):.2g}")


def _friedman_row(id_: str, claim: str, test: pd.Series, chapter: str, note: str) -> dict[str, Any]:
    """A row for one Friedman test (a row of :func:`gdpd.claims.friedman_tests`), on its Iman-Davenport p-value."""
    return _row(id_, claim, "—", "this book's check", f"Iman–Davenport F over {int(test.n_datasets)} datasets and "
                f"{int(test.n_methods)} methods", "F", "test", chapter, test.iman_davenport,
                n_datasets=int(test.n_datasets), p_value=test.p_iman_davenport,
                detail=f"Friedman χ² = {test.chi2:.2f}, p = {test.p_chi2:.2g}; Nemenyi's critical difference "
                       f"{test.critical_difference:.2f} ranks", caveat=note)


def fidelity_rows(source: Source, metric: str = "auc_prc", n_resamples: int = N_RESAMPLES,
                  seed: int = SEED) -> list[dict[str, Any]]:
    """Figure 2's statement: GDPD's top-1 agreement with the teacher above Base-KD's and FitNets' at every
    earliness (pooled, with the verdict per earliness as detail); the caveat compares teachers on ``metric``."""
    pairs = (Pair("gdpd", "kd", False), Pair("gdpd", "fitnets", False))
    effects = margins(source.selection.frame, None, "fidelity", pairs, n_resamples, seed)
    note = caveat(source, metric)
    rows = []
    for rival, table in effects.groupby("rival", sort=False):
        pooled = table[table["earliness"] == POOLED].iloc[0]
        rows.append(_row(f"F GDPD − {method_label(rival)}", f"GDPD agrees with its teacher more often than "
                         f"{method_label(rival)} (at each earliness)", "Figure 2", "paper",
                         f"GDPD − {method_label(rival)}, fidelity ×100, pooled over earliness", "points", "effect",
                         "05_fidelity", pooled.estimate, pooled.low, pooled.high, pooled.n_datasets, target=0.0,
                         detail=_per_earliness(table), caveat=note))
    return rows


def zoo_rows(source: Source, reported: pd.Series, metric: str = "auc_prc", n_resamples: int = N_RESAMPLES,
             seed: int = SEED) -> list[dict[str, Any]]:
    """Table 2's statements (``reported``: the paper's GDPD row, ``average_rank`` and ``top3_share``): GDPD's
    average rank among the distillers and its top-3 share; this book's checks: Friedman's test, and GDPD against
    its best-ranked rival by Wilcoxon-Holm over the rivals."""
    frame, chapter, note = source.selection.frame, "06_kd_zoo", caveat(source, metric)
    earliness = sorted(frame["earliness"].unique())
    runs = _wide(frame, metric)
    k, column = runs.shape[1], list(runs.columns).index("gdpd")
    at = f"at earliness {listing([f'{e:g}' for e in earliness])}"
    rank = hierarchical_bootstrap(runs, rank_statistic(column), n_resamples, seed)
    top3 = hierarchical_bootstrap(runs, rank_statistic(column, top=3), n_resamples, seed)
    scores = dataset_scores(frame, metric)[POOLED]
    tests = wilcoxon_holm(scores, "gdpd").set_index("rival")
    rival = scores.drop(columns="gdpd").rank(axis=1, ascending=False).mean().idxmin()
    return [
        _row("T2 rank", f"GDPD's average rank among the {k} methods {at} is {reported['average_rank']:.2f} (1 = best)",
             "Table 2", "paper", f"GDPD's average rank among {k}", "rank", "effect", chapter, *rank,
             paper=reported["average_rank"], target=reported["average_rank"], null=(k + 1) / 2, better="lower",
             caveat=note),
        _row("T2 top-3", f"GDPD is among the best three on {100 * reported['top3_share']:.0f} % of the datasets",
             "Table 2", "paper", "share of datasets where GDPD is among the best three", "share", "effect", chapter,
             *top3, paper=reported["top3_share"], target=reported["top3_share"], null=3 / k, caveat=note),
        _friedman_row("T2 Friedman", f"The {k} methods differ over datasets",
                      friedman_tests(frame, metric).set_index("earliness").loc[POOLED], chapter, note),
        _wilcoxon_row("T2 test GDPD − best rival", f"GDPD scores above the best-ranked other method, "
                      f"{method_label(rival)}, over datasets", rival, tests, chapter, note),
    ]


def ablation_row(source: Source, id_: str, claim: str, where: str, alternatives: tuple[str, ...], chapter: str,
                 metric: str = "auc_prc", reference: str = "default", n_resamples: int = N_RESAMPLES,
                 seed: int = SEED) -> dict[str, Any]:
    """A claim that the paper's setting (``reference``) scores at least as well as each of ``alternatives``:
    ``reference`` minus the alternative with the best mean, GDPD's runs matched on (dataset, earliness, seed) and
    pooled over earliness; the alternative is chosen by its mean, which favours finding one that beats the
    reference."""
    frame = source.selection.frame
    runs = frame[frame["method"] == "gdpd"].pivot_table(index=BLOCK, columns="variant", values=metric) * 100
    differences = {v: pool(runs[reference] - runs[v]).dropna() for v in alternatives if v in runs.columns}
    best = min(differences, key=lambda v: differences[v].mean())
    interval = bootstrap_mean(differences[best], n_resamples, seed)
    return _row(id_, claim, where, "paper", f"GDPD `{reference}` − `{best}` (the best alternative by mean), "
                f"{METRIC_LABELS.get(metric, metric)} ×100, pooled over earliness", "points", "effect", chapter,
                *interval, target=0.0, caveat=caveat(source, metric, weights=False),
                detail=f"means against `{reference}`: " + ", ".join(f"`{v}` {-d.mean():+.2f}"
                                                                  for v, d in differences.items()))


def cost_row(source: Source, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    """The paper's cost: GDPD's seconds per training epoch minus Base's, on runs matched on (dataset, earliness,
    seed) and pooled over earliness, against :data:`PAPER_COST`."""
    frame = source.selection.frame
    differences = pool(run_differences(frame, "seconds_per_epoch", "gdpd", "base", scale=1.0))
    interval = bootstrap_mean(differences, n_resamples, seed)
    ratio = frame.groupby("method")["seconds_per_epoch"].median()
    return _row("Cost", f"GDPD adds about {PAPER_COST:g} s per training epoch to Base",
                "Reply on wall-clock cost", "paper", "GDPD − Base, seconds per training epoch, pooled over earliness",
                "seconds", "bound", "04_main_results", *interval, paper=PAPER_COST, target=PAPER_COST, better="lower",
                detail=f"median ratio GDPD / Base {ratio['gdpd'] / ratio['base']:.2f}× (measured alone: chapter "
                       "*What distillation costs*)",
                caveat=f"{device_note(frame)}, runs sharing the machine; the paper's on its own hardware")


def untestable_rows(table1: Source, physionet: Source) -> list[dict[str, Any]]:
    """What this book cannot test: Table 1's levels over the paper's unnamed datasets, and the PhysioNet case study
    (whether its data is in the checkout and how much of its grid is stored are computed)."""
    from gdpd.data import PHYSIONET_DIR
    from gdpd.physionet import is_physionet2012_folder

    present = is_physionet2012_folder(PHYSIONET_DIR)
    selection, ours = physionet.selection, set(table1.selection.frame["dataset"])
    return [
        _row("Levels", f"Table 1's levels: means over the paper's {PAPER_DATASETS} UCR datasets", "Table 1",
             "paper", "—", "—", "untestable", "04_main_results",
             caveat=f"the paper does not name its datasets; this book runs {count(len(ours), 'offline dataset')}, "
                    f"{len(ours & set(RELEASED_LOADER_DATASETS))} of them in the released loader's list, so levels "
                    "differ with the datasets and only margins, ranks and shares compare"),
        _row("PhysioNet", "GDPD helps an early ICU-mortality classifier (PhysioNet/CinC 2012)", "Case study",
             "paper", "—", "—", "untestable", "10_physionet",
             caveat=("the challenge data is in this checkout" if present else
                     "the challenge data is not in this checkout (its licence forbids redistribution)")
                    + f"; {selection.n_stored} of {selection.n_grid} cells of its grid are stored"),
    ]


def mechanism_row(store: ResultStore, arm: Source, released: Source, metric: str = "auc_prc",
                  n_resamples: int = N_RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    """The paper's account of its margin (Sec. 3: hints sampled near the teacher's feature manifold by a diffusion
    prior that learned it), tested where the prior does learn: the working-prior arm (:mod:`gdpd.working_prior`)
    minus Base-KD on the same blocks, pooled over the arm's earliness levels, held to the paper's GDPD − Base-KD
    margin over the same levels; untestable until one (dataset, earliness, seed) block holds the arm and its
    rivals."""
    frame = working_prior.comparison_frame(store, arm.preset, released.preset)
    quantity = (f"GDPD with a prior that learns − Base-KD, {METRIC_LABELS.get(metric, metric)} ×100, pooled over "
                f"e = {', '.join(f'{e:g}' for e in arm.preset.earliness)}")
    where = "Sec. 3 (the prior's role)"
    claim = "With a diffusion prior that learns, GDPD reaches its margin over Base-KD"
    if frame.empty:  # not testable until a block holds the arm and its rivals
        return _row("Mechanism", claim, where, "paper", "—", "—", "untestable", "04_main_results",
                    caveat=f"no (dataset, earliness, seed) block holds the arm and its rivals yet "
                           f"({arm.selection.n_stored} of the arm's {arm.selection.n_grid} cells stored)")
    effects = working_prior.arm_margins(frame, read_paper(), metric, n_resamples, seed)
    pooled = effects[effects["earliness"] == POOLED].set_index("rival")
    census = working_prior.prior_census(store, frame, arm.preset, released.preset)
    clear = census.groupby("method")["clearly_learned"].agg(["sum", "size"])
    kd, released_gdpd = pooled.loc["kd"], pooled.loc["gdpd"]
    ours, theirs = clear.loc[working_prior.WORKING], clear.loc["gdpd"]
    return _row("Mechanism", claim, where, "paper", quantity, "points", "effect", "04_main_results",
                kd["estimate"], kd["low"], kd["high"], int(kd["n_datasets"]), paper=kd["paper"], target=kd["target"],
                detail=(f"prior clearly learned in {ours['sum']} of {ours['size']} arm runs (released GDPD: "
                        f"{theirs['sum']} of {theirs['size']}); against released GDPD {released_gdpd['estimate']:+.2f} "
                        f"[{released_gdpd['low']:+.2f}, {released_gdpd['high']:+.2f}]"),
                caveat=caveat(released, metric))


def claims_ledger(store: ResultStore | None = None, presets: Mapping[str, str] = PRESETS, metric: str = "auc_prc",
                  n_resamples: int = N_RESAMPLES, seed: int = SEED) -> pd.DataFrame:
    """The ledger from the store (:data:`COLUMNS`): the rows of :func:`table1_rows`, :func:`fidelity_rows`,
    :func:`zoo_rows`, the ablations' :func:`ablation_row` (J samples, warm-up), :func:`cost_row`,
    :func:`mechanism_row` and :func:`untestable_rows`, each on the runs of its preset in ``presets`` (by part, as
    :data:`PRESETS`)."""
    store = ResultStore() if store is None else store
    sources = {part: open_source(store, name) for part, name in presets.items()}
    table1, zoo = sources["table1"], sources["zoo"]
    rows = [*table1_rows(table1, read_paper(), metric, n_resamples, seed),
            *fidelity_rows(table1, metric, n_resamples, seed),
            *zoo_rows(zoo, pd.read_csv(PAPER_ZOO_CSV, comment="#").set_index("method").loc["gdpd"], metric,
                      n_resamples, seed),
            ablation_row(sources["samples"], "Ablation J", "One hint sample per step (J = 1) suffices: more samples "
                         "do not score higher", "Method (J samples)", ("J=2", "J=4", "J=8"), "12_ablation_samples",
                         metric, n_resamples=n_resamples, seed=seed),
            ablation_row(sources["warmup"], "Ablation warm-up", "A warm-up of about half the epochs scores at least "
                         "as well as a shorter or longer one", "Warm-up ablation",
                         ("warm-up 0", "warm-up 0.25", "warm-up 0.75"), "13_ablation_warmup", metric,
                         n_resamples=n_resamples, seed=seed),
            cost_row(table1, n_resamples, seed),
            mechanism_row(store, sources["mechanism"], sources["released"], metric, n_resamples, seed),
            *untestable_rows(table1, sources["physionet"])]
    return pd.DataFrame(rows, columns=COLUMNS)
