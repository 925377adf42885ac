"""`python -m bench plan`: the cells a matrix expands to, what is skipped and why, and a time estimate."""

from __future__ import annotations

import argparse

NAME = "plan"
HELP = "show the cells a matrix would run, the skipped ones with reasons, and an estimated time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matrix", required=True, help="preset (ci, quick, full) or a matrix .toml path")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from bench import datacheck, runner
    from bench.commands.run import RESULTS_ROOT
    from bench.estimate import estimate_s
    from bench.matrix import expand, load_matrix
    from datasets import paths

    spec = load_matrix(args.matrix)
    env = runner.probe_env(peak=False)
    planned = expand(spec, runner.machine_of(env))
    root = paths.data_dir(None)
    found = datacheck.check(planned, root)
    planned = datacheck.mark_missing(planned, found)
    table = Table(title=f"matrix {spec.name} ({spec.source})")
    for column in ("#", "cell", "mode", "status"):
        table.add_column(column)
    for i, p in enumerate(planned, 1):
        status = f"skip: {p.skip_reason}" if p.skip_reason else "run"
        table.add_row(str(i), p.cell.cell_id, p.cell.mode, status)
    console = Console()
    console.print(table)
    runnable = [p.cell for p in planned if not p.skip_reason]
    seconds, unknown = estimate_s(runnable, RESULTS_ROOT, env["hostname"])
    known = len(runnable) - unknown
    console.print(f"{len(runnable)} cells to run, {len(planned) - len(runnable)} skipped.")
    if found.missing:
        verdict = ("`run` would stop: no cell that reads real data can run (--skip-missing runs the rest)"
                   if found.nothing_real_runs else "`run` records their cells as skipped")
        lines = "\n".join(datacheck.missing_lines(found, root))
        console.print(f"missing data sets ({verdict}):\n{lines}", markup=False, highlight=False,
                      soft_wrap=True)
    if known:
        console.print(f"estimated time: {seconds / 60:.1f} min for {known} cells from earlier results on "
                      f"{env['hostname']}" + (f"; {unknown} cells have no earlier result" if unknown else ""))
    else:
        console.print(f"no estimate: no earlier results for these cells on {env['hostname']} "
                      f"in {RESULTS_ROOT}")
    return 0
