"""Atomic file writes: a temp file in the same folder, fsync, then rename over the target, so a
crash, Ctrl-C or full disk leaves the old file or the new one, never a half-written one.

Every error names its file (a write's ENOSPC carries none, and the CLI prints a named OSError as one
line), and no write goes through a symbolic link: the temp file is created afresh without following
one, and the rename replaces a link at the target instead of writing where it points.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

REPLACE_TRIES = 20  # os.replace onto a file another process (a report reader, antivirus) holds open fails
REPLACE_WAIT_S = 0.1  # on Windows until it is closed: retry for up to 2 s
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def named(exc: OSError, path: Path | str) -> OSError:
    """exc with a file name: itself when it has one, else the same error (same errno, so the same
    subclass) naming path."""
    if exc.filename is not None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``. An OSError names ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # a temp file left by a killed writer that had this pid
        with os.fdopen(os.open(tmp, NEW_FILE, 0o666), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        replace(tmp, path)
        sync_folder(path.parent)
    except OSError as exc:
        raise named(exc, path) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def write_text(path: Path, text: str, errors: str = "strict") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``. ``errors="backslashreplace"`` for
    text meant to be read (a report), where a name that is not UTF-8 is shown escaped, not refused."""
    return write_bytes(path, text.encode("utf-8", errors=errors))


def replace(src: Path, dst: Path) -> None:
    """os.replace, retried while Windows refuses it because another process holds dst open."""
    for _ in range(REPLACE_TRIES - 1):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            time.sleep(REPLACE_WAIT_S)
    os.replace(src, dst)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename in it survives a power cut (POSIX; Windows cannot open a folder, and
    some file systems refuse: the rename itself has happened either way)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
