"""The child contract under both names: `python -m bench.cell.child` and the old `python -m bench.child`
(kept for launchers that start cells by it) print one JSON record on stdout and exit 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.config.cell import Cell
from tests.bench.conftest import REPO


@pytest.mark.parametrize("module", ["bench.cell.child", "bench.child"])
def test_the_child_prints_one_record(module):
    """A cell failed on purpose (BENCH_FAULT=raise, before any backend loads) still ends in one record."""
    cell = Cell("digits", "mnist_cnn")
    proc = subprocess.run([sys.executable, "-m", module, json.dumps(cell.config())], cwd=REPO,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "BENCH_FAULT": "raise"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["status"] == "error" and "BENCH_FAULT=raise" in record["reason"]


@pytest.mark.parametrize("module", ["bench.cell.child", "bench.child"])
def test_the_child_without_a_cell_says_how_to_run_cells(module):
    """Typed by hand with no cell: one error line naming the fix, exit 2, no traceback."""
    proc = subprocess.run([sys.executable, "-m", module], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().startswith("error: usage:") and "python -m bench run" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_corrupt_chunk_met_inside_a_cell_is_its_one_line_reason(tmp_path):
    """The cell reads a gzip file whose middle chunk is damaged: the record's reason is the data side's one
    line naming the file and the images (datasets.verify), not TensorFlow's wrapped error."""
    from tests.datasets import hostile

    path = hostile.corrupt_chunk(tmp_path)
    cell = Cell(f"h5:{path}", "cifar_cnn", mode="throughput", pipeline="stream", steps=40, repeats=3)
    env = {**os.environ, "BENCH_DATA_DIR": str(tmp_path / "data"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-m", "bench.cell.child", json.dumps(cell.config())], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["status"] == "error", record
    assert record["reason"].startswith("ReadFailure: ") and "cannot be read" in record["reason"]
    assert "corrupt_chunk.h5: images 150..159" in record["reason"] and "\n" not in record["reason"]
