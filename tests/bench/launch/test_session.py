"""bench.launch.session: `bench run`'s options unpacked once, its exit status rule, and an interrupted run
(a real SIGTERM) that leaves no process behind and writes its partial report."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.cli import build_parser, main
from bench.commands.run import options
from bench.launch.session import EXIT_STATUS_HELP, RunOptions, RunSession, ending
from tests.bench.conftest import REPO, records
from tests.conftest import needs_posix

RETRY = "python -m bench run --retry failed --out RUN"


@pytest.mark.parametrize(("counts", "status", "says"), [
    ({"ok": 3, "skipped": 2, "pruned": 1}, 0, "every cell ended in a measured outcome"),
    ({"ok": 1, "oom": 1, "timeout": 1, "nan": 1}, 0, "every cell ended in a measured outcome"),
    ({}, 0, "every cell ended in a measured outcome"),  # a resume with nothing left to run
    ({"skipped": 4}, 0, "every cell ended in a measured outcome"),
    ({"ok": 5, "error": 1}, 1, f"1 cell(s) ended in error; their records' reason and log_tail say why; "
                               f"`{RETRY}` runs them again"),
    ({"ok": 2, "not run": 3}, 1, "3 cell(s) could not be run"),
    ({"oom": 1, "timeout": 2, "skipped": 1}, 1,
     "no cell that ran measured anything (1 oom, 1 skipped, 2 timeout)"),
])
def test_the_exit_status_rule(counts: dict[str, int], status: int, says: str) -> None:
    end = ending(counts, RETRY)
    assert end.status == status and says in end.why


def test_the_options_are_unpacked_once_into_a_frozen_object(tmp_path: Path) -> None:
    args = build_parser().parse_args(["run", "--matrix", "ci", "--set", "threads=1", "--out", str(tmp_path),
                                      "--retry", "failed", "--no-prune", "--cell-budget", "60", "--no-report",
                                      "--price-per-kwh", "0.35"])
    opts = options(args)
    assert opts == RunOptions(matrix="ci", overrides=("threads=1",), out=tmp_path, resume=True,
                              retry_failed=True, prune=False, cell_budget_s=60.0, report=False,
                              price_per_kwh=0.35)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.resume = False  # type: ignore[misc]


def test_the_resume_command_names_the_cluster_when_there_is_one(tmp_path: Path) -> None:
    here = RunSession(RunOptions(), tmp_path)
    assert here.command("--resume") == f"python -m bench run --resume --out {tmp_path}"
    on_ray = RunSession(RunOptions(cluster="ray://h:10001"), tmp_path)
    assert on_ray.command("--retry", "failed").endswith(f"--out {tmp_path} --cluster ray://h:10001")


def test_the_help_states_the_exit_status_rule(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 when every cell this command ran ended in a measured outcome" in help_text
    assert " ".join(EXIT_STATUS_HELP.split()[1:]) in help_text


def test_the_last_line_states_the_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    session = RunSession(RunOptions(report=False), tmp_path)
    assert session.finish({"ok": 2, "error": 1}) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"finished: 1 error, 2 ok  ({tmp_path})"
    assert lines[-1].startswith("exit status 1: 1 cell(s) ended in error")
    assert f"python -m bench run --retry failed --out {tmp_path}" in lines[-1]


# One cell whose data is missing (recorded as skipped before any process starts) and one synthetic cell
# that hangs (BENCH_FAULT), so the run is interrupted with one record written and a cell running.
MATRIX = """
name = "interrupted"
[axes]
pairs = ["h5:/nonexistent/galaxybench-test.h5/cifar_cnn"]
threads = 1
batch_size = 16
mode = "throughput"
timeout_s = 300
[[include]]
pairs = ["digits/cifar_cnn"]
data = "synthetic"
synthetic_examples = 64
"""
ENV = {"hostname": "test", "logical_cores": 2, "gpu_count": 0, "packages": {"tensorflow": "x"},
       "peak_gflop_s": {"cpu": 50.0}}


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m bench run ARGS` as its own process, with a data folder of its own."""
    extra = {"BENCH_DATA_DIR": str(tmp_path / "data"), "BENCH_RESULTS_DIR": str(tmp_path), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "bench", "run", *args], cwd=REPO, text=True,
                            env=os.environ | extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _descendants(pid: int, marker: str) -> list[psutil.Process]:
    """The running processes below pid whose command line holds marker."""
    try:
        below = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for proc in below:
        try:
            if marker in " ".join(proc.cmdline()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _sigterm_once_running(runner: subprocess.Popen[str], marker: str) -> tuple[list[Any], str, str]:
    """SIGTERM the runner once a process `marker` runs below it; those processes (with any below them) and
    the runner's output."""
    deadline = time.monotonic() + 120
    while not (found := _descendants(runner.pid, marker)):
        if runner.poll() is not None or time.monotonic() > deadline:
            runner.kill()
            pytest.fail(f"{marker} never ran below the runner: {runner.communicate()}")
        time.sleep(0.05)
    with contextlib.suppress(psutil.NoSuchProcess):
        found += [c for p in found for c in p.children(recursive=True)]
    runner.send_signal(signal.SIGTERM)
    out, err = runner.communicate(timeout=120)
    return found, out, err


def _still_running(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those of procs still running after a few seconds (a killed one that init has not reaped yet, a
    zombie, counts as ended)."""
    _, alive = psutil.wait_procs(procs, timeout=10)
    running = []
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.status() != psutil.STATUS_ZOMBIE:
                running.append(proc)
    return running


@needs_posix
def test_sigterm_during_the_environment_probe_leaves_no_probe_running(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(MATRIX, encoding="utf-8")
    runner = _start(tmp_path, "--matrix", str(tmp_path / "m.toml"), "--out", str(tmp_path / "run"))
    probes, out, err = _sigterm_once_running(runner, "bench.envinfo")
    assert runner.returncode == 130, out + err
    assert not _still_running(probes), "the environment probe outlived its runner"
    assert "interrupted before any cell was recorded: no report" in out
    assert f"resume with: python -m bench run --resume --out {tmp_path / 'run'}" in out
    assert not (tmp_path / "run" / "results.jsonl").exists() and "Traceback" not in err


@needs_posix
def test_sigterm_mid_run_writes_the_partial_report_and_names_resume(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "env.json").write_text(json.dumps(ENV), encoding="utf-8")  # no probe: this test is about cells
    (tmp_path / "m.toml").write_text(MATRIX, encoding="utf-8")
    runner = _start(tmp_path, "--matrix", str(tmp_path / "m.toml"), "--out", str(run), "--skip-missing",
                    env={"BENCH_FAULT": "hang@synthetic"})
    cells, out, err = _sigterm_once_running(runner, "bench.cell.child")
    assert runner.returncode == 130, out + err
    assert not _still_running(cells), "the cell outlived its runner"
    [skipped] = records(run)  # what finished before the signal; nothing for the cell it stopped
    assert skipped["status"] == "skipped" and skipped["dataset"].startswith("h5:")
    assert (f"interrupted: partial report of the 1 record(s) so far: {run / 'report.html'} "
            f"(`python -m bench report {run}` remakes it)") in out
    assert out.rstrip().endswith(f"resume with: python -m bench run --resume --out {run}")
    assert "Traceback" not in err
    (run / "report.html").unlink()
    assert main(["report", str(run)]) == 0 and (run / "report.html").is_file()
