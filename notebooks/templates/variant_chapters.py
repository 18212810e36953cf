"""The variant (ablation) chapters: one template notebook and one line per chapter in :data:`CHAPTERS`.

``make chapters`` (``python notebooks/templates/variant_chapters.py``) writes ``notebooks/<file>.ipynb`` for each
chapter from ``variant_chapter.ipynb``, executing nothing (``make notebooks`` executes the chapters): papermill's
translator writes the chapter's parameters into the template's ``parameters`` cell, the chapter's title and prose fill
its first cell, and the optional sections (cells tagged ``section-<name>``) that the chapter does not name are
dropped. The parameters become the cell's defaults rather than an injected cell because papermill replaces an
injected cell: ``papermill 16_ablation_protocol.ipynb out.ipynb -p metric accuracy`` must keep the chapter's preset.
Edit the template or this list, never a produced chapter: a test checks that the committed chapters are what this
script produces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import papermill
from papermill.translators import PythonTranslator

TEMPLATE = Path(__file__).resolve().parent / "variant_chapter.ipynb"
NOTEBOOKS = TEMPLATE.parents[1]
SECTION = "section-"


class Chapter(NamedTuple):
    """A variant chapter: its notebook's name, the preset it analyses, its title and opening prose, its extra
    parameters as (name, value, meaning) and the template's optional sections it keeps."""

    file: str
    preset: str
    title: str
    intro: str
    parameters: tuple[tuple[str, Any, str], ...] = ()
    sections: tuple[str, ...] = ()


CHAPTERS = (
    Chapter("11_ablation_alpha", "ablation-alpha", "The fusion weight alpha", r"""
GDPD starts the reverse diffusion from a fusion of the projected student feature and noise, weighted by $\alpha$
(chapter *The method*): $\alpha = 0$ ignores the student (unconditional sampling from the prior), $\alpha = 1$ feeds
the projected student feature itself. By default $\alpha$ is learned per sample; this chapter compares it with
fixed $\alpha \in \{0, 0.25, 0.5, 0.75, 1\}$ (`--alpha`) and shows the learned values over training.
""", sections=("alpha-history",)),
    Chapter("12_ablation_samples", "ablation-samples", "Hint samples per step J", r"""
GDPD draws $J$ hints per student feature and step and averages their classification losses (`--samples`). More
samples lower the variance of the hint loss and cost more: this chapter compares $J \in \{1, 2, 4, 8\}$ ($J = 1$
is the default) by score and by time per epoch.
""", sections=("samples-cost",)),
    Chapter("13_ablation_warmup", "ablation-warmup", "Warm-up", r"""
The prior is fitted on the teacher's features during a warm-up in which the student trains on cross-entropy alone;
then the hint loss starts and the prior gets no more denoising loss: it moves only through the hint loss's gradient.
This chapter varies the warm-up fraction of the book's student epochs over $\{0, 0.25, 0.5, 0.75\}$ (0.5 is the default) and
adds a run where the prior keeps training on its denoising loss after the warm-up (`--joint-prior`).
""", sections=("prior-fit",)),
    Chapter("19_ablation_prior", "ablation-prior", "A prior that learns", r"""
Chapter *Teacher and prior* finds that in the stored runs, under the paper's protocol and the book's cheaper one alike,
the prior ends its warm-up with an $\varepsilon$-loss above that of the denoiser that always predicts zero: it has not
learned the teacher's features, so GDPD's hints come from a map that the hint loss shapes afterwards. The warm-up gives
the prior one optimiser step per training batch, and on the small UCR training sets an epoch is one batch. This
chapter gives the prior more: 8 or 32 steps on its denoising loss per warm-up batch (`--prior-updates`), everything
else as in the book's protocol, and asks whether a prior that learns makes a better student.
""", sections=("prior-fit",)),
    Chapter("14_ablation_ddim", "ablation-ddim", "Diffusion steps and start", r"""
Hints are drawn with DDIM from step 400 of 1,000 in 5 steps. A reviewer asked how sensitive the method is to both:
this chapter varies the number of DDIM steps over $\{1, 2, 5, 10\}$ (from step 400) and the start step over
$\{200, 400, 600, 800\}$ (5 steps): a later start means more noise and more of the prior in the hint.
"""),
    Chapter("15_ablation_conditioning", "ablation-conditioning", "Noise fusion or guidance", r"""
A reviewer asked why GDPD conditions the prior by starting from a noisy fusion with the measurement rather than by
guidance. `--conditioning dps` replaces the fusion start by DPS-style likelihood guidance (Chung et al. 2023): the
reverse process starts from pure noise and each DDIM step is pushed along the gradient of the measurement error
$\lVert \mathrm{trans}(z_s) - \hat z_0 \rVert$ towards the projected student feature (chapter *The inverse problem*
shows both on a toy where the exact posterior is known).
"""),
    Chapter("16_ablation_protocol", "ablation-protocol", "Paper versus released code", r"""
The released code differs from the paper in protocol choices (chapter *The method*). This chapter measures what
each does to GDPD's score: the `truncate` prefix (the student sees the raw prefix) against the default `stretch`
(the prefix resampled to the full length), the extra Hinton KD term of the released script (`--hinton`), and the
learning-rate schedules (per batch, as released, and per epoch) against the book's constant rate.
""", parameters=(("schedule_preset", "ablation-schedule",
                  "the preset comparing the schedules where an epoch holds several batches"),),
            sections=("schedules", "prior-fit")),
)


def produce(chapter: Chapter, folder: Path = NOTEBOOKS) -> Path:
    """Write ``chapter``'s notebook into ``folder`` from the template, executing nothing."""
    values = {"preset": chapter.preset, **{name: value for name, value, _ in chapter.parameters}}
    defaults = papermill.inspect_notebook(str(TEMPLATE))
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ValueError(f"chapter {chapter.file} sets {unknown}, which the template's parameters cell lacks; add them "
                         "there with a default")
    notebook = nbformat.read(TEMPLATE, as_version=4)
    notebook.cells = [cell for cell in notebook.cells if _kept(cell, chapter.sections)]
    for cell in notebook.cells:
        cell.metadata.tags = [tag for tag in cell.metadata.tags if not tag.startswith(SECTION)]
        if "parameters" in cell.metadata.tags:
            cell.source = "\n".join(
                PythonTranslator.assign(name, PythonTranslator.translate(values[name]) if name in values
                                        else default["default"])
                for name, default in defaults.items()
            )
    rows = "".join(f"\n| `{name}` | {meaning} | `{json.dumps(value)}` |"
                   for name, value, meaning in chapter.parameters)
    fields = {"{title}": chapter.title, "{intro}": chapter.intro.strip("\n"), "{preset}": chapter.preset,
              "{file}": chapter.file, "{parameter_rows}": rows}
    for placeholder, text in fields.items():
        notebook.cells[0].source = notebook.cells[0].source.replace(placeholder, text)
    target = folder / f"{chapter.file}.ipynb"
    nbformat.write(notebook, target)
    return target


def _kept(cell: nbformat.NotebookNode, sections: tuple[str, ...]) -> bool:
    named = [tag[len(SECTION):] for tag in cell.metadata.get("tags", []) if tag.startswith(SECTION)]
    return not named or bool(set(named) & set(sections))


if __name__ == "__main__":
    for chapter in CHAPTERS:
        print(produce(chapter).relative_to(NOTEBOOKS.parent), file=sys.stderr)
