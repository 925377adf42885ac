"""Test hook: make a cell fail on purpose, so the runner's failure records can be tested for real.

BENCH_FAULT="KIND[@MATCH],..." makes every child whose cell_id contains MATCH (all when no @MATCH)
fail as KIND: ``raise`` (a Python exception), ``abort`` (SIGABRT), ``sigkill`` (killed like the
kernel's OOM killer does: psutil's kill, SIGKILL on POSIX, TerminateProcess on Windows), ``memory`` (a
real MemoryError under a tight RLIMIT_AS; where there is no RLIMIT_AS, i.e. Windows, a MemoryError raised
outright, saying so), ``hang`` (sleeps until the runner's timeout) or ``nan`` (a NaN loss, through the
same check the scenarios use).
A multiworker cell's workers match as ``CELL_ID#workerN`` (N = BENCH_WORKER, set by bench.launch.workers), so
``raise@#worker1`` fails worker 1 of every multiworker cell.
"""

from __future__ import annotations

import os
import time

KINDS = ("raise", "abort", "sigkill", "memory", "hang", "nan")


def fault_for(cell_id: str, spec: str | None = None) -> str | None:
    """The fault kind BENCH_FAULT asks for this cell, or None."""
    spec = os.environ.get("BENCH_FAULT", "") if spec is None else spec
    if os.environ.get("BENCH_WORKER"):
        cell_id += f"#worker{os.environ['BENCH_WORKER']}"
    for item in filter(None, (s.strip() for s in spec.split(","))):
        kind, _, match = item.partition("@")
        if kind not in KINDS:
            raise ValueError(f"BENCH_FAULT kind {kind!r} unknown; known: {', '.join(KINDS)}")
        if match in cell_id:
            return kind
    return None


def inject(kind: str) -> None:
    """Fail now in the way `kind` names."""
    if kind == "nan":
        from bench.outcome import check_finite

        check_finite([1.0, float("nan")])
    if kind == "raise":
        raise RuntimeError("fault injected by BENCH_FAULT=raise")
    if kind == "abort":
        os.abort()
    if kind == "sigkill":
        import psutil

        psutil.Process().kill()
    if kind == "memory":
        try:
            import resource
        except ModuleNotFoundError:  # Windows has no RLIMIT_AS (nor does BENCH_SIMULATE=windows)
            raise MemoryError("fault injected by BENCH_FAULT=memory (no RLIMIT_AS on this OS)") from None
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + 256 * 2**20, hard))
        blocks = [bytearray(64 * 2**20) for _ in range(1024)]
        raise AssertionError(f"allocated {len(blocks)} blocks under RLIMIT_AS")  # unreachable
    if kind == "hang":
        while True:
            time.sleep(60)


def _address_space() -> int:
    """This process's current virtual memory size in bytes."""
    import psutil

    return psutil.Process().memory_info().vms
