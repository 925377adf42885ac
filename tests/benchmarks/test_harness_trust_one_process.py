"""Trust, in one process: the harness's feed with its in-fit trackers against a plain in-memory tf.data
pipeline (feed_in_one_process.py builds it from numpy arrays), the same model object trained on each in
turn, ROUNDS rounds ABBA. The fresh-process check (test_harness_trust.py) covers the whole harness but
moves +-10% between processes on this VM; here both sides share one process, so the ratio (median over
rounds of harness/plain) and its interval are tight enough to say whether the feed and trackers cost
the 3% the goal allows. Same cases, modes and goal; the assert catches only gross failure."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.test_harness_trust import CASES, EXAMPLES, GROSS_ERROR, MODES
from tests.benchmarks.trust_summary import GOAL, median_interval

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("feed_in_one_process.py")
ROUNDS = int(os.environ.get("BENCH_TRUST_ROUNDS", "8"))


@pytest.mark.benchmark
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("model", "shape", "batch", "images"), CASES,
                         ids=[f"{m}-b{b}" for m, _, b, _ in CASES])
def test_harness_feed_agrees_with_plain_feed_in_one_process(benchmark, model, shape, batch, images, mode):
    pytest.importorskip("models.registry")
    steps = max(5, images // batch)
    cmd = [sys.executable, str(SCRIPT), model, shape, str(batch), str(steps), str(ROUNDS), mode,
           str(EXAMPLES)]

    def rounds() -> dict[str, list[float]]:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"})
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    out = benchmark.pedantic(rounds, rounds=1, iterations=1)
    ratios = [h / p for h, p in zip(out["harness_img_s"], out["plain_img_s"], strict=True)]
    ratio, interval = statistics.median(ratios), median_interval(ratios)
    info = {"check": "one process", "ratio": ratio, "ratios": ratios, "goal": GOAL,
            "ratio_interval": [interval.low, interval.high], "ratio_interval_coverage": interval.coverage,
            "verdict": interval.verdict(), "harness_img_s": out["harness_img_s"],
            "plain_img_s": out["plain_img_s"]}
    benchmark.extra_info |= info
    print(f"\n{model} b{batch} {mode}, one process: harness/plain median ratio {ratio:.3f}, "
          f"{interval.coverage:.0%} interval {interval.low:.3f}-{interval.high:.3f} ({interval.verdict()})")
    assert ratio >= 1 - GROSS_ERROR, f"harness feed / plain feed = {ratio:.3f}: the harness's feed is slower"
