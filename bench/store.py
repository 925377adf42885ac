"""RUN_DIR's files: results.jsonl (atomic appends, torn-tail tolerant reads), the runner's lock, env.json."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import filelock

from bench.errors import UserError

RESULTS = "results.jsonl"
ENV = "env.json"
MATRIX = "matrix.toml"
LOCK = ".lock"
LOCK_OWNER = ".lock.pid"  # the holder's pid: Windows locks the lock file's bytes, so it cannot be read
REPLACE_TRIES = 20  # os.replace onto a file another process (a report reader, antivirus) holds open fails
REPLACE_WAIT_S = 0.1  # on Windows until it is closed: retry for up to 2 s
FAILED = ("oom", "error", "timeout", "nan")


def append_record(run_dir: Path, record: dict[str, Any]) -> None:
    """Append one record as one line: a single write, then fsync (a killed runner tears no line)."""
    data = (json.dumps(record, allow_nan=False) + "\n").encode()
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)  # Windows: no \r\n
    fd = os.open(run_dir / RESULTS, flags, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):  # regular files write whole; this only guards a short write
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every complete record; a torn or unreadable line (from a crash of an older runner) is skipped."""
    path = run_dir / RESULTS
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def latest_status(run_dir: Path) -> dict[str, str]:
    """cell_id -> status of its latest record (a retried cell's later record wins)."""
    return {r["cell_id"]: r["status"] for r in read_records(run_dir) if "cell_id" in r}


def repair_tail(run_dir: Path) -> bool:
    """Move a torn last line (no newline) to results.jsonl.torn so appends start on a fresh line."""
    path = run_dir / RESULTS
    if not path.exists():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    cut = data.rfind(b"\n") + 1
    with open(path.with_suffix(".jsonl.torn"), "ab") as torn:
        torn.write(data[cut:] + b"\n")
    with open(path, "r+b") as f:
        f.truncate(cut)
        os.fsync(f.fileno())
    return True


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically (temp file, then rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    replace(tmp, path)


def replace(src: Path, dst: Path) -> None:
    """os.replace, retried while Windows refuses it because another process holds dst open."""
    for _ in range(REPLACE_TRIES - 1):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            time.sleep(REPLACE_WAIT_S)
    os.replace(src, dst)


class RunLock:
    """An exclusive OS lock on RUN_DIR/.lock (filelock: flock on POSIX, msvcrt.locking on Windows; the
    OS drops it when the runner dies): a second runner on the same folder gets a UserError."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK
        self.owner = run_dir / LOCK_OWNER
        self._lock = filelock.FileLock(self.path, timeout=0)

    def __enter__(self) -> RunLock:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            holder = "unknown"
            with contextlib.suppress(OSError):
                holder = self.owner.read_text(encoding="utf-8").strip() or holder
            raise UserError(f"{self.path.parent} is in use by another runner (pid {holder}); "
                            "wait for it to finish or use another --out") from None
        self.owner.write_text(str(os.getpid()), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
