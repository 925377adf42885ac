"""Runner test fixtures: run `python -m bench` in a subprocess; one shared run of failing cells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
