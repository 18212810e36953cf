import json
import subprocess
import sys

import pandas as pd
import pytest

from gdpd.cli import main
from gdpd.config import PROTOCOL_VERSION
from gdpd.presets import get_preset
from gdpd.store import COMMITTED_ROOT


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_methods_lists_the_registry_with_labels_citations_and_settings(capsys):
    from gdpd.methods import METHODS

    code, out, _ = _run(capsys, "methods")
    assert code == 0
    heads = [line.split(maxsplit=1) for line in out.splitlines() if not line.startswith(" ")]
    assert [name for name, _ in heads] == list(METHODS)  # the paper's methods first (tests/test_methods.py)
    assert all(rest.startswith(cls.label) for (_, rest), cls in zip(heads, METHODS.values()))
    assert "Hinton et al." in out and "settings: weight, temperature, alpha, beta" in out


def test_run_json_prints_metrics(capsys, tmp_path):
    argv = ["run", "--dataset", "GunPoint", "--earliness", "0.4", "--method", "gdpd", "--seed", "1",
            "--preset", "smoke", "--json", "--results", str(tmp_path)]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    payload = json.loads(out)
    assert {"auc_prc", "accuracy", "fidelity", "key", "config"} <= set(payload)
    assert (tmp_path / "runs" / "GunPoint" / f"{payload['key']}.json").exists()
    code, again, _ = _run(capsys, *argv)
    assert json.loads(again)["auc_prc"] == payload["auc_prc"]


def test_results_folder_from_environment(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("GDPD_RESULTS", str(tmp_path))
    code, _, _ = _run(capsys, "run", "--dataset", "UnitTest", "--earliness", "0.5", "--method", "base",
                      "--preset", "smoke")
    assert code == 0
    assert list((tmp_path / "runs" / "UnitTest").glob("*.json"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "GunPoint", "--earliness", "1.5", "--method", "gdpd"], "earliness must be in (0, 1]"),
        (["--dataset", "GunPoint", "--earliness", "0", "--method", "gdpd"], "earliness must be in (0, 1]"),
        (["--dataset", "GunPoint", "--earliness", "0.01", "--method", "gdpd"], "at least 2"),
        (["--dataset", "NoSuchSet", "--earliness", "0.4", "--method", "gdpd"], "unknown"),
        (["--dataset", "GunPoint", "--earliness", "0.4", "--method", "nope"], "unknown method"),
        (["--dataset", "GunPoint", "--earliness", "0.4", "--method", "gdpd", "--alpha", "2"], "alpha"),
        (["--dataset", "GunPoint", "--earliness", "0.4", "--method", "gdpd", "--ddim-steps", "0"], "steps"),
        (["--dataset", "GunPoint", "--earliness", "0.4", "--method", "base", "--weight", "5"],
         "method 'base' has no setting weight"),
        (["--dataset", "GunPoint", "--earliness", "0.4", "--method", "kd", "--channel-fraction", "0"],
         "channel_fraction must be in (0, 1]"),
    ],
)
def test_bad_input_exits_nonzero_and_writes_nothing(capsys, tmp_path, args, message):
    code, out, err = _run(capsys, "run", *args, "--preset", "smoke", "--results", str(tmp_path))
    assert code == 2
    assert message in err
    assert out == ""
    assert not any(tmp_path.iterdir())


def _write_ts(folder, name, rows):
    """A minimal univariate .ts pair; ``rows`` maps split to (series, label) pairs."""
    for split, cases in rows.items():
        body = "\n".join(",".join(str(v) for v in series) + f":{label}" for series, label in cases)
        header = (f"@problemName {name}\n@timeStamps false\n@missing true\n@univariate true\n"
                  f"@equalLength true\n@seriesLength 6\n@classLabel true a b\n@data\n")
        (folder / f"{name}_{split}.ts").write_text(header + body + "\n")


