"""`python -m bench report RUN_DIR`: charts, report.html, summary.md and results.csv for one run."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.config.limits import training_budget

PRICE_HELP = ("electricity price per kWh (any currency): the report adds the energy cost of one full "
              "training of each pair; kept in RUN_DIR/pricing.json, so later reports without the flag "
              "keep it (give the flag again to change it)")
NAME = "report"
HELP = "turn a run folder into charts, one self-contained report.html, summary.md and results.csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments."""
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="run folder (holds results.jsonl)")
    parser.add_argument(
        "--budget-s",
        type=training_budget,
        default=None,
        help="time budget (s) for the 'best accuracy within budget' recommendation",
    )
    parser.add_argument("--price-per-kwh", metavar="PRICE", help=PRICE_HELP)


def run(args: argparse.Namespace) -> int:
    """Write the outputs, print the report's leading sentences and where the files are (matplotlib/pandas
    imported only here)."""
    from bench.report.cost import parse_price, save_price
    from bench.report.headline import terminal_lines
    from bench.report.load import load_run
    from bench.report.make import make_report

    if args.price_per_kwh is not None:
        price = parse_price(args.price_per_kwh)
        load_run(args.run_dir)  # a UserError naming the fix before anything is written to a non-run folder
        save_price(args.run_dir, price)
    report = make_report(args.run_dir, args.budget_s)
    drawn = sum(c.skipped is None for c in report.charts)
    print(
        f"{len(report.run.df)} cells on {report.run.machine}; {drawn} charts drawn, "
        f"{len(report.charts) - drawn} skipped"
    )
    for line in terminal_lines(report.run, report.placed):
        print(line)
    for note in report.run.notes:
        print(f"note: {note}")
    for path in (report.html, report.markdown, report.csv):
        print(f"wrote {path}")
    return 0
