"""Portability: no POSIX-only module or name used where Windows would break, checked two ways: a scan of
the source, and BENCH_SIMULATE=windows (bench.importblock) hiding them from this project's code."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import importblock
from tests.bench.conftest import REPO

PACKAGES = ("bench", "datasets", "models")
# Names only the process-control modules may touch, each behind a feature check (getattr / available()):
# the runner's kills (bench/launch/processes.py) and the cell's PDEATHSIG (bench/cell/lifeline.py).
POSIX_NAMES = {("os", "killpg"), ("os", "setsid"), ("os", "getpgid"), ("os", "fork"), ("signal", "SIGKILL"),
               ("signal", "SIGALRM"), ("signal", "alarm")}
GUARDED = {Path("bench/launch/processes.py"), Path("bench/cell/lifeline.py")}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Top-level module names imported by statements at module level (not inside a function or try)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {a.name.partition(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.partition(".")[0])
    return names


def test_no_posix_only_module_is_imported_at_module_level():
    bad = {str(p.relative_to(REPO)): sorted(_module_level_imports(ast.parse(p.read_text(encoding="utf-8")))
                                            & importblock.POSIX_MODULES) for p in _sources()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_posix_only_names_are_used_only_behind_a_feature_check():
    used = {}
    for path in _sources():
        if path.relative_to(REPO) in GUARDED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    (node.value.id, node.attr) in POSIX_NAMES:
                used.setdefault(str(path.relative_to(REPO)), []).append(f"{node.value.id}.{node.attr}")
    assert used == {}


def _text_io_without_encoding(tree: ast.Module) -> list[int]:
    """Lines that open, read or write a file in text mode without naming its encoding (the locale's, cp1252
    on Windows, would apply)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(k.arg in ("encoding", None) for k in node.keywords):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("read_text", "write_text"):
            if not (isinstance(func.value, ast.Name) and func.value.id == "atomic"):  # bench.atomic: UTF-8
                lines.append(node.lineno)
        elif isinstance(func, ast.Name) and func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), ast.Constant("r"))
            modes = [mode.body, mode.orelse] if isinstance(mode, ast.IfExp) else [mode]
            if not all(isinstance(m, ast.Constant) and "b" in m.value for m in modes):
                lines.append(node.lineno)
    return lines


def test_text_files_are_read_and_written_as_utf8():
    found = {str(p.relative_to(REPO)): lines for p in _sources()
             if (lines := _text_io_without_encoding(ast.parse(p.read_text(encoding="utf-8"))))}
    assert found == {}


def test_the_simulation_hides_posix_from_our_code_only():
    hook = importblock._simulating_import(__import__)
    ours = {"__file__": str(REPO / "bench" / "x.py"), "__name__": "bench.x"}
    theirs = {"__file__": "/usr/lib/python3/site-packages/psutil/x.py", "__name__": "psutil.x"}
    with pytest.raises(ModuleNotFoundError, match="BENCH_SIMULATE"):
        hook("fcntl", ours)
    with pytest.raises(ModuleNotFoundError):
        hook("resource", ours, None, ("getrusage",), 0)
    os_seen = hook("os", ours)
    assert not hasattr(os_seen, "killpg") and getattr(os_seen, "killpg", None) is None
    assert os_seen.path is os.path and os_seen.getpid() == os.getpid()
    assert getattr(hook("signal", ours), "SIGKILL", None) is None and hook("signal", ours).SIGTERM
    if os.name == "posix":
        assert hook("os", theirs) is sys.modules["os"] and hook("fcntl", theirs).__name__ == "fcntl"


def test_every_bench_module_imports_under_the_simulation():
    """python -m bench's modules, the child's and the probe's, imported with BENCH_SIMULATE=windows."""
    paths = [p.relative_to(REPO).with_suffix("") for p in (REPO / "bench").rglob("*.py")]
    modules = sorted(".".join(p.parts) for p in paths if p.name != "__main__")
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint('ok')"
    proc = subprocess.run([sys.executable, "-c", code, *modules], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, importblock.SIMULATE: "windows"}, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_proc_is_hidden_under_the_simulation(monkeypatch):
    monkeypatch.setenv(importblock.SIMULATE, "windows")
    assert importblock.proc_text("self/status") is None and not importblock.available("pdeathsig")
    monkeypatch.setenv(importblock.SIMULATE, "macos")
    with pytest.raises(RuntimeError, match="only simulation is 'windows'"):
        importblock.simulated()
