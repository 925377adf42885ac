"""`python -m bench plan`: the cells a matrix expands to, what is skipped and why, each cell's predicted
time (from the model's FLOPs, this machine's measured GEMM peak and per-model priors, or earlier
results here), and which cells would be pruned as far over their budget."""

from __future__ import annotations

import argparse

NAME = "plan"
HELP = "show the cells a matrix would run, the skipped ones with reasons, and an estimated time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matrix", required=True, help="preset (ci, quick, full) or a matrix .toml path")
    parser.add_argument("--cell-budget", type=float, metavar="SECONDS",
                        help="per-cell budget for pruning (default: each cell's timeout_s)")


def minutes_text(seconds: float) -> str:
    """A duration as people write it: 45 s, 12 min, 3 h 05 min."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from bench import datacheck, runner
    from bench.commands.run import RESULTS_ROOT, make_planner
    from bench.estimate import estimate_s
    from bench.matrix import expand, load_matrix
    from bench.pruning import PRUNE_FACTOR, cheapest_first
    from datasets import paths

    spec = load_matrix(args.matrix)
    env = runner.probe_env(peak=True)
    planned = expand(spec, runner.machine_of(env))
    root = paths.data_dir(None)
    found = datacheck.check(planned, root)
    planned = datacheck.mark_missing(planned, found)
    planner = make_planner(env, planned)
    ordered = cheapest_first([p for p in planned if not p.skip_reason], planner)
    table = Table(title=f"matrix {spec.name} ({spec.source}), in run order")
    for column in ("#", "cell", "mode", "predicted", "status"):
        table.add_column(column, overflow="fold")
    total, unknown, pruned = 0.0, 0, 0
    for i, p in enumerate([*ordered, *(p for p in planned if p.skip_reason)], 1):
        if p.skip_reason:
            table.add_row(str(i), p.cell.cell_id, p.cell.mode, "", f"skip: {p.skip_reason}")
            continue
        prediction, reason = planner.prune_reason(p.cell, args.cell_budget)
        if reason:
            pruned += 1
        elif prediction.seconds is None:
            unknown += 1
        else:
            total += prediction.seconds
        shown = "?" if prediction.seconds is None else minutes_text(prediction.seconds)
        table.add_row(str(i), p.cell.cell_id, p.cell.mode, shown, f"prune: {reason}" if reason else "run")
    console = Console()
    console.print(table)
    console.print(f"{len(ordered)} cells to run, {len(planned) - len(ordered)} skipped.")
    if found.missing:
        verdict = ("`run` would stop: no cell that reads real data can run (--skip-missing runs the rest)"
                   if found.nothing_real_runs else "`run` records their cells as skipped")
        lines = "\n".join(datacheck.missing_lines(found, root))
        console.print(f"missing data sets ({verdict}):\n{lines}", markup=False, highlight=False,
                      soft_wrap=True)
    peak = env.get("peak_gflop_s", {}).get("cpu")
    console.print(f"estimated time: {minutes_text(total)} for {len(ordered) - pruned - unknown} cells "
                  f"(priors from results/example scaled by this machine's CPU GEMM peak, "
                  f"{peak or 0:,.0f} GFLOP/s)"
                  + (f"; {pruned} cells would be pruned (> {PRUNE_FACTOR:g}x their budget)" if pruned else "")
                  + (f"; {unknown} cells have no estimate" if unknown else ""), markup=False)
    seconds, none = estimate_s([p.cell for p in ordered], RESULTS_ROOT, env["hostname"])
    if len(ordered) - none:
        console.print(f"earlier results on {env['hostname']}: {minutes_text(seconds)} for "
                      f"{len(ordered) - none} of these cells", markup=False)
    return 0