@pytest.mark.parametrize(
    "train, problem",
    [
        ([([1, 2, 3, 4, 5, 6], "a")] * 5 + [([6, 5, 4, 3, 2, 1], "b")], "class"),
        ([(["NaN"] * 6, "a")] + [([1, 2, 3, 4, 5, 6], "a")] * 4 + [([6, 5, 4, 3, 2, 1], "b")] * 4, "NaN"),
    ],
)
def test_bad_local_datasets_are_refused(capsys, tmp_path, train, problem):
    folder = tmp_path / "Tiny"
    folder.mkdir()
    _write_ts(folder, "Tiny", {"TRAIN": train, "TEST": [([1, 2, 3, 4, 5, 6], "a"), ([6, 5, 4, 3, 2, 1], "b")]})
    results = tmp_path / "results"
    code, _, err = _run(capsys, "run", "--dataset", str(folder), "--earliness", "0.5", "--method", "base",
                        "--preset", "smoke", "--results", str(results))
    assert code == 2
    assert problem.lower() in err.lower()
    assert not results.exists()


def test_path_without_ts_files(capsys, tmp_path):
    code, _, err = _run(capsys, "run", "--dataset", str(tmp_path), "--earliness", "0.5", "--method", "base",
                        "--preset", "smoke", "--results", str(tmp_path / "r"))
    assert code == 2 and ".ts" in err


@pytest.mark.slow
def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "gdpd.cli", "methods"], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "base"


def test_cross_architecture_and_compression_from_the_cli(capsys, tmp_path):
    code, out, err = _run(capsys, "run", "--dataset", "UnitTest", "--earliness", "0.5", "--method", "kd",
                          "--preset", "smoke", "--architecture", "resnet", "--hidden", "4", "--layers", "1",
                          "--teacher-architecture", "inception", "--teacher-hidden", "4", "--teacher-layers", "3",
                          "--results", str(tmp_path), "--json")
    assert code == 0, err
    config = json.loads(out)["config"]
    assert config["architecture"] == "resnet" and config["teacher"]["architecture"] == "inception"


@pytest.mark.slow
def test_grid_table_export_and_rerun(capsys, tmp_path):
    results = str(tmp_path / "results")
    assert main(["grid", "--preset", "smoke", "--datasets", "UnitTest", "--results", results, "--threads", "1"]) == 0
    assert "4 computed" in capsys.readouterr().out
    code, out, _ = _run(capsys, "table", "--preset", "smoke", "--results", results)
    assert code == 0 and "auc_prc x100" in out and "average_rank" in out
    assert "Base-KD" in out and " kd " not in out  # labels, and no bare index column
    assert out.splitlines()[1].startswith(f"records of protocol version {PROTOCOL_VERSION}; teacher seed chosen by")
    assert out.splitlines()[4].split()[:2] == ["method", "earliness"]
    code, out, _ = _run(capsys, "export", str(tmp_path / "aeon"), "--preset", "smoke", "--results", results)
    assert code == 0 and (tmp_path / "aeon" / "classification" / "accuracy" / "GDPD-e0.4_accuracy.csv").exists()
    assert (tmp_path / "aeon" / "protocol.csv").exists()
    key = next((tmp_path / "results" / "runs" / "UnitTest").glob("*.json")).stem
    stored = json.loads((tmp_path / "results" / "runs" / "UnitTest" / f"{key}.json").read_text())
    code, out, _ = _run(capsys, "rerun", key, "--results", results, "--threads", "1")
    assert code == 0 and key in out
    rerun = json.loads((tmp_path / "results" / "runs" / "UnitTest" / f"{key}.json").read_text())
    assert rerun["metrics"] == stored["metrics"]
    assert rerun["provenance"]["created"] >= stored["provenance"]["created"]
    code, out, _ = _run(capsys, "rerun", key, "--check", "--results", results)
    assert code == 0 and "reproduced exactly" in out
    path = tmp_path / "results" / "runs" / "UnitTest" / f"{key}.json"
    tampered = {**rerun, "metrics": {**rerun["metrics"], "auc_prc": rerun["metrics"]["auc_prc"] + 0.01}}
    path.write_text(json.dumps(tampered))
    code, out, _ = _run(capsys, "rerun", key, "--check", "--results", results)
    assert code == 1 and "differs" in out and json.loads(path.read_text()) == tampered  # --check replaces nothing


