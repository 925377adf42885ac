"""Runner test fixtures: run `python -m bench` in a subprocess; one shared run of failing cells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

FAULTS_MATRIX = """
name = "faults"
[axes]
pairs = ["digits/m_raise", "digits/m_abort", "digits/m_sigkill", "digits/m_memory", "digits/m_nan"]
timeout_s = 120
[[include]]
pairs = ["digits/m_hang"]
timeout_s = 2
[[include]]
pairs = ["digits/m_gpu"]
device = "gpu:99"
[[include]]
pairs = ["digits/m_threads"]
threads = 4096
"""
FAULTS = "raise@m_raise,abort@m_abort,sigkill@m_sigkill,memory@m_memory,nan@m_nan,hang@m_hang"


def bench(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m bench ARGS` from the repo root; captured text output."""
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def records(run_dir: Path) -> list[dict[str, Any]]:
    """The records of a run folder, in order."""
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]


@pytest.fixture(scope="session")
def faults_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """One run of deliberately failing cells (BENCH_FAULT) plus GPU and thread-count skips."""
    base = tmp_path_factory.mktemp("faults")
    matrix = base / "faults.toml"
    matrix.write_text(FAULTS_MATRIX)
    out = base / "run"
    proc = bench("run", "--matrix", str(matrix), "--out", str(out), env={"BENCH_FAULT": FAULTS})
    return out, proc


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until predicate() is true; fail the test after timeout seconds."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The ci preset end to end, interrupted the hard way: the runner is SIGKILLed once the first
    record is written (its child dies with it), then the run is resumed to completion."""
    pytest.importorskip("datasets.api", reason="needs the datasets package (issue on datasets)")
    pytest.importorskip("models.registry", reason="needs the models package (issue on models)")
    base = tmp_path_factory.mktemp("ci")
    out, env = base / "run", {"BENCH_DATA_DIR": str(base / "data"), "BENCH_RESULTS_DIR": str(base)}
    first = subprocess.Popen([sys.executable, "-m", "bench", "run", "--matrix", "ci", "--out", str(out)],
                             cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    results = out / "results.jsonl"
    wait_for(lambda: results.exists() and results.read_text().count("\n") >= 1 or first.poll() is not None,
             300, "the first record")
    import psutil

    children = psutil.Process(first.pid).children(recursive=True)
    first.kill()
    first.wait()
    psutil.wait_procs(children, timeout=10)
    orphans = [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    before = results.read_text()
    resumed = bench("run", "--resume", "--out", str(out), env=env)
    return {"out": out, "env": env, "killed_rc": first.returncode, "orphans": orphans,
            "records_before_resume": before.count("\n"), "resumed": resumed}
