"""What the trust check's pairs can and cannot say: for each case, the median harness/reference ratio
with a distribution-free interval for it (order statistics of the pair ratios), and the same pooled over
every case of a mode. One pair moves +-10-20% on a shared 2-core VM, so a median of 4 pairs cannot place
a 3% cost; the interval says so instead of a bare median being read as a pass or a miss.

usage: python tests/benchmarks/trust_summary.py [BENCHMARK_JSON]   (default .benchmarks/latest.json)
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import binom

CONFIDENCE = 0.90
GOAL = 0.97


@dataclass(frozen=True)
class Interval:
    """An interval for a median from the k-th smallest and k-th largest of n values, and its coverage."""

    low: float
    high: float
    coverage: float

    def verdict(self, goal: float = GOAL) -> str:
        """'meets' when the whole interval is at or above the goal, 'misses' when it is all below it."""
        if self.low >= goal:
            return "meets"
        return "misses" if self.high < goal else "undecided"


def median_interval(values: list[float], confidence: float = CONFIDENCE) -> Interval:
    """The narrowest order-statistic interval [x(k), x(n+1-k)] that holds the population median with at
    least ``confidence`` (sign-test coverage 1 - 2 P(Binom(n, 1/2) < k)); the full range, with the
    coverage it has, when n is too small to reach ``confidence``."""
    if not values:
        raise ValueError("no values")
    xs, n = sorted(values), len(values)
    best = Interval(xs[0], xs[-1], 1 - 2 * float(binom.cdf(0, n, 0.5)))
    for k in range(2, (n + 1) // 2 + 1):
        coverage = 1 - 2 * float(binom.cdf(k - 1, n, 0.5))
        if coverage < confidence:
            break
        best = Interval(xs[k - 1], xs[n - k], coverage)
    return best


def trust_rows(report: dict) -> list[tuple[str, str, list[float]]]:
    """(case, mode, pair ratios) of each trust benchmark in a pytest-benchmark JSON report; the one-process
    check's mode reads "MODE, one process" (a record without extra_info "check" is the fresh-process one)."""
    rows = []
    for bench in report.get("benchmarks", []):
        info, params = bench.get("extra_info", {}), bench.get("params") or {}
        if "ratios" in info and "mode" in params:
            case = f"{params.get('model')} b{params.get('batch')}"
            mode = params["mode"] + (f", {info['check']}" if info.get("check") else "")
            rows.append((case, mode, [float(r) for r in info["ratios"]]))
    return rows


def summary_lines(report: dict) -> list[str]:
    """One line per case and one pooled line per mode: median, interval, coverage, verdict."""
    rows, pooled = trust_rows(report), {}
    lines = []
    for case, mode, ratios in rows:
        pooled.setdefault(mode, []).extend(ratios)
        lines.append(_line(f"{case} {mode}", ratios))
    for mode, ratios in pooled.items():
        lines.append(_line(f"all cases {mode}", ratios))
    return lines


def _line(label: str, ratios: list[float]) -> str:
    iv = median_interval(ratios)
    return (f"{label:<36} median {statistics.median(ratios):.3f}  {iv.coverage:.0%} interval "
            f"{iv.low:.3f}-{iv.high:.3f}  pairs {len(ratios)}  goal {GOAL}: {iv.verdict()}")


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else ".benchmarks/latest.json")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"trust_summary: cannot read {path} ({exc}); run `bash .ci/benchmarks -k trust` first",
              file=sys.stderr)
        return 1
    lines = summary_lines(report)
    if not lines:
        print(f"trust_summary: {path} holds no trust benchmark; run `bash .ci/benchmarks -k trust`",
              file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
