"""Atomic file writes: a temp file in the same folder, fsync, then rename over the target, so a
crash or Ctrl-C leaves the old file or the new one, never a half-written one."""

from __future__ import annotations

import os
import time
from pathlib import Path

REPLACE_TRIES = 20  # os.replace onto a file another process (a report reader, antivirus) holds open fails
REPLACE_WAIT_S = 0.1  # on Windows until it is closed: retry for up to 2 s


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def replace(src: Path, dst: Path) -> None:
    """os.replace, retried while Windows refuses it because another process holds dst open."""
    for _ in range(REPLACE_TRIES - 1):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            time.sleep(REPLACE_WAIT_S)
    os.replace(src, dst)
