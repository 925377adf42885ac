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
    """Write the outputs, print a summary that fits 100 columns and where the details are (matplotlib and
    pandas imported only here)."""
    from bench.report.compare_report import make_compare

    result = make_compare(args.run_dirs, args.out, args.alpha)
    print("\n".join(result.lines()))
    for note in result.notes:  # records set aside, partial runs: said, never dropped silently
        print(f"note: {note}")
    print(f"\nwrote {result.html} (every cell side by side)")
    print(f"wrote {result.csv} (every row and field)")
    return 0
