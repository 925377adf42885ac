"""RUN_DIR's files: results.jsonl (atomic appends; lines that are not records set aside; the side files
where bench.results.pending keeps records a full disk refused), the runner's lock (which refuses links
in the folder and appends those side files first), env.json."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import filelock

from bench import atomic
from bench.errors import UserError, notice
from bench.results import lines, loader
from bench.results.lines import parse_line
from bench.results.paths import ENV, MATRIX, RESULTS, TORN  # noqa: F401 - a run folder's files

LOCK = ".lock"
LOCK_OWNER = ".lock.pid"  # the holder's pid: Windows locks the lock file's bytes, so it cannot be read
PENDING = "results.jsonl.pending"  # measured records a full disk kept out of results.jsonl
WRITTEN_FOLDERS = ("logs", "charts")  # folders of a run folder whose files galaxybench writes
APPEND = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
FAILED = ("oom", "error", "timeout", "nan")


def append_record(run_dir: Path, record: dict[str, Any]) -> None:
    """Append one record as one line: a single write, then fsync (a killed runner tears no line). A write
    that fails part way (a full disk) is cut back off, so the file ends on a whole line; the OSError
    names the file. Never follows a symbolic link (O_NOFOLLOW; O_BINARY: no \\r\\n on Windows)."""
    append_lines(run_dir / RESULTS, (json.dumps(record, allow_nan=False) + "\n").encode())


def append_lines(path: Path, data: bytes) -> None:
    """Append whole lines to path, all or nothing (see append_record), starting on a line of their own
    when the file does not end with a line break."""
    try:
        fd = os.open(path, APPEND, 0o644)
    except OSError as exc:
        raise atomic.named(exc, path) from exc
    try:
        start = os.fstat(fd).st_size
        if start:
            os.lseek(fd, start - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                data = b"\n" + data
        try:
            written = os.write(fd, data)
            while written < len(data):  # regular files write whole, but for a full disk's short write
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)  # shrinking needs no space: no torn line stays behind
            raise
    except OSError as exc:
        raise atomic.named(exc, path) from exc
    finally:
        os.close(fd)


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every valid record, migrated (bench.results.loader); a line that is not one is left out (set_aside
    moves the lines that are not JSON objects away and names the records that do not validate)."""
    return loader.load_records(run_dir).records


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
    """Write JSON atomically (temp file, then rename; an OSError names path). ASCII with escapes, so any
    text, even a name that is not UTF-8, reads back as it was."""
    atomic.write_text(path, json.dumps(data, indent=2) + "\n")


def pending_files(run_dir: Path) -> list[Path]:
    """Where bench.results.pending.Appender keeps records aside for run_dir: RUN_DIR/results.jsonl.pending,
    then a file in the temp folder named for the run folder's absolute path (a full disk may not take
    even the first)."""
    key = hashlib.sha256(str(Path(run_dir).resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return [run_dir / PENDING, Path(tempfile.gettempdir()) / f"galaxybench-{key}.pending.jsonl"]


def recover_pending(run_dir: Path) -> str | None:
    """Append the records an earlier runner kept aside (pending_files) to results.jsonl and remove the
    side file; the note saying so, or None. A side file in the temp folder counts only when it is this
    user's own plain file (others can write there too); a line that is not a record is left out."""
    notes = []
    for path in pending_files(run_dir):
        if not _own_plain_file(path):
            continue
        lines = [line for line in path.read_bytes().splitlines()
                 if parse_line(line.decode("utf-8", "replace"))[0] is not None]
        if lines:
            append_lines(run_dir / RESULTS, b"".join(line + b"\n" for line in lines))
            notes.append(f"appended {len(lines)} measured record(s) kept aside in {path} by an earlier run")
        path.unlink()
    return "; ".join(notes) or None


def _own_plain_file(path: Path) -> bool:
    """True when path is a regular file (not a link) that this user owns (POSIX; elsewhere: a file)."""
    try:
        st = path.lstat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISREG(st.st_mode) and mine


def check_no_links(run_dir: Path) -> None:
    """UserError naming the first symbolic link among the run folder's entries and its logs/ and charts/:
    galaxybench writes there, and a write through a link lands elsewhere (a .lock.pid linked to another
    file overwrote it). The run folder itself may be a link: the user named it."""
    folders = [run_dir, *(run_dir / name for name in WRITTEN_FOLDERS)]
    for folder in folders:
        if not folder.is_dir():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    target = os.readlink(entry.path)
                    raise UserError(f"{entry.path} is a symbolic link (to {target}); galaxybench never "
                                    "writes through a link in a run folder: remove it, or put the file "
                                    "itself there")


def read_env(run_dir: Path) -> dict[str, Any] | None:
    """RUN_DIR/env.json validated (bench.results.loader.load_env), None when absent; a damaged or incomplete
    one is a UserError naming the file."""
    return loader.load_env(run_dir)


class RunLock:
    """An exclusive OS lock on RUN_DIR/.lock (filelock: flock on POSIX, msvcrt.locking on Windows; the
    OS drops it when the runner dies): a second runner on the same folder gets a UserError. Entering
    also refuses a run folder holding a symbolic link (check_no_links: filelock would open and truncate
    a .lock link's target) and appends the records an earlier runner kept aside
    (recover_pending), before anyone reads which cells are done."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK
        self.owner = run_dir / LOCK_OWNER
        self._lock = filelock.FileLock(self.path, timeout=0)

    def __enter__(self) -> RunLock:
        check_no_links(self.path.parent)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            holder = "unknown"
            with contextlib.suppress(OSError):
                holder = self.owner.read_text(encoding="utf-8").strip() or holder
            raise UserError(f"{self.path.parent} is in use by another runner (pid {holder}); "
                            "wait for it to finish or use another --out") from None
        try:
            with contextlib.suppress(OSError):  # only informative; a full disk must not block the lock
                atomic.write_text(self.owner, str(os.getpid()))
            note = recover_pending(self.path.parent)
        except BaseException:
            self._lock.release()
            raise
        if note:
            notice(note)
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
