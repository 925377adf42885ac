"""Trust: a harness cell's train img/s vs an outside reference, plain_keras_fit.py (a plain Keras
model.fit on a plain tf.data pipeline built from numpy arrays in that script: nothing from datasets/
feeds it), same model, batch and threads. For each case, PAIRS rounds of (harness cell, reference),
each in a fresh process, interleaved, the harness first in even pairs and the reference first in odd
ones; the ratio reported is the median over pairs of harness median / reference median (goal: >= 0.97
on every case), with a distribution-free interval for that median and a verdict (meets, misses or
undecided: trust_summary.py, which also pools every case of a mode).

The assert catches only gross failure, a harness more than GROSS_ERROR slower than the reference (as
the per-batch-generator pipelines were, ~0.55): on a shared 2-core VM one fresh process to the next
moves by +-10%, so the 3% goal cannot be a timed assert. Until 2026-11-30 the reference timed each
model.fit call to its return, and fit()'s tear-down (0.35-0.52 s in one call of three) made it the
slower side (ratios 1.16-1.48); it now times first step end to last step end, as the harness's repeats
do, and reports the CPU cores it used (extra_info outside_cores; about 1 of 2 is TensorFlow's
half-speed mode, DESIGN.md)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench.config.cell import Cell
from bench.launch.runner import run_cell
from tests.benchmarks.trust_summary import GOAL, median_interval

REPO = Path(__file__).resolve().parents[2]
PLAIN = Path(__file__).with_name("plain_keras_fit.py")
EXAMPLES = 2048
PAIRS = int(os.environ.get("BENCH_TRUST_PAIRS", "3"))  # more pairs, a tighter median (and a longer run)
REPEATS = 3
GROSS_ERROR = 0.25  # harness/reference below 0.75: a broken feed or timing window

# (model, input HxWxC, batch, images per timed repeat): about 2-20 s per repeat on a 2-core CPU
CASES = [("mnist_cnn", "28x28x1", 32, 6_400), ("mnist_cnn", "28x28x1", 128, 12_800),
         ("cifar_cnn", "32x32x3", 32, 3_200), ("cifar_cnn", "32x32x3", 128, 6_400),
         ("galaxy_cnn", "256x256x3", 32, 320)]


def reference_img_s(model: str, shape: str, batch: int, steps: int) -> tuple[float, float]:
    """Median img/s of the outside reference's timed model.fit calls, in a fresh process, and the median
    CPU cores it used while timed (about 1 of 2: TensorFlow's half-speed mode)."""
    cmd = [sys.executable, str(PLAIN), model, shape, str(batch), str(steps), str(REPEATS), str(EXAMPLES)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"})
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return statistics.median(out["img_s_runs"]), statistics.median(out["cores"])


def harness_img_s(cell: Cell, tmp_path: Path) -> tuple[float, dict[str, float]]:
    """The harness cell's train_img_s (median of its repeats), in a fresh process, and what the record
    says of it: input_efficiency (against the model alone, in the same process) and train_cpu_cores."""
    record = run_cell(cell, tmp_path, env={})
    assert record["status"] == "ok", record.get("log_tail")
    return record["train_img_s"], {k: record[k] for k in ("input_efficiency", "train_cpu_cores")}


# BENCH_TRUST_MODES picks the pipeline modes (default both). CI runs memory only: the ten cases take
# ~40 min on its 2 cores, more than its 90-minute budget leaves after the rest of .ci/run.
MODES = [m for m in os.environ.get("BENCH_TRUST_MODES", "memory,cache").split(",") if m]


@pytest.mark.benchmark
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("model", "shape", "batch", "images"), CASES,
                         ids=[f"{m}-b{b}" for m, _, b, _ in CASES])
def test_harness_agrees_with_outside_reference(benchmark, tmp_path, model, shape, batch, images, mode):
    pytest.importorskip("models.registry")
    (tmp_path / "logs").mkdir()
    steps = max(5, images // batch)
    cell = Cell(f"synthetic:{shape}:10:{EXAMPLES}", model, batch_size=batch, pipeline=mode,
                warmup_steps=10, steps=steps, repeats=REPEATS, timeout_s=1800)

    def pair(k: int) -> tuple[tuple[float, dict[str, float]], tuple[float, float]]:
        """One pair, the harness first in even pairs and the reference first in odd ones (ABBA), so that
        a box drifting faster or slower over the run favours neither side."""
        if k % 2:
            reference = reference_img_s(model, shape, batch, steps)
            return harness_img_s(cell, tmp_path), reference
        harness = harness_img_s(cell, tmp_path)
        return harness, reference_img_s(model, shape, batch, steps)

    def pairs() -> list[tuple[tuple[float, dict[str, float]], tuple[float, float]]]:
        return [pair(k) for k in range(PAIRS)]

    measured = benchmark.pedantic(pairs, rounds=1, iterations=1)
    ratios = [h / r for (h, _), (r, _) in measured]
    ratio = statistics.median(ratios)
    interval = median_interval(ratios)
    info = {"ratio": ratio, "ratios": ratios, "goal": GOAL,
            "ratio_interval": [interval.low, interval.high], "ratio_interval_coverage": interval.coverage,
            "verdict": interval.verdict(),
            "pairs_img_s": [(h, r) for (h, _), (r, _) in measured],
            "outside_cores": [c for _, (_, c) in measured],
            "harness_cores": [said["train_cpu_cores"] for (_, said), _ in measured],
            "harness_input_efficiency": [said["input_efficiency"] for (_, said), _ in measured]}
    benchmark.extra_info |= info
    print(f"\n{model} b{batch} {mode}: harness/outside median ratio {ratio:.3f}, {interval.coverage:.0%} "
          f"interval {interval.low:.3f}-{interval.high:.3f} ({interval.verdict()}); " + json.dumps(info))
    assert ratio >= 1 - GROSS_ERROR, f"harness/outside = {ratio:.3f}: the harness trains far slower"
