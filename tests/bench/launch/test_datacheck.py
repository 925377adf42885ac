"""The pre-run data check: missing data sets named once, their cells skipped without a process each,
and a run with no runnable real-data cell stopped before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.errors import UserError
from bench.launch import datacheck, runner
from tests.bench.conftest import bench, records


def _planned(*datasets: str, skip: str | None = None) -> list[Planned]:
    return [Planned(Cell(d, "mnist_cnn", batch_size=b), skip) for b, d in enumerate(datasets, 1)]


def test_missing_sets_are_counted_per_cell_and_present_ones_listed(tmp_path: Path):
    planned = _planned("cifar10", "cifar10", "galaxy10", "digits", "synthetic:28x28x1:10:64")
    found = datacheck.check(planned, tmp_path)
    assert {m.name: m.cells for m in found.missing} == {"cifar10": 2, "galaxy10": 1}
    assert "digits" in found.present and found.needing_data == 4
    assert not found.nothing_real_runs  # the digits cell can run
    lines = datacheck.missing_lines(found, tmp_path)
    assert "cifar10: 2 cell(s), 170 MB download: python -m bench datasets download cifar10" in lines[0]
    assert "2.5 GB" in lines[1]


def test_every_real_cell_missing_means_nothing_real_runs(tmp_path: Path):
    found = datacheck.check(_planned("cifar10", "galaxy10", "synthetic:28x28x1:10:64"), tmp_path)
    assert found.nothing_real_runs
    assert not datacheck.check(_planned("synthetic:28x28x1:10:64"), tmp_path).nothing_real_runs


def test_cells_skipped_for_other_reasons_need_no_data(tmp_path: Path):
    found = datacheck.check(_planned("galaxy10", skip="gpu:3 requested"), tmp_path)
    assert not found.missing and found.needing_data == 0


def test_h5_path_is_checked_for_existence(tmp_path: Path):
    here = tmp_path / "mine.h5"
    here.write_bytes(b"")
    found = datacheck.check(_planned(f"h5:{here}", f"h5:{tmp_path / 'gone.h5'}"), tmp_path)
    assert f"h5:{here}" in found.present and [m.name for m in found.missing] == [f"h5:{tmp_path / 'gone.h5'}"]


def test_mark_missing_skips_only_cells_of_missing_sets(tmp_path: Path):
    planned = _planned("cifar10", "digits")
    marked = datacheck.mark_missing(planned, datacheck.check(planned, tmp_path))
    reason = marked[0].skip_reason
    assert reason.startswith(datacheck.DATA_SKIP_PREFIX) and "download cifar10" in reason
    assert marked[1].skip_reason is None


def test_resume_rechecks_cells_skipped_for_data(tmp_path: Path):
    planned = _planned("cifar10", "galaxy10")
    first = planned[:1]
    runner.record_skipped(tmp_path, datacheck.mark_missing(first, datacheck.check(first, tmp_path)))
    runner.record_skipped(tmp_path, [Planned(planned[1].cell, "gpu:3 requested")])
    assert runner.to_run(planned, tmp_path, retry_failed=False) == []
    again = runner.to_run(planned, tmp_path, retry_failed=False, rerun_data_skips=True)
    assert [p.cell for p in again] == [planned[0].cell]


def test_run_stops_before_any_cell_when_no_real_data_cell_can_run(tmp_path: Path):
    matrix = tmp_path / "m.toml"
    matrix.write_text('[axes]\npairs = ["cifar10/cifar_cnn", "galaxy10/galaxy_cnn"]\n')
    out = tmp_path / "run"
    proc = bench("run", "--matrix", str(matrix), "--out", str(out),
                 env={"BENCH_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()  # one line naming every missing set and its command
    assert line.startswith("error: no cell that reads real data can run")
    assert "cifar10 (1 cells, 170 MB: python -m bench datasets download cifar10)" in line
    assert "galaxy10 (1 cells, 2.5 GB: python -m bench datasets download galaxy10)" in line
    assert not (out / "results.jsonl").exists() and not list((out / "logs").glob("*.log"))


def test_run_records_missing_data_cells_in_one_pass_and_runs_the_rest(tmp_path: Path):
    matrix = tmp_path / "m.toml"
    matrix.write_text('[axes]\npairs = ["cifar10/m_raise", "digits/m_raise"]\n')
    out = tmp_path / "run"
    proc = bench("run", "--matrix", str(matrix), "--out", str(out), "--no-report",
                 env={"BENCH_DATA_DIR": str(tmp_path / "d"), "BENCH_FAULT": "raise"})
    assert proc.returncode == 1, proc.stderr  # the digits cell ran and errored on purpose
    assert proc.stdout.count("cifar10: 1 cell(s)") == 1
    by_data = {r["dataset"]: r for r in records(out)}
    cifar = by_data["cifar10"]
    assert cifar["status"] == "skipped" and "datasets download cifar10" in cifar["reason"]
    assert not (out / "logs" / f"{by_data['cifar10']['cell_id']}.log").exists()  # no process for it
    assert by_data["digits"]["status"] == "error"  # the digits cell did run (and failed on purpose)


def test_a_writable_data_folder_is_made_and_left_clean(tmp_path: Path):
    root = tmp_path / "new" / "data"
    assert datacheck.check_data_folder(root) == root
    assert root.is_dir() and list(root.iterdir()) == []  # the write check leaves nothing behind


@pytest.mark.parametrize("where", ["a file", "under a file", "unwritable"])
def test_an_unusable_data_folder_is_one_line_naming_the_fix(tmp_path: Path, monkeypatch, where: str):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    if where == "unwritable":
        if not Path("/proc/self").is_dir():
            pytest.skip("needs /proc: a folder no one (root included) can create files in")
        root = Path("/proc")
    else:
        root = afile if where == "a file" else afile / "data"
    monkeypatch.setenv("BENCH_DATA_DIR", str(root))
    with pytest.raises(UserError) as caught:
        datacheck.check_data_folder()
    message = str(caught.value)
    assert f"the data folder {root} (from $BENCH_DATA_DIR) is not a folder this user can write" in message
    assert "set BENCH_DATA_DIR to one" in message and "\n" not in message
    assert afile.read_text() == "not a folder"


def test_an_unusable_home_names_home_and_the_fix(monkeypatch):
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc: a HOME under which no one (root included) can create a folder")
    monkeypatch.delenv("BENCH_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "/proc/no-home")
    with pytest.raises(UserError, match=r"user cache folder, HOME=/proc/no-home\).*set BENCH_DATA_DIR"):
        datacheck.check_data_folder()