def test_table_and_export_name_the_protocol_and_teacher_rule_of_their_runs(capsys, tmp_path):
    """On the committed store: the header of ``gdpd table`` and the ``protocol.csv`` of ``gdpd export`` name the
    preset, the protocol version the records hold and, per variant, how the teacher's seed was chosen."""
    paper = get_preset("paper")
    code, out, _ = _run(capsys, "table", "--preset", "paper", "--results", str(COMMITTED_ROOT))
    assert code == 0
    assert out.splitlines()[:2] == [
        f"preset paper: {paper.description}",
        f"records of protocol version {PROTOCOL_VERSION}; teacher seed chosen by {paper.teacher.choice}, "
        f"{paper.teacher.train.lr_schedule} learning-rate schedule ({len(paper.grid())} runs)"]
    choice = get_preset("teacher-choice")
    code, out, _ = _run(capsys, "export", str(tmp_path), "--preset", "teacher-choice", "--results", str(COMMITTED_ROOT))
    assert code == 0 and str(tmp_path / "protocol.csv") in out
    written = pd.read_csv(tmp_path / "protocol.csv")
    assert written["variant"].tolist() == [v.label for v in choice.variants]
    assert (written["preset"] == "teacher-choice").all() and (written["protocol"] == PROTOCOL_VERSION).all()
    assert written["teacher_choice"].tolist() == ["val_accuracy", "val_loss", "test_auc_prc"]
    assert f"({written['runs'].sum()} runs: " in out  # the runs exported
    assert all(f"{v.label}: records of protocol version {PROTOCOL_VERSION}" in out for v in choice.variants)


def test_table_on_an_empty_store_says_what_to_run(capsys, tmp_path):
    code, _, err = _run(capsys, "table", "--preset", "smoke", "--results", str(tmp_path))
    assert code == 2 and "gdpd grid --preset smoke" in err


def test_run_on_a_new_folder_says_what_it_trains_and_resumes_after_an_interruption(capsys, tmp_path, monkeypatch):
    import gdpd.teacher_training as teacher_training

    folder = tmp_path / "Tiny"
    folder.mkdir()
    up, down = [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]
    _write_ts(folder, "Tiny", {"TRAIN": [(up, "a"), (down, "b")] * 5, "TEST": [(up, "a"), (down, "b")] * 2})
    argv = ["run", "--dataset", str(folder), "--earliness", "0.5", "--method", "kd", "--preset", "smoke",
            "--results", str(tmp_path / "results")]
    train_candidate, calls = teacher_training._train_candidate, []

    def interrupted_at_the_second_seed(*args):
        calls.append(args[2])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return train_candidate(*args)

    monkeypatch.setattr(teacher_training, "_train_candidate", interrupted_at_the_second_seed)
    code, out, err = _run(capsys, *argv)
    assert code == 130 and out == ""
    assert "teacher Tiny: seed 1 (1 of 2)" in err and "seed 1 trained" in err
    assert err.strip().splitlines()[-1].startswith("gdpd: interrupted; every finished record and teacher seed is kept")
    assert not list((tmp_path / "results").glob("**/*.tmp")) and not list((tmp_path / "results").glob("runs/*/*"))

    monkeypatch.setattr(teacher_training, "_train_candidate", train_candidate)
    code, out, err = _run(capsys, *argv)
    assert code == 0
    assert "teacher Tiny: seed 1 read from the store" in err and "seed 24 trained" in err
    assert "student: kd on Tiny at earliness 0.5 (seed 1)" in err and "student trained in" in err
    code, out, err = _run(capsys, *argv)
    assert "read from the store, not trained" in err
