"""What each distillation method costs: training time per step and per epoch, peak memory, and inference.

The costs are measured on synthetic series of the book's shape (one channel, ``length`` steps, LSTM students and
teacher) so that they depend on the method alone. Each measurement runs in a fresh Python process, so its peak
resident memory (``ru_maxrss``) is its own. Training is timed separately for the warm-up stage (cross-entropy only,
plus the prior's fit for GDPD) and the distillation stage; inference is the deployed student's forward pass over
``inference_cases`` series, which is the same network for every method (distillation adds no inference cost).

Results are stored as JSON under ``<store>/cost/<key>.json`` with the configuration and provenance, so the cost
chapter renders from them and ``gdpd cost`` recomputes only what is missing. Like a run's, a measurement's key holds
the protocol version (:data:`gdpd.config.PROTOCOL_VERSION`): GDPD's cost depends on its denoiser block, which version
2 changed, so the measurements of an earlier version are never read as current ones.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import torch

from gdpd.config import PROTOCOL_VERSION, MethodSettings, config_key, require_current_protocol
from gdpd.methods import METHODS, Stage, build_distiller, method_class
from gdpd.models import LSTMClassifier, count_parameters, predict_outputs
from gdpd.provenance import provenance
from gdpd.store import ResultStore
from gdpd.train import Split, batch_indices

__all__ = [
    "CostConfig", "book_shape_costs", "chapter_configs", "cost_frame", "measure", "measure_in_subprocess",
    "samples_costs",
]


@dataclass(frozen=True)
class CostConfig:
    """One cost measurement: a method at a training-set size, series length, student width and batch size, and for
    GDPD the number ``samples`` of hints drawn per case and step (the paper's J)."""

    method: str
    cases: int = 64
    length: int = 100
    hidden: int = 100
    layers: int = 3
    batch_size: int = 64
    epochs: int = 8
    inference_cases: int = 256
    threads: int = 1
    samples: int = 1
    protocol: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        require_current_protocol(self.protocol, "measure")
        if self.epochs < 2 or self.cases < 2 or self.batch_size < 2:
            raise ValueError("epochs, cases and batch_size must be >= 2 (one warm-up and one distillation epoch)")
        if self.samples != 1 and "samples" not in method_class(self.method).Settings.names():
            raise ValueError(f"method {self.method!r} draws no hint samples; measure samples other than 1 for gdpd")
        self.settings()  # the method's own checks (samples >= 1), at configuration time

    def settings(self) -> MethodSettings:
        """The measured method's settings: its defaults, with ``samples`` hints per case and step for GDPD."""
        return method_class(self.method).Settings(**({"samples": self.samples} if self.samples != 1 else {}))

    def stored_fields(self) -> dict[str, Any]:
        """The fields a record stores and its key hashes: ``samples`` only when it is not 1 (one hint was the only
        setting before the field existed), and always the protocol version."""
        fields = asdict(self)
        if fields["samples"] == 1:
            del fields["samples"]
        return fields

    def key(self) -> str:
        return config_key(self.stored_fields())


BOOK_SHAPE = {"cases": 128, "length": 100, "hidden": 100, "layers": 3, "batch_size": 64}
SCALING_METHODS = ("kd", "gdpd")
BATCH_SIZES = (16, 64, 256)
WIDTHS = (32, 100, 200)
SAMPLES = (1, 2, 4, 8)


def chapter_configs(methods: tuple[str, ...] = tuple(METHODS)) -> list[CostConfig]:
    """The cost chapter's measurements: every method at the book's shape, then Base-KD and GDPD by batch size (on
    256 series) and by student width (LSTM units, three layers), and GDPD by hint samples J at the book's shape."""
    configs = [CostConfig(method, **BOOK_SHAPE) for method in methods]
    configs += [CostConfig(m, **{**BOOK_SHAPE, "cases": 256, "batch_size": b}) for m in SCALING_METHODS
                for b in BATCH_SIZES]
    configs += [CostConfig(m, **{**BOOK_SHAPE, "hidden": w}) for m in SCALING_METHODS for w in WIDTHS]
    configs += [CostConfig("gdpd", **BOOK_SHAPE, samples=j) for j in SAMPLES]
    return list(dict.fromkeys(configs))


def measure(config: CostConfig) -> dict[str, Any]:
    """Time ``epochs // 2`` warm-up epochs, as many distillation epochs, and the student's inference, in this process.

    Returns seconds per epoch of each stage, the median seconds per distillation step (one optimiser step on one
    batch; the median resists the odd slow step of a shared machine), the
    student's inference seconds per 100 series, its parameter count, and this process's peak resident memory in MB.
    """
    torch.set_num_threads(config.threads)
    torch.manual_seed(0)
    x = torch.randn(config.cases, 1, config.length)
    y = torch.randint(0, 2, (config.cases,))
    teacher = LSTMClassifier(1, 2, hidden=100, layers=3).eval()
    train = Split(x, y, predict_outputs(teacher, x))
    student = LSTMClassifier(1, 2, hidden=config.hidden, layers=config.layers)
    distiller = build_distiller(config.method, student, teacher.feature_dim, config.settings())
    optimizer = torch.optim.Adam(distiller.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    per_epoch: dict[str, float] = {}
    step_seconds: list[float] = []
    for warmup in (True, False):
        started = time.perf_counter()
        for epoch in range(config.epochs // 2):
            for index in batch_indices(config.cases, config.batch_size, generator):
                step_started = time.perf_counter()
                terms = distiller(train.batch(index), Stage(epoch, warmup))
                loss = torch.stack(list(terms.values())).sum()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if not warmup:
                    step_seconds.append(time.perf_counter() - step_started)
        per_epoch["warmup" if warmup else "distillation"] = (time.perf_counter() - started) / (config.epochs // 2)
    cases = torch.randn(config.inference_cases, 1, config.length)
    predict_outputs(student, cases)
    started = time.perf_counter()
    predict_outputs(student, cases)
    inference = (time.perf_counter() - started) / config.inference_cases * 100
    return {
        "warmup_s_per_epoch": per_epoch["warmup"],
        "distillation_s_per_epoch": per_epoch["distillation"],
        "s_per_step": statistics.median(step_seconds),
        "inference_s_per_100": inference,
        "student_parameters": count_parameters(student),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_in_subprocess(config: CostConfig) -> dict[str, Any]:
    """:func:`measure` in a fresh interpreter, so the peak memory is the measurement's own: ``{"metrics": ...,
    "provenance": ...}``, the provenance of the measuring process (its thread count is the configuration's)."""
    command = [sys.executable, "-m", "gdpd.cost", json.dumps(asdict(config))]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cost measurement of {config} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def cost_frame(
    configs: list[CostConfig], store: ResultStore | None = None, compute: bool = False, progress: bool = False
) -> pd.DataFrame:
    """One row per configuration: its fields and measured costs, read from ``<store>/cost`` or measured there.

    With ``compute=False`` configurations not yet measured are left out.
    """
    from tqdm.auto import tqdm

    store = store if store is not None else ResultStore()
    rows = []
    for config in tqdm(configs, desc="cost", unit="measurement", disable=not progress):
        record = store.get_side("cost", config.key())
        if record is None and compute:
            record = {"key": config.key(), "config": config.stored_fields(), **measure_in_subprocess(config)}
            store.put_side("cost", record)
            record = store.get_side("cost", config.key())  # rows read as stored, whether measured now or before
        if record is not None:
            fields = asdict(CostConfig(**record["config"]))  # older records lack fields added since, at defaults
            rows.append({**fields, **record["metrics"], "created": record["provenance"]["created"]})
    return pd.DataFrame(rows)


def book_shape_costs(methods: tuple[str, ...], store: ResultStore | None = None) -> pd.DataFrame:
    """Stored fresh-process measurements of ``methods`` at :data:`BOOK_SHAPE`: one row per method with its seconds
    per training step and peak resident memory (MB); methods not yet measured (``gdpd cost``) are left out."""
    frame = cost_frame([CostConfig(m, **BOOK_SHAPE) for m in methods], store)
    if frame.empty:
        return pd.DataFrame(columns=["s_per_step", "peak_rss_mb"])
    return frame.set_index("method")[["s_per_step", "peak_rss_mb"]]


def samples_costs(store: ResultStore | None = None) -> pd.DataFrame:
    """Stored fresh-process measurements of GDPD at :data:`BOOK_SHAPE` by hint samples J (:data:`SAMPLES`): seconds
    per distillation step and per epoch, peak resident memory (MB) and the step time over J = 1's."""
    frame = cost_frame([CostConfig("gdpd", **BOOK_SHAPE, samples=j) for j in SAMPLES], store)
    columns = ["s_per_step", "distillation_s_per_epoch", "peak_rss_mb"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    table = frame.set_index("samples")[columns]
    if 1 in table.index:
        table["step vs J=1"] = table["s_per_step"] / table.loc[1, "s_per_step"]
    return table


if __name__ == "__main__":
    measured = measure(CostConfig(**json.loads(sys.argv[1])))
    print(json.dumps({"metrics": measured, "provenance": provenance(torch.device("cpu"))}))
