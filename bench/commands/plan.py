"""`python -m bench plan`: the cells a matrix expands to, in run order, what is skipped and why, each
cell's predicted time (from the model's FLOPs, this machine's measured GEMM peak and per-model priors:
bench.launch.predict), and which cells would be pruned as far over their budget (bench.launch.pruning)."""

from __future__ import annotations

import argparse
from typing import Any

from bench.commands.run import SET_HELP, cell_budget

NAME = "plan"
HELP = "show the cells a matrix would run, the skipped ones with reasons, and an estimated time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matrix", required=True, help="preset (ci, quick, full) or a matrix .toml path")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="AXIS=VALUE",
                        help=SET_HELP)
    parser.add_argument("--cell-budget", type=cell_budget, metavar="SECONDS",
                        help="per-cell budget for pruning (default: each cell's timeout_s)")


def minutes_text(seconds: float) -> str:
    """A duration as people write it: 45 s, 12 min, 3 h 05 min."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bench.commands.run import make_planner
    from bench.config.matrix import expand, load_matrix
    from bench.launch import datacheck, runner
    from bench.launch.pruning import cheapest_first
    from datasets import paths

    spec = load_matrix(args.matrix, args.overrides)
    env = runner.probe_env(peak=True)
    root = paths.data_dir(None)
    planned = expand(spec, runner.machine_of(env))
    found = datacheck.check(planned, root)
    planned = datacheck.mark_missing(planned, found)
    planner = make_planner(env, planned)
    needs_data = {p.cell.cell_id for p in planned
                  if (p.skip_reason or "").startswith(datacheck.DATA_SKIP_PREFIX)}
    ordered = cheapest_first([p for p in planned if not p.skip_reason or p.cell.cell_id in needs_data],
                             planner)
    others = [p for p in planned if p.skip_reason and p.cell.cell_id not in needs_data]
    console = Console()
    totals = _table(console, spec, ordered, others, planner, args.cell_budget)
    console.print(f"{len(ordered) - len(needs_data)} cells can run now, {len(needs_data)} need data sets "
                  f"not here yet, {len(others)} are skipped on this machine.")
    for name, where in found.present.items():
        console.print(f"data set {name}: {where}", markup=False, highlight=False, soft_wrap=True)
    if found.missing:
        verdict = ("`run` would stop: no cell that reads real data can run (--skip-missing runs the rest)"
                   if found.nothing_real_runs else "`run` records their cells as skipped")
        lines = "\n".join(datacheck.missing_lines(found, root))
        console.print(f"missing data sets ({verdict}):\n{lines}", markup=False, highlight=False,
                      soft_wrap=True)
    console.print(_estimate_line(totals, env, bool(needs_data)), markup=False, soft_wrap=True)
    return 0


def _table(console: Any, spec: Any, ordered: list[Any], others: list[Any], planner: Any,
           budget_s: float | None) -> dict[str, float]:
    """Print the cells in run order with their predictions; returns total seconds and counts."""
    from rich.table import Table

    table = Table(title=f"matrix {spec.name} ({spec.source}), in run order")
    for column in ("#", "cell", "mode", "predicted", "status"):
        table.add_column(column, overflow="fold")
    totals = {"seconds": 0.0, "cells": 0, "pruned": 0, "unknown": 0, "earlier": 0}
    for i, p in enumerate(ordered, 1):
        prediction, reason = planner.prune_reason(p.cell, budget_s)
        if not reason:  # as in a run: the first cell of a precision to run is its evidence
            planner.tried.add(p.cell.precision)
        key = "pruned" if reason else "unknown" if prediction.seconds is None else "cells"
        totals[key] += 1
        totals["seconds"] += prediction.seconds if key == "cells" else 0.0
        totals["earlier"] += p.cell.cell_id in planner.history
        shown = "?" if prediction.seconds is None else minutes_text(prediction.seconds)
        status = f"prune: {reason}" if reason else f"needs {p.cell.dataset}" if p.skip_reason else "run"
        table.add_row(str(i), p.cell.cell_id, p.cell.mode, shown, status)
    for i, p in enumerate(others, len(ordered) + 1):
        table.add_row(str(i), p.cell.cell_id, p.cell.mode, "", f"skip: {p.skip_reason}")
    console.print(table)
    return totals


def _estimate_line(totals: dict[str, float], env: dict[str, Any], needs_data: bool) -> str:
    """The one-line estimate: total time, what it rests on, pruned and unknown cells."""
    from bench.launch.pruning import PRUNE_FACTOR

    peak = env.get("peak_gflop_s", {}).get("cpu") or 0.0
    earlier = (f"{totals['earlier']:.0f} from earlier runs on {env.get('hostname')}, the rest from "
               if totals["earlier"] else "")
    line = (f"estimated time{' once the missing data sets are here' if needs_data else ''}: "
            f"{minutes_text(totals['seconds'])} for {totals['cells']:.0f} cells ({earlier}priors from "
            f"results/example scaled by this machine's CPU GEMM peak, {peak:,.0f} GFLOP/s)")
    if totals["pruned"]:
        line += f"; {totals['pruned']:.0f} cells would be pruned (over {PRUNE_FACTOR:g}x their budget)"
    if totals["unknown"]:
        line += f"; {totals['unknown']:.0f} cells have no estimate"
    return line
