"""The trust check's summary (tests/benchmarks/trust_summary.py): order-statistic intervals for a median,
verdicts against the goal, and the per-case and pooled lines read from a benchmark JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.benchmarks.trust_summary import Interval, median_interval, summary_lines
from tests.conftest import REPO

SCRIPT = REPO / "tests" / "benchmarks" / "trust_summary.py"


def test_four_pairs_give_the_full_range_at_its_own_coverage():
    iv = median_interval([0.9, 1.1, 0.8, 1.0])
    assert (iv.low, iv.high) == (0.8, 1.1)
    assert iv.coverage == pytest.approx(1 - 2 / 16)


def test_more_pairs_narrow_the_interval_to_inner_order_statistics():
    values = [float(v) for v in range(1, 21)]  # 20 pairs: the 6th and 15th values cover 95.9%
    iv = median_interval(values)
    assert (iv.low, iv.high) == (6.0, 15.0)
    assert iv.coverage >= 0.90


@given(st.lists(st.floats(0.1, 10, allow_nan=False), min_size=1, max_size=40))
def test_the_interval_holds_the_sample_median(values):
    iv = median_interval(values)
    assert iv.low <= float(np.median(values)) <= iv.high
    assert 0 <= iv.coverage <= 1


def test_coverage_is_what_a_simulation_finds():
    """The sign-test coverage holds for a skewed distribution: 20 values, 2,000 draws."""
    rng = np.random.default_rng(0)
    true_median = 1.0  # of lognormal(0, 0.3): exp(0)
    draws = [list(rng.lognormal(0, 0.3, 20)) for _ in range(2000)]
    hits = sum(iv.low <= true_median <= iv.high for iv in map(median_interval, draws))
    assert hits / len(draws) >= median_interval(draws[0]).coverage - 0.03


@pytest.mark.parametrize(("low", "high", "verdict"), [(0.98, 1.1, "meets"), (0.97, 0.99, "meets"),
                                                      (0.8, 0.96, "misses"), (0.9, 1.05, "undecided")])
def test_verdict_against_the_goal(low, high, verdict):
    assert Interval(low, high, 0.9).verdict() == verdict


def _report(ratios: dict[tuple[str, str], list[float]]) -> dict:
    benches = [{"params": {"model": model, "batch": 32, "mode": mode}, "extra_info": {"ratios": rs}}
               for (model, mode), rs in ratios.items()]
    benches.append({"params": None, "extra_info": {"ratio_to_reference": 1.0}})  # not a trust benchmark
    return {"benchmarks": benches}


def test_summary_has_a_line_per_case_and_a_pooled_line_per_mode():
    report = _report({("mnist_cnn", "memory"): [1.0, 1.02, 0.99], ("cifar_cnn", "memory"): [0.5, 0.6, 0.55],
                      ("mnist_cnn", "cache"): [0.9, 0.95, 0.92]})
    lines = summary_lines(report)
    assert len(lines) == 5
    assert lines[0].startswith("mnist_cnn b32 memory") and lines[0].endswith("meets")
    assert lines[1].endswith("misses")
    assert lines[3].startswith("all cases memory") and "pairs 6" in lines[3]


def test_the_one_process_check_pools_apart_from_the_fresh_process_one():
    report = _report({("mnist_cnn", "memory"): [0.9, 0.95, 0.92]})
    report["benchmarks"].append({"params": {"model": "mnist_cnn", "batch": 32, "mode": "memory"},
                                 "extra_info": {"ratios": [1.0, 0.99, 1.01], "check": "one process"}})
    split = [line.split(" median ") for line in summary_lines(report)]
    labelled = {label.strip(): rest[:5] for label, rest in split}
    assert labelled == {"mnist_cnn b32 memory": "0.920", "mnist_cnn b32 memory, one process": "1.000",
                        "all cases memory": "0.920", "all cases memory, one process": "1.000"}


def test_the_script_prints_the_summary_and_names_the_fix_for_a_missing_file(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_report({("mnist_cnn", "memory"): [1.0, 1.02, 0.99, 1.01]})))
    ok = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    assert ok.returncode == 0 and "all cases memory" in ok.stdout
    missing = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none.json")],
                             capture_output=True, text=True)
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1 and "benchmarks -k trust" in missing.stderr
