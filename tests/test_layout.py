"""The package layout: no import cycle in bench/, between modules or between packages; neither side of the
process boundary imports the other; the shared packages import none of the fronts.

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


def sibling_graph(graph: dict[str, set[str]], parent: str) -> dict[str, set[str]]:
    """The modules below `parent` merged into its direct children (a subpackage with everything below it,
    or a module of its own): {child: the other children it imports}."""
    def child(module: str) -> str | None:
        rest = module.removeprefix(f"{parent}.")
        return None if rest == module else f"{parent}.{rest.split('.')[0]}"

    merged: dict[str, set[str]] = {}
    for a, deps in graph.items():
        if (ca := child(a)) is not None:
            merged.setdefault(ca, set()).update(c for b in deps if (c := child(b)) not in (None, ca))
    return merged


def package_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles between the subpackages and modules of each package (bench.report -> bench.launch ->
    bench.report), found even where no module imports itself round: each package's children must form
    layers. bench's own modules (cli, errors, ...) are units of their own, not one `bench` package."""
    parents = sorted({".".join(m.split(".")[:i]) for m in graph for i in range(1, m.count(".") + 1)})
    return [c for parent in parents for c in cycles(sibling_graph(graph, parent))]


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


def test_the_package_walker_finds_a_cycle_no_module_has() -> None:
    """A package-level cycle made of modules that form no cycle is caught, at any depth; a package that
    only imports downwards is not."""
    graph = {"bench.report.load": {"bench.launch.runner"}, "bench.launch.runner": {"bench.results.store"},
             "bench.results.store": {"bench.report.cost"}, "bench.report.cost": set(),
             "bench.cell.scenarios.a": {"bench.cell.trackers.b"},
             "bench.cell.trackers.c": {"bench.cell.scenarios.d"},
             "bench.cell.child": {"bench.cell.scenarios.a"}}
    assert cycles(graph) == []
    assert package_cycles(graph) == [["bench.launch", "bench.report", "bench.results"],
                                     ["bench.cell.scenarios", "bench.cell.trackers"]]
    assert package_cycles({"bench.cli": {"bench.report.a"}, "bench.report.a": {"bench.errors"}}) == []


def test_no_import_cycle() -> None:
    """No group of bench modules imports itself round (a lazy import included). Before the restructure
    there were two: runner <-> workers, and report.charts <-> its three chart modules."""
    assert cycles(import_graph()) == []


def test_no_package_level_cycle() -> None:
    """No two packages (or a package and a module beside it) import each other, however indirectly."""
    assert package_cycles(import_graph()) == []


# What a package must never import: the shared packages sit below the fronts that use them, and the
# trackers take device arguments (GPU indices), not a Cell.
FORBIDDEN = {
    "bench.results": ("bench.launch", "bench.commands", "bench.report", "bench.cell"),
    "bench.report": ("bench.launch", "bench.commands", "bench.cell"),
    "bench.config": ("bench.launch", "bench.commands", "bench.report", "bench.results", "bench.cell"),
    "bench.cell.trackers": ("bench.config.cell", "bench.cell.scenarios"),
}


def forbidden_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs that FORBIDDEN rules out."""
    def under(module: str, package: str) -> bool:
        return module == package or module.startswith(f"{package}.")

    return sorted((a, b) for a, deps in graph.items() for b in deps for package, banned in FORBIDDEN.items()
                  if under(a, package) and any(under(b, x) for x in banned))


def test_the_forbidden_check_can_fail() -> None:
    graph = {"bench.report.load": {"bench.launch.runner", "bench.results.store"},
             "bench.cell.trackers.energy": {"bench.config.cell", "bench.config.devices"}}
    assert forbidden_imports(graph) == [("bench.cell.trackers.energy", "bench.config.cell"),
                                        ("bench.report.load", "bench.launch.runner")]


def test_shared_packages_import_no_front_and_trackers_no_cell() -> None:
    assert forbidden_imports(import_graph()) == []


def test_neither_side_imports_the_other() -> None:
    """bench.launch never imports bench.cell, nor the other way round (before: the runner took child_env
    from the cell's settings, and the child took die_with from the runner's process control)."""
    assert cross_side(import_graph(), side) == []


def test_both_sides_exist() -> None:
    """The side check has something to check: both packages have modules with bench imports."""
    graph = import_graph()
    assert {side(m) for m, deps in graph.items() if deps} >= {"launch", "cell"}
