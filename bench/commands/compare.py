"""`python -m bench compare RUN_A RUN_B [...]`: the same cells side by side across runs and machines."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "compare"
HELP = "compare run folders (e.g. two machines) cell by cell; flag only differences beyond the noise"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments."""
    parser.add_argument(
        "run_dirs", type=Path, nargs="+", metavar="RUN_DIR", help="run folders; the first is the baseline"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for compare.html, compare.csv and charts (default: a new compare-<UTC time>-<RUN_A>-vs-"
        "<RUN_B> folder in results/, or in $BENCH_RESULTS_DIR; never a run folder: compare only reads those)",
    )
    parser.add_argument(
        "--alpha", type=float, default=None, help="significance level of the noise rule (default 0.1)"
    )


def run(args: argparse.Namespace) -> int:
    """Write the outputs and print where they are (matplotlib/pandas imported only here)."""
    from bench.report.compare_report import make_compare

    result = make_compare(args.run_dirs, args.out, args.alpha)
    for label in result.labels:
        print(label)
    print(result.counts.to_string(index=False) if not result.counts.empty else "the runs share no ok cell")
    flagged = result.table[result.table["verdict"].isin(["higher", "lower"])]
    if not flagged.empty:
        cols = ["run", "cell_id", "metric", "a", "b", "ratio", "ratio_low", "ratio_high", "verdict"]
        print("differences beyond the noise:")
        print(flagged[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if not result.ratios.empty:
        print("ratios (this run / A) over the cells both measured:")
        print(result.ratios.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if not result.best.empty:
        print("fastest training setting per pair:")
        print(result.best.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    print(f"wrote {result.html}")
    print(f"wrote {result.csv}")
    return 0
