"""bench.atomic: a write is whole or absent, its error names the file, and it never goes through a link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from bench import atomic


def test_a_full_disk_leaves_the_old_file_and_names_the_new_one(tmp_path, monkeypatch):
    target = tmp_path / "env.json"
    target.write_text("old")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left on device") as caught:
        atomic.write_text(target, "new")
    assert caught.value.filename == str(target) and caught.value.errno == errno.ENOSPC
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["env.json"]


def test_a_link_at_the_target_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    atomic.write_text(link, "page")
    assert not link.is_symlink() and link.read_text() == "page" and victim.read_text() == "keep me"


def test_a_link_planted_at_the_temp_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    target = tmp_path / "summary.md"
    (tmp_path / f".{target.name}.{os.getpid()}.tmp").symlink_to(victim)
    atomic.write_text(target, "table")
    assert target.read_text() == "table" and victim.read_text() == "keep me"


def test_text_that_is_not_utf8_is_refused_unless_escaped_for_reading(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(tmp_path / "matrix.toml", "caf\udce9")
    assert not (tmp_path / "matrix.toml").exists()
    atomic.write_text(tmp_path / "summary.md", "caf\udce9", errors="backslashreplace")
    assert (tmp_path / "summary.md").read_text() == "caf\\udce9"


def test_named_keeps_the_errors_kind(tmp_path: Path):
    err = atomic.named(OSError(errno.ENOENT, "No such file or directory"), tmp_path / "x")
    assert isinstance(err, FileNotFoundError) and err.filename == str(tmp_path / "x")
