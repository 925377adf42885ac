"""Measured records a full disk kept out of results.jsonl, never lost: the runner appends through an
Appender, which keeps a refused record in memory, then in a side file (or on stderr), and the next
RunLock on the folder appends the side files first (bench.results.store.recover_pending)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from bench.errors import UserError, notice
from bench.results.store import append_lines, append_record, pending_files


class Appender:
    """A run's appends to results.jsonl, with no measured record lost to a full disk: a record that
    cannot be appended is kept in memory and appended before the next one; one still kept when the run
    ends (or stops) goes to a side file, RUN_DIR/results.jsonl.pending or else one in the temp folder,
    and is printed on stderr as well when neither can be written. The next RunLock on the folder appends
    the side files first, so those cells are not run again. Use it as a context manager."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.kept: list[dict[str, Any]] = []
        self.why = ""

    def append(self, record: dict[str, Any]) -> None:
        """Append record after any kept earlier; a failure keeps it, with a note (no exception)."""
        self.kept.append(record)
        if not self.flush():
            notice(f"{len(self.kept)} measured record(s) not appended ({self.why}); kept in memory and "
                   "tried again after the next cell")

    def flush(self) -> bool:
        """Append the kept records in order; False (and why set) when one still cannot be."""
        while self.kept:
            try:
                append_record(self.run_dir, self.kept[0])
            except OSError as exc:
                self.why = f"{exc.strerror or exc}: {exc.filename}"
                return False
            self.kept.pop(0)
        return True

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self.flush():
            return
        where = keep_aside(self.run_dir, self.kept)
        message = (f"{len(self.kept)} measured record(s) could not be appended ({self.why}); kept in "
                   f"{where}: free space, then `python -m bench run --resume --out {self.run_dir}` appends "
                   "them first")
        if exc_type is None:
            raise UserError(message)
        notice(message)  # the run is stopping for another reason: say where the records are, let it raise


def keep_aside(run_dir: Path, records: list[dict[str, Any]]) -> str:
    """Write records to the first side file that takes them; the place, in words. When none does, each
    record is printed on stderr as one JSON line (the terminal is the last place it exists)."""
    data = b"".join((json.dumps(r, allow_nan=False) + "\n").encode() for r in records)
    for path in pending_files(run_dir):
        try:
            append_lines(path, data)
            return str(path)
        except OSError:
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:
                    path.unlink()  # made empty by the failed append: leave nothing to recover

    for record in records:
        print(f"kept record: {json.dumps(record, allow_nan=False)}", file=sys.stderr)
    return "no file (the disk is full): the 'kept record:' lines above, each a results.jsonl line"
