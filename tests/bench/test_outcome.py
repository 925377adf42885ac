"""How a cell's end maps to (status, reason); the BENCH_FAULT test hook's parsing."""

from __future__ import annotations

import signal

import pytest

from bench import outcome
from bench.cell import faults


def test_exceptions_map_to_statuses():
    assert outcome.from_exception(outcome.DataUnavailable("run: python -m bench datasets import mnist")) == (
        "skipped", "run: python -m bench datasets import mnist")
    assert outcome.from_exception(outcome.NanLoss("loss became nan"))[0] == "nan"
    assert outcome.from_exception(MemoryError()) == ("oom", "MemoryError")
    resource_exhausted = type("ResourceExhaustedError", (Exception,), {})
    assert outcome.from_exception(resource_exhausted("OOM when allocating tensor"))[0] == "oom"
    assert outcome.from_exception(ValueError("bad\nshape")) == ("error", "ValueError: bad shape")


def test_exits_without_a_record():
    # POSIX signal numbers (SIGKILL 9, SIGSEGV 11) are the same on Linux and macOS; signal.SIGKILL itself
    # is absent on Windows, so the decoding is given the platform rather than the running OS's names.
    assert outcome.from_exit(-9, "", platform="linux")[0] == "oom"
    assert outcome.from_exit(-signal.SIGABRT, "terminate called after throwing std::bad_alloc",
                             platform="linux")[0] == "oom"
    assert outcome.from_exit(-11, "", platform="darwin") == ("error", "the cell's process died from SIGSEGV")
    assert outcome.from_exit(1, "ResourceExhaustedError: OOM when allocating")[0] == "oom"
    assert outcome.from_exit(3, "ImportError", platform="linux")[0] == "error"


def test_windows_exits_are_ntstatus_codes():
    assert outcome.from_exit(0xC0000005, "", platform="win32") == (
        "error", "the cell's process died from an access violation (0xC0000005)")
    assert outcome.from_exit(0xC0000017, "", platform="win32")[0] == "oom"
    assert outcome.from_exit(-1073741819, "", platform="win32")[1].endswith("(0xC0000005)")  # signed view
    assert outcome.from_exit(3, "", platform="win32")[1] == "the cell's process called abort() (exit code 3)"
    assert outcome.from_exit(3, "std::bad_alloc", platform="win32")[0] == "oom"
    assert outcome.from_exit(1, "", platform="win32") == (
        "error", "the cell's process exited with code 1 without a record")


def test_check_finite():
    outcome.check_finite([2.3, 1.1])
    for bad in (float("nan"), float("inf")):
        with pytest.raises(outcome.NanLoss):
            outcome.check_finite([2.3, bad])


def test_fault_spec_matching():
    assert faults.fault_for("digits-m_raise-cpu", "raise@m_raise,hang@m_hang") == "raise"
    assert faults.fault_for("digits-m_hang-cpu", "raise@m_raise,hang@m_hang") == "hang"
    assert faults.fault_for("digits-other-cpu", "raise@m_raise") is None
    assert faults.fault_for("anything", "nan") == "nan"
    assert faults.fault_for("anything", "") is None
    with pytest.raises(ValueError, match="unknown"):
        faults.fault_for("x", "explode")


def test_child_record_has_no_nan():
    from bench.cell.child import finite

    assert finite({"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": 2}}) == {
        "a": None, "b": [1.0, None], "c": {"d": 2}}
