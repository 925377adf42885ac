"""Noise flags, runner side: the CPU time other processes used while a cell ran (``contended``), and
the GEMM peak measured again at the end of a run (``drifting``).

others_cpu_s = the whole system's busy CPU time over the cell's window (psutil.cpu_times: every field
but idle and iowait; guest time, already inside user, counted once; a virtual machine's steal time is
kept: another guest then held this machine's cores) minus the cell's own process tree (the runner's
RUSAGE_CHILDREN delta: the child and every descendant reaped under it, whatever their number) minus the
runner's own process. Windows has no getrusage and an exited process's CPU time cannot be read there,
so on Windows the fields are null and ``unavailable`` says why. A descendant killed on a timeout and
reaped by the OS instead of its parent counts as "other": a timed-out cell may read high.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench import peak
from bench.errors import UserError
from bench.results import store

try:
    import resource
except ModuleNotFoundError:  # Windows (and BENCH_SIMULATE=windows)
    resource = None  # type: ignore[assignment]

CONTENDED_CORES = 0.5  # other processes using more than half a core over the cell: its figures may read low
NO_RUSAGE = ("this OS has no resource.getrusage (Windows), and the CPU time of a cell's processes cannot be "
             "read once they have exited: other processes' share of the CPU is not known")
END_PEAK_MIN_S = 60.0  # cells of a session shorter than this: no second peak (the probe would outlast them)
NOT_IDLE = ("idle", "iowait")
COUNTED_TWICE = ("guest", "guest_nice")  # Linux counts them inside user and nice too


@dataclass(frozen=True)
class Window:
    """CPU-time counters at the start of a cell: the system's busy seconds, the runner's own, and its reaped
    children's (None without getrusage)."""

    busy_s: float
    own_s: float
    children_s: float | None


def system_busy_s() -> float:
    """Busy CPU seconds of the whole system since boot, all cores together."""
    times = psutil.cpu_times()
    fields = times._asdict()
    return sum(v for k, v in fields.items() if k not in NOT_IDLE + COUNTED_TWICE)


def own_s() -> float:
    """CPU seconds of this process (every thread: the runner and its progress display)."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def children_s() -> float | None:
    """CPU seconds of every descendant this process has reaped (and theirs), None without getrusage."""
    if resource is None:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start() -> Window:
    """The counters just before a cell's first process starts."""
    return Window(system_busy_s(), own_s(), children_s())


def fields(window: Window, wall_s: float) -> dict[str, Any]:
    """others_cpu_s, others_cpu_cores and contended for the cell that ran since `window`, once every process
    of its tree has been reaped; without getrusage, nulls and the reason under ``unavailable``."""
    children = children_s()
    if children is None or window.children_s is None:
        return {"others_cpu_s": None, "others_cpu_cores": None, "contended": None,
                "unavailable": {"others_cpu": NO_RUSAGE}}
    busy = system_busy_s() - window.busy_s
    cell = children - window.children_s
    # The system counts whole clock ticks per core, the cell's tree exact time: a quiet machine can come
    # out a few ticks below zero, which is none.
    others = max(0.0, busy - cell - (own_s() - window.own_s))
    cores = others / wall_s if wall_s > 0 else None
    return {"others_cpu_s": others, "others_cpu_cores": cores,
            "contended": None if cores is None else cores > CONTENDED_CORES}


def attach(record: dict[str, Any], measured: dict[str, Any]) -> dict[str, Any]:
    """The record with the contention fields, their ``unavailable`` reason joined to the record's own."""
    extra = dict(measured)
    why = extra.pop("unavailable", None)
    out = record | extra
    if why:
        out["unavailable"] = {**(record.get("unavailable") or {}), **why}
    return out


Probe = Callable[[bool], dict[str, Any]]  # runner.probe_env: bench.envinfo in a subprocess, peak=True


def record_end_peaks(run_dir: Path, probe: Probe, cells_s: float) -> dict[str, Any]:
    """Measure every device's GEMM peak again with the start's probe (runner.probe_env) and write
    peak_gflop_s_end and drifting into env.json; returns what was written. Skipped, with why in
    peak_end_unavailable, when this session's cells took under END_PEAK_MIN_S (an earlier session's end
    peaks, if any, then stay) or the probe failed: a finished run is never lost to its drift check."""
    env = store.read_env(run_dir)
    if env is None or not isinstance(env.get("peak_gflop_s"), dict):
        return {}
    if cells_s < END_PEAK_MIN_S:
        if isinstance(env.get("peak_gflop_s_end"), dict):  # a short resume keeps the longer session's check
            return {}
        return _write(run_dir, env, None, f"the cells of the last session took {cells_s:,.0f} s, under "
                                          f"{END_PEAK_MIN_S:,.0f} s: no second peak measured")
    try:
        end = probe(True).get("peak_gflop_s")
    except (UserError, OSError, ValueError, IndexError, subprocess.TimeoutExpired) as exc:
        return _write(run_dir, env, None, f"the end-of-run probe failed: {type(exc).__name__}: {exc}")
    if not isinstance(end, dict):
        return _write(run_dir, env, None, "the end-of-run probe gave no peak_gflop_s")
    return _write(run_dir, env, end, None)


def _write(run_dir: Path, env: dict[str, Any], end: dict[str, Any] | None, why: str | None) -> dict[str, Any]:
    """env.json with the end peaks (or why none) and the drifting flag."""
    drift = None if end is None else peak.drifting(env["peak_gflop_s"], end)
    written: dict[str, Any] = {"peak_gflop_s_end": end, "drifting": drift}
    env = {k: v for k, v in env.items() if k != "peak_end_unavailable"} | written
    if why:
        written["peak_end_unavailable"] = why
        env["peak_end_unavailable"] = why
    store.write_json(run_dir / store.ENV, env)
    return written
