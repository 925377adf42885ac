"""The write side of bench.results.store (issue 31): appends whole lines or none and name their file,
and the runner's lock refuses a run folder holding a symbolic link (a .lock.pid pointing elsewhere
overwrote that file)."""

from __future__ import annotations

import errno
import json
import os

import pytest

from bench.errors import UserError
from bench.results import store


def test_a_failed_append_is_cut_back_to_whole_lines_and_names_the_file(tmp_path, monkeypatch):
    store.append_record(tmp_path, {"cell_id": "a", "status": "ok"})
    before = (tmp_path / store.RESULTS).read_bytes()
    real = os.write
    calls = {"n": 0}

    def short_then_full(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real(fd, data[:5])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_then_full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        store.append_record(tmp_path, {"cell_id": "b", "status": "ok"})
    assert caught.value.filename == str(tmp_path / store.RESULTS)
    assert (tmp_path / store.RESULTS).read_bytes() == before


def test_append_never_follows_a_link(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / store.RESULTS).symlink_to(victim)
    with pytest.raises(OSError) as caught:
        store.append_record(run, {"cell_id": "a", "status": "ok"})
    assert caught.value.filename == str(run / store.RESULTS)
    assert victim.read_text() == "keep me\n"


@pytest.mark.parametrize("name", [store.LOCK_OWNER, store.LOCK, store.RESULTS, "logs", "logs/cell.log"])
def test_the_lock_refuses_a_run_folder_with_a_link_and_writes_nothing(tmp_path, name):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    run = tmp_path / "run"
    (run / "logs").mkdir(parents=True)
    if name == "logs":
        (run / "logs").rmdir()
    (run / name).symlink_to(victim)
    with pytest.raises(UserError, match=rf"{name} is a symbolic link \(to {victim}\); galaxybench never "
                                        "writes through a link in a run folder"):
        with store.RunLock(run):
            pass
    assert victim.read_text() == "keep me"


def test_the_lock_writes_its_owner_and_a_second_runner_is_told(tmp_path):
    with store.RunLock(tmp_path):
        assert (tmp_path / store.LOCK_OWNER).read_text() == str(os.getpid())
        with pytest.raises(UserError, match=rf"in use by another runner \(pid {os.getpid()}\)"):
            store.RunLock(tmp_path).__enter__()


def test_write_json_reads_back_text_that_is_not_utf8(tmp_path):
    store.write_json(tmp_path / "env.json", {"hostname": "caf\udce9"})
    assert json.loads((tmp_path / "env.json").read_text(encoding="utf-8")) == {"hostname": "caf\udce9"}


def test_an_append_starts_on_a_line_of_its_own(tmp_path):
    """Hypothesis found it: a file ending in '\\x1f' (whitespace to Python, not to JSON) swallowed the
    next record into its line."""
    (tmp_path / store.RESULTS).write_bytes(b"\x1f")
    store.append_record(tmp_path, {"cell_id": "next", "status": "error"})
    assert [r["cell_id"] for r in store.read_records(tmp_path)] == ["next"]
