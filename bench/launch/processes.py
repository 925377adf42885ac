"""Process control that works on every OS (psutil): a cell's process group, its whole tree killed, and a
cell that dies with its runner.

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
import threading
from typing import Any

import psutil

from bench import importblock

REAP_TIMEOUT_S = 10
WATCH_INTERVAL_S = 0.5


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


def die_with(pid: int) -> None:
    """Exit this process as soon as process `pid` (its runner) is gone: Linux's PDEATHSIG where the
    kernel has it, and on every OS a daemon thread polling the runner through psutil."""
    if importblock.available("pdeathsig"):
        _pdeathsig()
    try:
        runner = psutil.Process(pid)
    except psutil.NoSuchProcess:
        os._exit(1)
    if not alive(runner) or runner.create_time() > psutil.Process().create_time():
        os._exit(1)  # the runner died before the watch began (or its pid is another process's now)
    threading.Thread(target=_watch, args=(runner,), name="runner-watch", daemon=True).start()


def alive(proc: psutil.Process) -> bool:
    """True while `proc` runs (a zombie is dead: its parent has not reaped it yet; pid reuse is caught by
    psutil's creation-time check)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _watch(runner: psutil.Process) -> None:
    """Poll the runner; exit this process the moment it is gone (os._exit: no clean-up is owed)."""
    while alive(runner):
        threading.Event().wait(WATCH_INTERVAL_S)
    os._exit(1)


def _pdeathsig() -> None:
    """Ask Linux to SIGKILL this process when the thread that forked it (the runner) dies."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
