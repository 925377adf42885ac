"""RUN_DIR's files: results.jsonl (atomic appends; lines that are not records set aside), the runner's lock,
env.json."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import filelock

from bench import atomic
from bench.errors import UserError
from bench.results import lines, loader
from bench.results.lines import parse_line  # noqa: F401 - the one line check, for the writers' reads
from bench.results.paths import ENV, MATRIX, RESULTS, TORN  # noqa: F401 - a run folder's files

LOCK = ".lock"
LOCK_OWNER = ".lock.pid"  # the holder's pid: Windows locks the lock file's bytes, so it cannot be read
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
    """Every valid record, migrated (bench.results.loader); a line that is not one is left out (set_aside
    moves the lines that are not JSON objects away and names the records that do not validate)."""
    return loader.load_records(run_dir).records


def latest_status(run_dir: Path) -> dict[str, str]:
    """cell_id -> status of its latest valid record (a retried cell's later record wins)."""
    return loader.latest_status(read_records(run_dir))


def bad_lines_note(run_dir: Path, bad: list[tuple[int, str]], moved: bool) -> str:
    """The one line that says which lines of results.jsonl are not JSON objects and where they went."""
    where = f"moved to {TORN} (their cells run again)" if moved else \
        f"left out (`python -m bench run --resume --out {run_dir}` moves them to {TORN})"
    lines = ", ".join(f"{n} ({why})" for n, why in bad[:5]) + (f" and {len(bad) - 5} more" * (len(bad) > 5))
    return f"{RESULTS} line(s) {lines} are not records; {where}"


def set_aside(run_dir: Path) -> str | None:
    """Move every line of results.jsonl that is not a JSON object (a torn tail, a corrupt line anywhere) to
    results.jsonl.torn, so appends start on a fresh line; a JSON object that does not validate stays where
    it is (a newer galaxybench may read it) and is left out by every reader (bench.results.loader), its
    cell run again. The note saying what was moved and what is left out, or None when every line is a
    valid record. Call it holding the run lock."""
    path = run_dir / RESULTS
    if not path.exists():
        return None
    data = path.read_bytes()
    numbered = lines.split(data)
    bad = [(line.number, line.why) for line in numbered if line.value is None]
    torn = [line.raw.rstrip(b"\n") + b"\n" for line in numbered if line.value is None]
    keep = [line.raw.rstrip(b"\n") + b"\n" for line in numbered if line.value is not None]  # a last one: + \n
    invalid = loader.from_lines([line for line in numbered if line.value is not None], str(path)).set_aside
    notes = [bad_lines_note(run_dir, bad, moved=True)] if bad else []
    if invalid:
        more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
        notes.append(f"{len(invalid)} record(s) do not validate and are left out, their cells run again: "
                     f"{invalid[0]}{more}")
    if not bad:
        if keep and not data.endswith(b"\n"):
            atomic.write_bytes(path, b"".join(keep))
        return "; ".join(notes) or None
    with open(run_dir / TORN, "ab") as f:
        f.write(b"".join(torn))
        os.fsync(f.fileno())
    atomic.write_bytes(path, b"".join(keep))
    return "; ".join(notes)


def keep_previous_log(log: Path) -> Path | None:
    """Rename an earlier attempt's log (a retried or resumed cell) to NAME.attemptN.log, N counting from 1,
    so the new attempt's log does not overwrite it; the new name, or None when there was no log."""
    if not log.exists():
        return None
    n = 1
    while (kept := log.with_name(f"{log.stem}.attempt{n}{log.suffix}")).exists():
        n += 1
    log.rename(kept)
    return kept


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically (temp file, then rename)."""
    atomic.write_text(path, json.dumps(data, indent=2) + "\n")


def read_env(run_dir: Path) -> dict[str, Any] | None:
    """RUN_DIR/env.json validated (bench.results.loader.load_env), None when absent; a damaged or incomplete
    one is a UserError naming the file."""
    return loader.load_env(run_dir)


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
