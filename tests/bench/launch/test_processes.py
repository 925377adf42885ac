"""Process control on every OS (bench.launch.processes): whole-tree kills; and a cell that dies with its
runner (bench.cell.lifeline) through the psutil watch alone (BENCH_SIMULATE=windows takes PDEATHSIG away,
as Windows and macOS lack it)."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from bench.cell import lifeline
from bench.launch import processes
from tests.bench.conftest import REPO, wait_for

# A parent that starts a sleeping child of its own and prints that child's pid.
PARENT = ("import subprocess, sys, time; "
          "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
          "print(c.pid, flush=True); time.sleep(600)")
# A "runner" that starts a "cell" watching it (bench.cell.lifeline.die_with), prints the cell's pid, waits.
RUNNER = ("import os, subprocess, sys, time; "
          "c = subprocess.Popen([sys.executable, '-c', 'import os, time; from bench.cell import lifeline; "
          "lifeline.die_with(int(os.environ[\"RUNNER\"])); print(\"watching\", flush=True); "
          "time.sleep(600)'], "
          "env={**os.environ, 'RUNNER': str(os.getpid())}); "
          "print(c.pid, flush=True); time.sleep(600)")


def _start(code: str, env: dict[str, str] | None = None,
           lines: int = 1) -> tuple[subprocess.Popen[str], psutil.Process]:
    """Start `python -c code` (from the repo root), read `lines` lines of its output, and return it with
    the process whose pid is among them."""
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **processes.new_group())
    out = [proc.stdout.readline().strip() for _ in range(lines)]
    return proc, psutil.Process(int(next(line for line in out if line.isdigit())))


def _gone(proc: psutil.Process) -> bool:
    return not lifeline.alive(proc)


def test_kill_tree_kills_the_grandchildren_too():
    parent, grandchild = _start(PARENT)
    try:
        processes.kill_tree(parent.pid)
        parent.wait(timeout=10)
        wait_for(lambda: _gone(grandchild), 10, "the grandchild to die")
    finally:
        for p in (psutil.Process(parent.pid) if parent.poll() is None else None, grandchild):
            if p is not None and not _gone(p):
                p.kill()


@pytest.mark.parametrize("simulate", ["", "windows"])
def test_a_cell_dies_with_its_runner(simulate):
    """Linux: PDEATHSIG and the watch; simulated Windows: the psutil watch alone."""
    runner, cell = _start(RUNNER, {"BENCH_SIMULATE": simulate}, lines=2)  # its pid, and "watching"
    try:
        runner.kill()
        runner.wait(timeout=10)
        wait_for(lambda: _gone(cell), 10, "the cell to exit after its runner died")
    finally:
        if not _gone(cell):
            cell.kill()


def test_new_group_asks_for_a_session_or_process_group():
    if hasattr(os, "setsid"):
        assert processes.new_group() == {"start_new_session": True}
    elif sys.platform == "win32":
        assert processes.new_group() == {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:  # BENCH_SIMULATE=windows on Linux: no setsid, and Windows' flag does not exist here
        assert processes.new_group() == {}
