"""A full disk for tests: os.write fails with ENOSPC on chosen files (a fault injected, so it runs
anywhere)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest


class FullDisk:
    """os.write fails with ENOSPC on the given files, `times` times: first a short write (half the
    bytes), as a filling disk gives, then the error. Other writes go through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *files: Path, times: int = 10**9) -> None:
        self.files, self.left, self.short = files, times, True
        self.real = os.write
        monkeypatch.setattr(os, "write", self.write)

    def hit(self, fd: int) -> bool:
        st = os.fstat(fd)
        return self.left > 0 and any(f.exists() and os.path.samestat(st, os.stat(f)) for f in self.files)

    def write(self, fd: int, data: bytes) -> int:
        if not self.hit(fd):
            return self.real(fd, data)
        if self.short and len(data) > 1:
            self.short = False
            return self.real(fd, data[: len(data) // 2])
        self.left, self.short = self.left - 1, True
        raise OSError(errno.ENOSPC, "No space left on device")
