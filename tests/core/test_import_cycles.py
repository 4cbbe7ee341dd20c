"""The modules of visnet/core import one another without a cycle. Imports inside functions
count: a lazy import that only hides a cycle still ties the two modules together (fileformat,
graph and shapes once did). Imports made for type checkers only (under ``if TYPE_CHECKING:``)
never run, so they do not count."""

from __future__ import annotations

import ast
from pathlib import Path

import visnet

CORE = Path(visnet.__file__).parent / "core"


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree``, leaving out the bodies of ``if TYPE_CHECKING:`` blocks."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def imports_of(path: Path, package: str, modules: set[str]) -> set[str]:
    """Which of ``modules`` (top-level modules of ``package``, by name) ``path`` imports,
    anywhere in the file."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level > 1:  # from a subpackage's module: not one of ``modules``
                continue
            base = package if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith(package + "."):
                first = name[len(package) + 1:].split(".")[0]
                if first in modules and first != path.stem:
                    found.add(first)
    return found


def import_graph(folder: Path, package: str) -> dict[str, set[str]]:
    """{module: the modules it imports} over the *.py modules directly in ``folder``."""
    paths = {p.stem: p for p in folder.glob("*.py") if p.stem != "__init__"}
    return {name: imports_of(path, package, set(paths)) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of modules (the first one again at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target, path + [target])
                if cycle:
                    return cycle
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name, [name])
            if cycle:
                return cycle
    return None


def test_the_core_modules_import_one_another_without_a_cycle():
    graph = import_graph(CORE, "visnet.core")
    assert {"graph", "shapes", "fileformat"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    (tmp_path / "document.py").write_text("from .checks import check\n")
    (tmp_path / "checks.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .document import Document\n"
        "def check():\n    from . import files\n")
    (tmp_path / "files.py").write_text(
        "import json\n\ndef load():\n    from pkg.document import Document\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"document": {"checks"}, "checks": {"files"}, "files": {"document"}}
    assert find_cycle(graph) == ["checks", "files", "document", "checks"]
    del graph["files"]
    assert find_cycle(graph) is None
