"""The package layout: no import cycle in bench/, and neither side of the process boundary imports the other.

The runner side (bench.launch) starts cells; the cell side (bench.cell) runs inside a cell's process.
Both may import the shared modules (the cell config, the record's fields, errors, process plumbing),
never each other. Imports are read statically (ast), function-level ones included: a lazy import is
still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "bench"


def module_name(path: Path) -> str:
    """bench/launch/runner.py -> bench.launch.runner; a package's __init__.py -> the package."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the bench modules it imports}, resolving `from bench.x import y` to bench.x.y when y is a
    module. A package's implicit __init__ is not an edge (it would tie every module to every package)."""
    modules = {module_name(p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    if sub in modules:
                        edges.add(sub)
                    elif node.module in modules:
                        edges.add(node.module)
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def cross_side(graph: dict[str, set[str]], side_of: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where a module of one side imports one of the other; side_of gives
    "launch", "cell", or None for modules of neither side."""
    return sorted((a, b) for a, deps in graph.items() for b in deps
                  if side_of(a) and side_of(b) and side_of(a) != side_of(b))


def side(module: str) -> str | None:
    """The side of the process boundary a module of this layout is on (by its package)."""
    for name in ("launch", "cell"):
        if module == f"bench.{name}" or module.startswith(f"bench.{name}."):
            return name
    return None


def test_the_walker_finds_a_cycle_and_a_crossing() -> None:
    """The checks below could fail: a made-up graph with a cycle and a crossing is caught."""
    graph = {"bench.launch.a": {"bench.cell.b"}, "bench.cell.b": {"bench.cell.c"},
             "bench.cell.c": {"bench.cell.b"}}
    assert cycles(graph) == [["bench.cell.b", "bench.cell.c"]]
    assert cross_side(graph, side) == [("bench.launch.a", "bench.cell.b")]


def test_no_import_cycle() -> None:
    """No group of bench modules imports itself round (a lazy import included). Before the restructure
    there were two: runner <-> workers, and report.charts <-> its three chart modules."""
    assert cycles(import_graph()) == []


def test_neither_side_imports_the_other() -> None:
    """bench.launch never imports bench.cell, nor the other way round (before: the runner took child_env
    from the cell's settings, and the child took die_with from the runner's process control)."""
    assert cross_side(import_graph(), side) == []


def test_both_sides_exist() -> None:
    """The side check has something to check: both packages have modules with bench imports."""
    graph = import_graph()
    assert {side(m) for m, deps in graph.items() if deps} >= {"launch", "cell"}
