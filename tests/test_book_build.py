"""`make notebooks` gives the same bytes at every execution, so the book's chapters can be committed as executed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "notebooks/01_inverse_problem.ipynb"  # the toy chapter: figures and tables, no store


def execute(folder: Path) -> bytes:
    """Run the Makefile's recipe on one chapter with this interpreter's environment; the executed bytes."""
    subprocess.run(["make", "-o", "setup", "notebooks", f"VENV={sys.prefix}", f"NOTEBOOKS={CHAPTER}",
                    f"EXECUTED={folder}"], cwd=ROOT, check=True, capture_output=True)
    return (folder / Path(CHAPTER).name).read_bytes()


@pytest.mark.slow
def test_two_executions_of_a_chapter_give_identical_bytes_without_run_metadata(tmp_path):
    first, second = execute(tmp_path / "first"), execute(tmp_path / "second")
    assert first == second
    notebook = json.loads(first)
    assert "papermill" not in notebook["metadata"]
    for cell in notebook["cells"]:
        assert not {"papermill", "execution"} & set(cell["metadata"])
    figures = [o for c in notebook["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert figures  # the bytes compared above include the chapter's figures
