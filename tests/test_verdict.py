"""The verdict the README and the landing page state first is the one the claims ledger computes from the book's
store: the text between their ``verdict`` markers is what :func:`gdpd.findings.ledger_page.verdict_summary` writes."""

from __future__ import annotations

import re

import pytest

from gdpd.findings.ledger import PRESETS, claims_ledger, open_source
from gdpd.findings.ledger_page import verdict_summary
from gdpd.provenance import REPO_ROOT
from gdpd.store import ResultStore

PAGES = (REPO_ROOT / "README.md", REPO_ROOT / "book" / "intro.md")


def stated(path) -> str:
    """The verdict a page states: the text between its ``<!-- verdict ... -->`` and ``<!-- /verdict -->`` markers,
    with its line breaks undone."""
    found = re.search(r"<!-- verdict:[^>]*-->(.*?)<!-- /verdict -->", path.read_text(), re.S)
    assert found, f"{path.name} states no verdict between the markers"
    return " ".join(found.group(1).split())


@pytest.mark.slow
def test_the_readme_and_the_landing_page_state_the_verdict_the_ledger_computes():
    store = ResultStore(REPO_ROOT / "data" / "results")
    computed = verdict_summary(claims_ledger(store), open_source(store, PRESETS["table1"]))
    for page in PAGES:
        assert stated(page) == computed, (
            f"{page.name} states another verdict than the store's; replace the text between its markers with:\n"
            f"{computed}")
