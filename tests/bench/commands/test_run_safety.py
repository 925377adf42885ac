"""Issue 31's reproductions through the command line: each a one-line error and exit 2 before anything
is written, or a note while the run goes on; nothing measured lost. The run folders hold one cell that
can only be skipped here (gpu:7), so no child process is started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from bench.results import store
from tests.bench.full_disk import FullDisk

REPO = Path(__file__).resolve().parents[3]
ENV = {"logical_cores": 2, "gpu_count": 0, "gpu_note": "none (test)", "packages": {"tensorflow": "x"}}
MATRIX = 'name = "t"\n\n[[cells]]\ndataset = "digits"\nmodel = "mnist_cnn"\ndevice = "gpu:7"\n'


def _run_folder(parent: Path, name: str = "run") -> Path:
    run = parent / name
    (run / "logs").mkdir(parents=True)
    (run / "matrix.toml").write_text(MATRIX)
    (run / "env.json").write_text(json.dumps(ENV))
    return run


def _one_line(capsys: pytest.CaptureFixture, match: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert match in err, err
    return err


@pytest.mark.parametrize("value", ["1e7", "inf"])
def test_rep1_a_huge_timeout_is_refused_before_the_run_folder_exists(tmp_path, capsys, value):
    out = tmp_path / "run"
    assert main(["run", "--matrix", "ci", "--set", f"timeout_s={value}", "--out", str(out)]) == 2
    _one_line(capsys, "timeout_s = ")
    assert not out.exists()


def test_rep1_plan_refuses_it_too_naming_the_set_it_came_from(capsys):
    assert main(["plan", "--matrix", "ci", "--set", "timeout_s=1e7"]) == 2
    _one_line(capsys, "at most 604,800 (a week")


def test_a_bad_value_from_set_names_the_set(capsys):
    """The value came from the command line, not the preset: the line says so."""
    assert main(["plan", "--matrix", "ci", "--set", "batch_size=0"]) == 2
    _one_line(capsys, "(with --set batch_size=0)")


@pytest.mark.parametrize("budget", ["nan", "-1"])
def test_a_cell_budget_that_would_prune_silently_is_one_line(capsys, budget):
    with pytest.raises(SystemExit) as stopped:
        main(["plan", "--matrix", "ci", "--cell-budget", budget])
    assert stopped.value.code == 2
    _one_line(capsys, "argument --cell-budget: '" + budget + "' is not a budget")


def test_rep3_a_pair_that_is_not_utf8_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    pair = "pairs=h5:/path/caf\udce9.h5/cifar_cnn"
    assert main(["run", "--matrix", "ci", "--set", pair, "--out", str(out)]) == 2
    _one_line(capsys, "is not UTF-8 text")
    assert not out.exists()


def test_rep3_a_run_folder_name_that_is_not_utf8_is_refused_at_the_start(tmp_path, capsys):
    out = tmp_path / "caf\udce9"
    assert main(["run", "--matrix", "ci", "--out", str(out)]) == 2
    _one_line(capsys, r"caf\udce9' is not UTF-8 text")
    assert not os.path.lexists(out)


def test_a_planted_lock_owner_link_is_refused_and_its_target_kept(tmp_path, capsys):
    run = _run_folder(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (run / store.LOCK_OWNER).symlink_to(victim)
    assert main(["run", "--resume", "--out", str(run), "--no-report"]) == 2
    _one_line(capsys, ".lock.pid is a symbolic link")
    assert victim.read_text() == "keep me" and not (run / store.RESULTS).exists()


def test_rep2_a_full_disk_keeps_the_record_and_the_next_resume_appends_it(tmp_path, capsys, monkeypatch):
    run = _run_folder(tmp_path)
    results = run / store.RESULTS
    results.touch()
    with monkeypatch.context() as m:
        FullDisk(m, results)
        assert main(["run", "--resume", "--out", str(run), "--no-report"]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: 1 measured record(s) could not be appended (No space left on "), err
    assert f"kept in {run / store.PENDING}" in last and "Traceback" not in err
    assert results.read_bytes() == b"" and len((run / store.PENDING).read_text().splitlines()) == 1

    assert main(["run", "--resume", "--out", str(run), "--no-report"]) == 0
    captured = capsys.readouterr()
    assert "note: appended 1 measured record(s) kept aside" in captured.err
    assert "(0 of 1 cells to run" in captured.out  # its record came back: the cell does not run again
    assert [r["status"] for r in store.read_records(run)] == ["skipped"]
    assert not (run / store.PENDING).exists()


def test_an_ascii_terminal_gets_escapes_not_a_traceback(tmp_path):
    """PYTHONIOENCODING=ascii gave a traceback on the first non-ASCII character printed."""
    run = _run_folder(tmp_path, "café-run")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    argv = [sys.executable, "-m", "bench", "run", "--resume", "--out", str(run), "--no-report"]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert b"caf\\xe9-run" in proc.stdout
