"""How a cell ended: the failure types a cell raises, and (status, reason) for each way it can end."""

from __future__ import annotations

import math
import signal
import sys

OOM_ERRORS = ("MemoryError", "ResourceExhaustedError")
OOM_LOG_MARKERS = ("ResourceExhaustedError", "MemoryError", "std::bad_alloc", "OOM when allocating",
                   "out of memory")
POSIX_SIGKILL = 9  # SIGKILL's number on Linux, macOS and the BSDs (signal.SIGKILL is absent on Windows)
# Windows: a process killed by an exception exits with its NTSTATUS code (unsigned 32-bit)
NTSTATUS = {0xC0000005: "an access violation (0xC0000005)", 0xC00000FD: "a stack overflow (0xC00000FD)",
            0xC0000409: "a fail-fast abort (0xC0000409, STATUS_STACK_BUFFER_OVERRUN)",
            0xC000001D: "an illegal instruction (0xC000001D)", 0xC000013A: "Ctrl-C (0xC000013A)",
            0xC0000017: "STATUS_NO_MEMORY (0xC0000017)", 0xC000012D: "STATUS_COMMITMENT_LIMIT (0xC000012D)"}
NTSTATUS_OOM = (0xC0000017, 0xC000012D)
WINDOWS_ABORT = 3  # the MSVC runtime's abort() exit code


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


def from_exit(returncode: int, log_tail: str, platform: str = sys.platform) -> tuple[str, str]:
    """(status, reason) for a child that ended without printing its record, decoded per OS: POSIX kills
    are negative signal numbers, Windows crashes are NTSTATUS exit codes."""
    logged_oom = any(m in log_tail for m in OOM_LOG_MARKERS)
    if platform == "win32":
        code = returncode & 0xFFFFFFFF
        if code in NTSTATUS:
            status = "oom" if code in NTSTATUS_OOM or logged_oom else "error"
            return status, f"the cell's process died from {NTSTATUS[code]}"
        if code == WINDOWS_ABORT:
            return ("oom" if logged_oom else "error"), "the cell's process called abort() (exit code 3)"
    elif returncode < 0:
        if -returncode == POSIX_SIGKILL:
            return "oom", "killed by SIGKILL, not by the runner: most likely the kernel's OOM killer"
        return ("oom" if logged_oom else "error"), f"the cell's process died from {_signal_name(-returncode)}"
    status = "oom" if logged_oom else "error"
    return status, f"the cell's process exited with code {returncode} without a record"


def _signal_name(number: int) -> str:
    """SIGSEGV for 11 and so on; "signal N" for a number this OS's signal module does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
