"""How a cell ended: the failure types a cell raises, and (status, reason) for each way it can end."""

from __future__ import annotations

import math
import signal

OOM_ERRORS = ("MemoryError", "ResourceExhaustedError")
OOM_LOG_MARKERS = ("ResourceExhaustedError", "MemoryError", "std::bad_alloc", "OOM when allocating",
                   "out of memory")


class NanLoss(RuntimeError):
    """Training produced a NaN or infinite loss."""


def check_finite(losses: list[float]) -> None:
    """Raise NanLoss if any loss is NaN or infinite."""
    bad = [i for i, v in enumerate(losses) if not math.isfinite(float(v))]
    if bad:
        raise NanLoss(f"loss became {losses[bad[0]]} (epoch/repeat {bad[0] + 1})")


class DataUnavailable(RuntimeError):
    """The cell's data is not on this machine (the cell is recorded as skipped, with the fix)."""


def from_exception(exc: BaseException) -> tuple[str, str]:
    """(status, one-line reason) for an exception raised inside a cell."""
    message = " ".join(str(exc).split())[:500]
    if isinstance(exc, DataUnavailable):
        return "skipped", message
    if isinstance(exc, NanLoss):
        return "nan", message
    named = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return ("oom" if type(exc).__name__ in OOM_ERRORS else "error"), named


def from_exit(returncode: int, log_tail: str) -> tuple[str, str]:
    """(status, reason) for a child that ended without printing its record."""
    if returncode < 0:
        name = signal.Signals(-returncode).name
        if -returncode == signal.SIGKILL:
            return "oom", "killed by SIGKILL, not by the runner: most likely the kernel's OOM killer"
        status = "oom" if any(m in log_tail for m in OOM_LOG_MARKERS) else "error"
        return status, f"the cell's process died from {name}"
    status = "oom" if any(m in log_tail for m in OOM_LOG_MARKERS) else "error"
    return status, f"the cell's process exited with code {returncode} without a record"
