"""Protocol version 1 is retired: the committed store holds only records of the current protocol version, and no
executed chapter renders a record or a warning of another version. The book's method page names the commit that
last held the version-1 records, for a reader who wants to check them out."""

import json
import re
from pathlib import Path

import pytest

from gdpd.config import PROTOCOL_VERSION
from gdpd.store import COMMITTED_ROOT, STORE_ENTRIES

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
VERSION = re.compile(r"protocol(?:-| |\s+version\s+)(\d+)", re.IGNORECASE)
"""A protocol version as chapters word it: ``protocol version 2``, ``protocol-2 grid``, ``protocol 2``."""


def _versions(folder: str, pattern: str) -> dict[Path, int]:
    """The protocol version each record under ``folder`` names in its configuration (a version-1 record names none)."""
    return {path: json.loads(path.read_text())["config"].get("protocol", 1)
            for path in sorted((COMMITTED_ROOT / folder).glob(pattern))}


def test_the_committed_store_holds_only_current_protocol_records():
    """Every run, teacher and cost record is of the current version; every stored model belongs to a stored run; the
    store holds nothing beyond its layout. A teacher seed's candidate file has no configuration of its own (its key
    hashes one, version included), and the early-classification chapter's aeon classifiers do not depend on it."""
    assert {p.name for p in COMMITTED_ROOT.iterdir() if not p.name.startswith(".")} <= STORE_ENTRIES
    versions = {**_versions("runs", "*/*.json"), **_versions("teachers", "*.json"), **_versions("cost", "*.json")}
    assert versions
    old = sorted(str(path.relative_to(COMMITTED_ROOT)) for path, version in versions.items()
                 if version != PROTOCOL_VERSION)
    assert not old, f"{len(old)} records of another protocol version, e.g. {old[:3]}"
    for model in (COMMITTED_ROOT / "models").glob("*/*.pt"):
        assert (COMMITTED_ROOT / "runs" / model.parent.name / f"{model.stem}.json").exists(), model


def _rendered(notebook: Path) -> str:
    """Every text an executed notebook shows: streams, plain text, Markdown and HTML outputs."""
    parts = []
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts.extend("".join(value) for kind, value in output.get("data", {}).items() if kind.startswith("text/"))
    return "\n".join(parts)


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.stem)
def test_no_chapter_renders_another_protocol_version(notebook):
    """A coverage note names the version of the records it counts, and the old records' warning named theirs."""
    assert {int(v) for v in VERSION.findall(_rendered(notebook))} <= {PROTOCOL_VERSION}
