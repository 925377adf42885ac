"""Trust: the harness's train img/s for a cell vs a plain Keras model.fit of the same model, batch and
threads, timed from outside (target: within 3%). Alternates the two, twice, each in a fresh process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cell import Cell
from bench.runner import run_cell

REPO = Path(__file__).resolve().parents[2]
PLAIN = Path(__file__).with_name("plain_keras_fit.py")
DATASET, MODEL, BATCH, STEPS, REPEATS = "synthetic:32x32x3:10:1024", "cifar_cnn", 32, 100, 3


def plain_img_s() -> float:
    """Median img/s of the plain script's timed model.fit calls."""
    cmd = [sys.executable, str(PLAIN), DATASET, MODEL, str(BATCH), str(STEPS), str(REPEATS)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"})
    return statistics.median(json.loads(proc.stdout.strip().splitlines()[-1])["img_s_runs"])


def harness_img_s(tmp_path: Path) -> float:
    """The harness's train_img_s (median over its repeats) for the same model, data, batch, threads."""
    cell = Cell(DATASET, MODEL, batch_size=BATCH, warmup_steps=10, steps=STEPS, repeats=REPEATS,
                timeout_s=900)
    record = run_cell(cell, tmp_path, env={})
    assert record["status"] == "ok", record.get("log_tail")
    return record["train_img_s"]


@pytest.mark.benchmark
def test_harness_train_img_s_agrees_with_plain_keras(benchmark, tmp_path):
    pytest.importorskip("datasets.api")
    pytest.importorskip("models.registry")
    (tmp_path / "logs").mkdir()

    def pairs() -> list[tuple[float, float]]:
        return [(harness_img_s(tmp_path), plain_img_s()) for _ in range(2)]

    measured = benchmark.pedantic(pairs, rounds=1, iterations=1)
    ratio = statistics.median(h / p for h, p in measured)
    benchmark.extra_info |= {"ratio_harness_over_plain": ratio, "pairs_img_s": measured}
    print(f"\nharness/plain train img/s ratio {ratio:.3f} over pairs {measured}")
    assert abs(ratio - 1) <= 0.03, f"harness/plain = {ratio:.3f} (target within 3%)"
