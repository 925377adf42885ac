"""Fail on a large regression of the pytest-benchmark suite against an earlier saved run on this machine.

Usage: python .ci/benchmark_gate.py PREVIOUS.json LATEST.json

A benchmark that carries a same-session ratio (its figure over an outside reference or a ceiling timed
beside it, higher is better) is judged by that ratio, since both sides share the machine's state of the
moment: between two CI runs, raw times of one unchanged pipeline moved 2.2x, and a compute-only
benchmark 1.4x. A pipeline benchmark is judged by its ratio of fastest epochs: epochs of both sides are
bimodal here, so the ratio of medians flipped with the mode a median fell in (2.7x over three runs of
unchanged pipeline code) while the ratio of fastest moved at most 1.4x. The others are judged by their
fastest round. Large means REGRESSION_FACTOR. A benchmark that carries a ratio only in the latest run
was measured differently before: it is listed, not judged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RATIO_KEYS = ("ratio_of_fastest", "ratio_to_ceiling", "ratio")  # the first one a benchmark carries
REGRESSION_FACTOR = 2.0

Bench = dict[str, Any]


def load(path: Path) -> dict[str, Bench]:
    """The run's benchmarks by full name; a missing or malformed file exits with one line."""
    try:
        return {b["fullname"]: b for b in json.loads(path.read_text())["benchmarks"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"error: {path} is not a pytest-benchmark JSON file ({type(e).__name__}: {e}); "
                 "give the saved runs' paths, e.g. .benchmarks/latest.json")


def ratio_key(bench: Bench) -> str | None:
    return next((k for k in RATIO_KEYS if isinstance(bench["extra_info"].get(k), int | float)), None)


def judge(old: Bench, new: Bench) -> tuple[bool, str]:
    """(regressed, how it was judged) for one benchmark present in both runs."""
    key_old, key_new = ratio_key(old), ratio_key(new)
    if key_new and key_new == key_old:
        before, after = old["extra_info"][key_new], new["extra_info"][key_new]
        slower = before / after if after > 0 else float("inf")
        return slower > REGRESSION_FACTOR, f"{key_new} {before:,.3f} -> {after:,.3f} ({after / before:,.2f}x)"
    if key_new:
        return False, f"not judged: {key_new} is new (measured differently before)"
    before, after = old["stats"]["min"], new["stats"]["min"]
    slower = after / before
    how = f"fastest round {before:,.4f} s -> {after:,.4f} s ({slower:,.2f}x the time)"
    return slower > REGRESSION_FACTOR, how


def main(previous: Path, latest: Path) -> int:
    old, new = load(previous), load(latest)
    regressed = []
    for name in sorted(new.keys() & old.keys()):
        bad, how = judge(old[name], new[name])
        print(f"{'REGRESSED' if bad else 'ok':9s} {name}: {how}")
        regressed += [name] if bad else []
    for name in sorted(new.keys() - old.keys()):
        print(f"{'new':9s} {name}: no earlier run to compare with")
    if regressed:
        print(f"benchmark gate: {len(regressed)} regressed more than {REGRESSION_FACTOR:g}x "
              f"against {previous}", file=sys.stderr)
        return 1
    print(f"benchmark gate: no regression over {REGRESSION_FACTOR:g}x against {previous}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python .ci/benchmark_gate.py PREVIOUS.json LATEST.json")
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
