"""The package's shape: no import cycles between its modules, and no long module without a stated reason."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gdpd"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """The package's modules that ``path`` imports anywhere in it, inside functions too (a late import is still a
    dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # ``from gdpd import cnn``
    return found & set(MODULES)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search, each as the path that closes it."""
    found, state = [], dict.fromkeys(graph, "new")

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for successor in sorted(graph[node]):
            if state[successor] == "open":
                found.append([*path[path.index(successor):], successor])
            elif state[successor] == "new":
                visit(successor, [*path, successor])
        state[node] = "done"

    for node in graph:
        if state[node] == "new":
            visit(node, [node])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = {name: imported(path) - {name} for name, path in MODULES.items()}
    assert cycles(graph) == []


LONG = 350
REASON = "Why this module is long:"


def test_no_module_is_long_without_a_reason_in_its_docstring():
    unexplained = {}
    for name, path in MODULES.items():
        source = path.read_text()
        lines = len(source.splitlines())
        if lines > LONG and REASON not in (ast.get_docstring(ast.parse(source)) or ""):
            unexplained[name] = lines
    assert unexplained == {}, f"modules over {LONG} lines need a sentence starting {REASON!r} in their docstring"


LONGEST = 400
LOADERS = {"gdpd.physionet"}
"""The one module allowed past :data:`LONGEST`: the PhysioNet loader reads a whole challenge format."""


def test_no_module_but_the_physionet_loader_is_over_400_lines():
    over = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text().splitlines())) > LONGEST and name not in LOADERS}
    assert over == {}, f"split these modules along their seams (at most {LONGEST} lines each)"
