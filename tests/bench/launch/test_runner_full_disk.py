"""Issue 31, rep. 2: a full disk never loses a measured record. The runner's appends go through
pending.Appender: a record results.jsonl cannot take is kept in memory and appended after the next cell,
else kept aside in a side file (or printed on stderr) that the next runner appends first. The disk is
made full by a fault injected into os.write (runs anywhere), and by a real tmpfs where root may mount one."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.errors import UserError
from bench.launch import runner
from bench.launch.spawn import base_record
from bench.results import pending, store
from tests.bench.full_disk import FullDisk

CELLS = [Planned(Cell("digits", "mnist_cnn", batch_size=b)) for b in (16, 32)]


def _measured(cell: Cell, run_dir: Path, env: dict) -> dict:
    """What a finished cell's child reports (no process is started here)."""
    return base_record(cell, "ok", None) | {"train_img_s": 1000.0 + cell.batch_size, "wall_s": 1.5}


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(runner, "run_cell", _measured)
    monkeypatch.setattr(store.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "run" / "logs").mkdir(parents=True)
    return tmp_path / "run"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_record_refused_once_is_appended_after_the_next_cell(run_dir, monkeypatch, capsys):
    results = run_dir / store.RESULTS
    results.touch()
    FullDisk(monkeypatch, results, times=1)
    counts = runner.run_cells(run_dir, CELLS, {}, total=2)
    assert counts == {"ok": 2}
    got = _lines(results)  # every line whole: the torn half-write was cut back off
    assert [r["batch_size"] for r in got] == [16, 32] and got[0]["train_img_s"] == 1016.0
    assert "kept in memory and tried again after the next cell" in capsys.readouterr().err


def test_a_disk_full_to_the_end_keeps_the_records_aside_for_the_next_runner(run_dir, monkeypatch):
    results = run_dir / store.RESULTS
    results.touch()
    FullDisk(monkeypatch, results)
    kept = rf"kept in {run_dir / store.PENDING}: free space"
    with pytest.raises(UserError, match=rf"2 measured record\(s\) could not be appended \(No space left on "
                                        rf"device: {results}\); {kept}"):
        runner.run_cells(run_dir, CELLS, {}, total=2)
    assert results.read_bytes() == b""  # no torn line left behind
    assert [r["train_img_s"] for r in _lines(run_dir / store.PENDING)] == [1016.0, 1032.0]

    monkeypatch.undo()  # space freed: the next runner on the folder appends them first
    monkeypatch.setattr(store.tempfile, "gettempdir", lambda: str(run_dir.parent / "tmp"))
    with store.RunLock(run_dir):
        pass
    assert [r["train_img_s"] for r in store.read_records(run_dir)] == [1016.0, 1032.0]
    assert not (run_dir / store.PENDING).exists()
    assert runner.to_run(CELLS, run_dir, retry_failed=False) == []  # not run again


def test_with_no_file_to_take_them_the_records_are_printed(run_dir, monkeypatch, capsys):
    results = run_dir / store.RESULTS
    results.touch()
    monkeypatch.setattr(pending, "pending_files", lambda run: [])
    FullDisk(monkeypatch, results)
    with pytest.raises(UserError, match="kept in no file"):
        runner.run_cells(run_dir, CELLS, {}, total=2)
    kept = [json.loads(line.split("kept record: ", 1)[1]) for line in capsys.readouterr().err.splitlines()
            if line.startswith("kept record: ")]
    assert [r["train_img_s"] for r in kept] == [1016.0, 1032.0]


def test_an_interrupted_run_keeps_the_refused_record_aside(run_dir, monkeypatch):
    results = run_dir / store.RESULTS
    results.touch()
    calls = {"n": 0}

    def second_cell_interrupted(cell: Cell, run: Path, env: dict) -> dict:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return _measured(cell, run, env)

    monkeypatch.setattr(runner, "run_cell", second_cell_interrupted)
    FullDisk(monkeypatch, results)
    with pytest.raises(KeyboardInterrupt):
        runner.run_cells(run_dir, CELLS, {}, total=2)
    assert [r["batch_size"] for r in _lines(run_dir / store.PENDING)] == [16]


def test_a_side_file_in_the_temp_folder_counts_only_when_it_is_ours(run_dir, tmp_path):
    side = store.pending_files(run_dir)[1]
    side.parent.mkdir(exist_ok=True)
    elsewhere = tmp_path / "planted.jsonl"
    elsewhere.write_text(json.dumps({"cell_id": "x", "status": "ok"}) + "\n")
    side.symlink_to(elsewhere)
    assert store.recover_pending(run_dir) is None
    assert side.is_symlink() and not (run_dir / store.RESULTS).exists()


@contextlib.contextmanager
def _tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of that size mounted on folder, or a skip where it cannot be (not root, no mount)."""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a tmpfs needs root and mount")
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount -t tmpfs is not allowed here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_on_a_real_full_disk_nothing_measured_is_lost(tmp_path, monkeypatch, capsys):
    """A 64 KiB tmpfs filled to the last byte: the records go to the temp folder's side file (another
    disk), and once space is freed the next runner appends them."""
    monkeypatch.setattr(runner, "run_cell", _measured)
    monkeypatch.setattr(store.tempfile, "gettempdir", lambda: str(tmp_path))
    with _tmpfs(tmp_path / "disk", "64k") as disk:
        run_dir = disk / "run"
        (run_dir / "logs").mkdir(parents=True)
        (run_dir / store.RESULTS).touch()
        filler = disk / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as f:
            while True:
                f.write(b"x" * 4096)
                f.flush()
        with pytest.raises(UserError, match=rf"kept in {tmp_path}/galaxybench-"):
            runner.run_cells(run_dir, CELLS, {}, total=2)
        assert (run_dir / store.RESULTS).read_bytes() == b""
        filler.unlink()
        with store.RunLock(run_dir):
            pass
        assert [r["train_img_s"] for r in store.read_records(run_dir)] == [1016.0, 1032.0]
        err = capsys.readouterr().err
        assert "appended 2 measured record(s) kept aside" in err and "appended 0" not in err
