"""A cell's process dies with its runner on every OS, so a killed runner leaves no cell running behind it
(a resumed runner would otherwise run two cells at once): Linux's PDEATHSIG where the kernel has it,
and everywhere a daemon thread polling the runner through psutil.
"""

from __future__ import annotations

import os
import signal
import threading

import psutil

from bench import importblock

WATCH_INTERVAL_S = 0.5


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
