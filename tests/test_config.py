"""The configuration layer: run keys stay what they were, and a method's settings reach it from one declaration."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import torch

from gdpd.cli import build_parser
from gdpd.config import DistillationSettings, config_key, setting
from gdpd.methods import METHODS, Batch, Distiller, Stage, build_distiller, register
from gdpd.models import LSTMClassifier, Outputs
from gdpd.presets import PRESETS, Variant, get_preset

# Every stored record is addressed by its key, so keys change only on purpose. The paper, budget-probe and smoke keys
# are those of the commit that introduced the configuration layer, computed by the code before it (5f1ee4e); the
# presets that train with the book's student budget (gdpd.presets.BOOK_STUDENT) got new keys when the budget probe
# chose it (250 epochs, warm-up 125, no early stopping), and the ablations' when their datasets were narrowed. Grids
# are pinned by a digest of their ``label:key`` lines.
GRID_DIGESTS = {
    "smoke": "c713018f12e3f5a2", "book": "f9c59590a24fecda", "zoo": "bad4f4d6b0a951c9",
    "paper": "f1a61d1bd2de3eb2", "budget-probe": "b463924b0041a643", "ablation-alpha": "385e9dcc882d0e62",
    "ablation-samples": "b3ca51f8d1d5968f", "ablation-warmup": "9be879e47acaa58f", "ablation-prior": "12bbbdad73f18159",
    "ablation-ddim": "1572510ff7b8fbd0", "ablation-conditioning": "eaad4d48f2a6207e",
    "ablation-protocol": "6c5df81014d98291", "ablation-schedule": "7e32b5fb8d80036a",
    "ablation-lambda": "2c4b6cba37cf8903", "uea": "4d100fe38ab40c09", "physionet": "8dcdb70abe6f34e5",
    "architectures": "2b98abae7c58d4bb", "paper-released-teacher": "70d9bcf607f3cf64",
    "paper-working-prior": "43dd40618305c413",
    "teacher-choice": "4f801e13a4619659", "prior-check": "48bc34e0ac8cc58a",
}


@pytest.mark.parametrize(
    ("method", "key"),
    [("base", "03a6d1846c8b18a6"), ("kd", "af01a98dc17c9d22"), ("fitnets", "b9e79d0ef59c8685"),
     ("gdpd", "4b46cd44aabef1cd")],
)
def test_paper_preset_keys_are_unchanged(method, key):
    config = get_preset("paper").config("GunPoint", 0.4, method, 1)
    assert config.key() == key
    assert config.teacher_run.key() == "052433af233fa937"


def test_a_method_key_holds_only_its_own_settings():
    paper = get_preset("paper")
    assert paper.config("GunPoint", 0.4, "gdpd", 1).to_dict()["method_config"] == {"hinton": True}
    assert "method_config" not in paper.config("GunPoint", 0.4, "kd", 1).to_dict()  # the Hinton term is GDPD's
    lam = get_preset("ablation-lambda").labelled_grid()
    assert [(label, config.method, config.key()) for label, config in lam[:3]] == [
        ("default", "base", "1a7eb5d5d1fddfe0"), ("default", "kd", "fb9aea7efe41a754"),
        ("default", "kd", "3897a3082438e46c"),
    ]


def test_ablation_variant_keys_are_unchanged():
    grid = get_preset("ablation-alpha").labelled_grid()
    assert [(label, config.key()) for label, config in grid[:3]] == [
        ("default", "7da1298b1f36545d"), ("alpha=0", "d20d99bd9123cf16"), ("alpha=0.25", "983564fabbdbf7ea"),
    ]


def test_every_preset_grid_keeps_its_keys_in_order():
    digests = {name: hashlib.sha256("".join(f"{label}:{config.key()}\n" for label, config in preset.labelled_grid())
                                    .encode()).hexdigest()[:16] for name, preset in PRESETS.items()}
    assert digests == GRID_DIGESTS


def test_a_setting_the_method_does_not_read_is_refused():
    smoke = get_preset("smoke")
    with pytest.raises(ValueError, match="method 'kd' has no setting samples"):
        smoke.config("GunPoint", 0.4, "kd", 1, samples=2)
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        smoke.config("GunPoint", 0.4, "nope", 1)
    with pytest.raises(ValueError, match="method 'base' has no setting weight"):  # lambda is refused like the rest
        smoke.config("GunPoint", 0.4, "base", 1, weight=10.0)


def test_every_default_is_stated_once():
    """A run option's or lambda's default appears as a literal only in the dataclass that declares it."""
    import ast
    from pathlib import Path

    from gdpd.config import DistillationSettings, RunConfig, field_default
    from gdpd.flags import RUN_FLAGS

    package = Path(__file__).resolve().parents[1] / "gdpd"
    defaults = {name: field_default(RunConfig, name) for name in RUN_FLAGS}
    defaults["weight"] = field_default(DistillationSettings, "weight")
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            # a default restated: dict.get("name", literal) or getattr(x, "name", literal)
            if isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[-2], ast.Constant):
                name, value = node.args[-2].value, node.args[-1]
                if name in defaults and isinstance(value, ast.Constant):
                    assert value.value != defaults[name], f"{path.name}:{node.lineno} restates the default of {name}"


def test_a_configuration_of_another_protocol_is_refused_with_the_fix():
    smoke = get_preset("smoke")
    with pytest.raises(ValueError, match="protocol version 1 is not the one this code runs .*check out the commit"):
        replace(smoke.config("GunPoint", 0.4, "base", 1), protocol=1)


def test_the_configuration_layer_imports_no_numerical_library():
    code = "import sys, gdpd.config; print(sorted({'torch', 'numpy', 'pandas'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


# A method with one setting, declared where its loss is; nothing else in the package names it.


@dataclass(frozen=True)
class EchoSettings(DistillationSettings):
    echo: float = setting(0.5, "how loudly the student echoes the teacher's logits")


class Echo(Distiller):
    """``L = CE + lambda * echo * MSE(s, t)`` on the logits: a method for this test only."""

    name = "echo"
    label = "Echo"
    description = "the student's logits pulled towards the teacher's"
    citation = "this test"
    Settings = EchoSettings

    def term(self, student: Outputs, teacher: Outputs, stage: Stage) -> torch.Tensor:
        return self.settings.echo * (student.logits - teacher.logits).pow(2).mean()


@pytest.fixture
def echo():
    register(Echo)
    yield Echo
    del METHODS["echo"]


def test_a_new_method_setting_is_a_flag_and_a_preset_override(echo):
    args = build_parser().parse_args(["run", "--dataset", "GunPoint", "--earliness", "0.4", "--method", "echo",
                                      "--echo", "0.25"])
    assert args.echo == 0.25 and "echo" in args.setting_names

    preset = replace(get_preset("smoke"), methods=("echo",), variants=(Variant("default", {}),
                                                                        Variant("loud", {"echo": 2.0})))
    (_, default), (_, loud) = preset.labelled_grid()[:2]
    assert loud.method_config == EchoSettings(echo=2.0)
    assert loud.to_dict()["method_config"] == {"echo": 2.0} and "method_config" not in default.to_dict()
    distiller = build_distiller("echo", LSTMClassifier(1, 2, hidden=4, layers=1), 4, loud.method_config)
    assert distiller.settings.echo == 2.0


def test_the_add_a_method_guide_runs(tmp_path, monkeypatch):
    """The example of the reproduce page, saved as a file and registered as the package registers its methods."""
    page = (Path(__file__).resolve().parents[1] / "book" / "reproduce.md").read_text()
    path = tmp_path / "mykd.py"
    path.write_text(page.split("## Add a method")[1].split("```python")[1].split("```")[0])
    spec = importlib.util.spec_from_file_location("mykd", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mykd", module)
    spec.loader.exec_module(module)
    register(module.MyKD)
    try:
        args = build_parser().parse_args(["run", "--dataset", "GunPoint", "--earliness", "0.4", "--method", "mykd",
                                          "--margin", "0.5"])
        config = get_preset("smoke").config("GunPoint", 0.4, "mykd", 1, margin=args.margin)
        distiller = build_distiller("mykd", LSTMClassifier(1, 2, hidden=4, layers=1), 4, config.method_config)
        teacher = Outputs(torch.randn(3, 2), torch.randn(3, 4), torch.randn(3, 5, 4))
        terms = distiller(Batch(torch.randn(3, 1, 5), torch.tensor([0, 1, 0]), teacher), Stage(0, warmup=False))
        assert set(terms) == {"ce", "mykd"} and config.to_dict()["method_config"] == {"margin": 0.5}
    finally:
        del METHODS["mykd"]
