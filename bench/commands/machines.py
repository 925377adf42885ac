"""`python -m bench machines [FILES or RUN_DIRS...]`: the leaderboard of the registry's machines
(results/machines) and the runs or shared files given."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "machines"
HELP = ("the leaderboard: every machine of results/machines plus the runs or shared files given, per pair "
        "(best training and inference img/s, full training, memory, ratio to a baseline)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments."""
    from bench.report.leaderboard import SORTS

    parser.add_argument("paths", type=Path, nargs="*", metavar="FILE_OR_RUN_DIR",
                        help="shared result files (bench share) or run folders to put among the registry's")
    parser.add_argument("--baseline", default=None, metavar="LABEL",
                        help="the machine ratios are taken against: its label or a part only it has "
                             "(default: the student's desktop, derived from her report)")
    parser.add_argument("--pair", action="append", default=None, metavar="PAIR",
                        help="only this pair, e.g. galaxy10/densenet121 or densenet121 (repeatable)")
    parser.add_argument("--device", choices=("cpu", "gpu"), default=None,
                        help="only figures measured on this kind of device")
    parser.add_argument("--sort", choices=sorted(SORTS), default="train",
                        help="order within a pair (default: train, fastest training first)")
    parser.add_argument("--include-contended", action="store_true",
                        help="count cells flagged contended (other processes used over half a core while "
                             "they ran) in a machine's best figures")
    parser.add_argument("--registry", type=Path, default=None, metavar="DIR",
                        help="folder of shared files (default: the checkout's results/machines)")
    parser.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write the table as CSV")
    parser.add_argument("--html", type=Path, default=None, metavar="FILE",
                        help="also write one self-contained HTML page with a chart per pair")


def run(args: argparse.Namespace) -> int:
    """Gather the entries, print the tables, write the files asked for."""
    from rich.console import Console

    from bench.report import leaderboard_view as view
    from bench.report.leaderboard import entries_from, filter_table, find_baseline, leaderboard, sort_table
    from bench.results.shared import REGISTRY

    registry = REGISTRY if args.registry is None else args.registry  # None: help shows no path of this disk
    entries, notes = entries_from(registry, args.paths)
    baseline = find_baseline(entries, args.baseline)
    table = leaderboard(entries, baseline, include_contended=args.include_contended)
    table = sort_table(filter_table(table, args.pair, args.device), args.sort)
    console = Console(highlight=False)
    console.print(f"{len(entries)} machines: {len(entries) - len(args.paths)} from {registry}, "
                  f"{len(args.paths)} given", markup=False)
    view.print_terminal(table, baseline.label, console)
    for note in notes:
        console.print(f"note: {note}", markup=False)
    if args.csv:
        print(f"wrote {view.write_csv(table, args.csv)}")
    if args.html:
        print(f"wrote {view.write_html(table, args.html, baseline.label, notes)}")
    return 0
