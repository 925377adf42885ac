"""Process control that works on every OS (psutil), runner side: a cell's process group and its whole
tree killed (the cell's side, dying with its runner, is bench.cell.lifeline).

POSIX: each cell starts a session of its own (so a terminal's Ctrl-C reaches only the runner, which then
kills the cell); Windows: a process group of its own (CREATE_NEW_PROCESS_GROUP: the console's Ctrl-C
is not delivered to it). Killing walks the tree with psutil (TerminateProcess on Windows, SIGKILL on
POSIX), plus the POSIX process group for descendants already re-parented away from the tree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import Any

import psutil

REAP_TIMEOUT_S = 10


def new_group() -> dict[str, Any]:
    """Popen keyword arguments that start a child in a session/process group of its own."""
    if hasattr(os, "setsid"):
        return {"start_new_session": True}
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {}


def kill_tree(pid: int) -> None:
    """Kill process `pid` and every process below it (children first found, then killed parent first, so
    none can start another), and wait until they are gone."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    _kill_group(pid)
    psutil.wait_procs(family, timeout=REAP_TIMEOUT_S)


def _kill_group(pid: int) -> None:
    """POSIX only: SIGKILL the process group `pid` leads (new_group), which also holds descendants that
    were re-parented out of the tree; absent on Windows, where the tree walk is all there is."""
    killpg, sigkill = getattr(os, "killpg", None), getattr(signal, "SIGKILL", None)
    if killpg is None or sigkill is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        killpg(pid, sigkill)
