"""The child contract, runner side: start `python -m bench.cell.child` for a cell in a process group of
its own, kill its whole tree, read the one JSON line it prints, and make the record of however it ended.

bench.launch.runner (one process per cell) and bench.launch.workers (a multiworker cell's worker
processes) both start cells through here.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import envinfo
from bench.config.cell import Cell
from bench.config.environment import child_env
from bench.config.record import FIELDS, SCHEMA_VERSION
from bench.launch import processes
from bench.results import store

REPO = Path(__file__).resolve().parents[2]
LOG_TAIL_LINES = 30


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def spawn_child(cell: Cell, log_path: Path, extra_env: dict[str, str] | None = None,
                wrap: Any = None) -> subprocess.Popen[str]:
    """Start `python -m bench.cell.child` for the cell in its own session/process group
    (bench.launch.processes),
    stderr to log_path, stdout piped; wrap(cmd) runs it inside something (a multiworker cell's private
    network namespace)."""
    log_path.parent.mkdir(exist_ok=True)
    store.keep_previous_log(log_path)
    cmd = [sys.executable, "-m", "bench.cell.child", json.dumps(cell.config())]
    cmd = wrap(cmd) if wrap else cmd
    with open(log_path, "w", encoding="utf-8") as log:
        log.write(f"# {utc_now()} {subprocess.list2cmdline(cmd) if os.name == 'nt' else shlex.join(cmd)}\n")
        log.flush()
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, cwd=REPO, text=True,
                                encoding="utf-8",
                                env=child_env(cell, os.environ) | {envinfo.CPU_MODEL_ENV: envinfo.cpu_model(),
                                                                   "BENCH_RUNNER_PID": str(os.getpid()),
                                                                   "BENCH_SPAWNED_AT": repr(time.time())}
                                | (extra_env or {}),
                                **processes.new_group())


def kill(proc: subprocess.Popen[str]) -> None:
    """Kill the child's whole process tree (every OS: bench.launch.processes) and reap it."""
    processes.kill_tree(proc.pid)
    proc.wait()


def parse_child_output(out: str) -> dict[str, Any] | None:
    """The child's record (its one JSON line on stdout), or None if it printed none."""
    lines = [line for line in (out or "").splitlines() if line.strip()]
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and "status" in record else None


def base_record(cell: Cell, status: str, reason: str | None) -> dict[str, Any]:
    """The identity and config part of every record."""
    return {"schema_version": SCHEMA_VERSION, "cell_id": cell.cell_id, **cell.config(),
            "status": status, "reason": reason}


def cell_record(cell: Cell, status: str, reason: str | None, child: dict[str, Any], started: str,
                wall_s: float, tail: str, env: dict[str, Any]) -> dict[str, Any]:
    """The cell's record from its child's fields and how it ended, checked against FIELDS."""
    record = base_record(cell, status, reason) | child
    record |= {"started_at": started, "finished_at": utc_now(), "wall_s": wall_s}
    record |= peak_fields(record, env)
    if status != "ok":
        record["log_tail"] = tail
    check_fields(record)
    return record


def peak_fields(record: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """peak_gflop_s of the cell's device (from env.json) and the achieved fraction of it."""
    peak = env.get("peak_gflop_s", {}).get(record["device"])
    if peak is None:
        return {}
    achieved = record.get("train_gflop_s")
    return {"peak_gflop_s": peak, "peak_fraction": achieved / peak if achieved is not None else None}


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a cell's log."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def check_fields(record: dict[str, Any]) -> None:
    """Every key of a record must be declared in bench.config.record.FIELDS (the reports' contract)."""
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise RuntimeError(f"record has keys not declared in bench/config/record.py FIELDS: {unknown}")
def summary_line(record: dict[str, Any]) -> str:
    """One line per finished cell for the console."""
    status = record["status"]
    detail = record.get("reason") or ""
    if status == "ok":  # numbers as people write them: train_img_s=27,984 test_accuracy=0.972
        from bench.report.numbers import number

        keys = ("train_img_s", "infer_img_s", "test_accuracy")
        detail = " ".join(f"{k}={number(record[k])}" for k in keys if record.get(k) is not None)
    return f"{status:>8}  {record['cell_id']}  {record.get('wall_s') or 0:.1f}s  {detail}"
