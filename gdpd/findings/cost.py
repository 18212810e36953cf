"""The cost chapter's ending: GDPD's overhead over Base per distillation epoch and step, in memory and at inference,
and over Base-KD across batch sizes and student widths."""

from __future__ import annotations

from typing import Any

import pandas as pd

from gdpd.findings.wording import count, ending, listing, nothing_to_conclude
from gdpd.results import method_label


def cost_overhead(frame: pd.DataFrame, method: str = "gdpd", reference: str = "base",
                  shape: dict[str, int] | None = None, scaling_reference: str = "kd") -> dict[str, Any]:
    """From the cost chapter's measurements (:func:`gdpd.cost.cost_frame`): ``method`` against ``reference`` at
    ``shape`` (default :data:`gdpd.cost.BOOK_SHAPE`) with one hint sample, and its overhead over
    ``scaling_reference`` in the batch-size and width sweeps.

    Keys: ``epoch_ratio`` and ``step_ratio`` (distillation seconds per epoch and median seconds per step over the
    reference's), ``memory_mb`` (the two peaks), ``inference_ratio``, ``same_parameters`` (every method's student
    has as many parameters as the reference's), ``cheaper`` (methods with a shorter distillation epoch than
    ``method``'s), ``noise`` (the smallest ratio to the reference of any other method; below 1 it is timing
    noise), ``threads``, and ``sweeps`` (sweep field -> Series of ``method`` / ``scaling_reference`` seconds per
    step). An empty dict where either method is not measured at ``shape``.
    """
    from gdpd.cost import BATCH_SIZES, BOOK_SHAPE, WIDTHS

    shape = BOOK_SHAPE if shape is None else shape
    if frame.empty:
        return {}
    single = frame[frame["samples"] == 1]
    book = single
    for field, value in shape.items():
        book = book[book[field] == value]
    book = book.set_index("method")
    if not {method, reference} <= set(book.index):
        return {}
    ratio = book["distillation_s_per_epoch"] / book.loc[reference, "distillation_s_per_epoch"]
    sweeps = {}
    for field, values, fixed in (("batch_size", BATCH_SIZES, {"cases": 256, "hidden": shape["hidden"]}),
                                 ("hidden", WIDTHS, {"cases": shape["cases"], "batch_size": shape["batch_size"]})):
        part = single[single[field].isin(values)]
        for key, value in fixed.items():
            part = part[part[key] == value]
        steps = part.pivot_table(index=field, columns="method", values="s_per_step")
        if {method, scaling_reference} <= set(steps.columns):
            sweeps[field] = (steps[method] / steps[scaling_reference]).dropna()
    return {
        "epoch_ratio": float(ratio[method]),
        "step_ratio": float(book.loc[method, "s_per_step"] / book.loc[reference, "s_per_step"]),
        "memory_mb": (float(book.loc[method, "peak_rss_mb"]), float(book.loc[reference, "peak_rss_mb"])),
        "inference_ratio": float(book.loc[method, "inference_s_per_100"] / book.loc[reference, "inference_s_per_100"]),
        "same_parameters": bool((book["student_parameters"] == book.loc[reference, "student_parameters"]).all()),
        "n_methods": len(book), "cheaper": sorted(ratio.index[ratio < ratio[method]].drop(reference, errors="ignore")),
        "noise": float(ratio.drop(index=reference).min()), "threads": sorted(int(t) for t in book["threads"].unique()),
        "sweeps": sweeps,
    }


def cost_ending(frame: pd.DataFrame, method: str = "gdpd", reference: str = "base") -> str:
    """Markdown: ``method``'s overhead factor over ``reference`` per distillation epoch and step, its memory and
    inference, how the overhead over Base-KD moves with batch size and width, and the limits of the measurements."""
    overhead = cost_overhead(frame, method, reference)
    label, base = method_label(method), method_label(reference)
    if not overhead:
        return nothing_to_conclude(f"{label} or {base} is not measured at the book's shape; `gdpd cost` measures "
                                   "what the store lacks.")
    memory = overhead["memory_mb"]
    shows = [
        (f"{label}'s distillation epoch takes {overhead['epoch_ratio']:.2f}× {base}'s and its median step "
         f"{overhead['step_ratio']:.2f}×; its peak memory is {memory[0]:.0f} MB against {memory[1]:.0f} MB."),
        f"{len(overhead['cheaper'])} of the other {overhead['n_methods'] - 1} methods have a shorter distillation "
        f"epoch than {label}" + (f" ({listing([method_label(m) for m in overhead['cheaper']])})"
                                 if overhead["cheaper"] else "") + ".",
        ("Every method's student has the same number of parameters" if overhead["same_parameters"] else
         "The students' parameter counts differ between methods (they should not)")
        + f", and {label}'s student infers in {overhead['inference_ratio']:.2f}× {base}'s time: distillation adds "
        "nothing at inference.",
    ]
    names = {"batch_size": "batch size", "hidden": "student width"}
    for field, ratio in overhead["sweeps"].items():
        shows.append(f"{label}'s step over {method_label('kd')}'s, by {names[field]}: " + ", ".join(
            f"{ratio[v]:.2f}× at {v}" for v in ratio.index) + f"; the overhead is largest at {ratio.idxmax()}.")
    threads = overhead["threads"]
    threads = count(threads[0], "thread") if len(threads) == 1 else f"{listing([str(t) for t in threads])} threads"
    limits_ = [
        (f"Synthetic series of one shape, on a CPU with {threads}: the LSTM's cost grows with the series "
         "length and the hint's with the batch and width, so other shapes and a GPU shift the ratios."),
        f"The smallest ratio of any other method to {base} is {overhead['noise']:.2f}"
        + (": a method doing more work measured faster, so differences of that size are timing noise."
           if overhead["noise"] < 1 else "; no method measured faster than Base, so the timing noise is not seen "
           "here."),
    ]
    conclusion = (f"{label} costs {overhead['epoch_ratio']:.2f}× {base}'s time per distillation epoch and nothing "
                  "at inference" + (", where its student matches every other method's in size."
                                    if overhead["same_parameters"] else "."))
    return ending(conclusion, shows, limits_)
