"""`python -m bench plan`: what a matrix would do here, in a summary that fits 80 columns: per pair and mode
the cells that can run now and their predicted time, those waiting for a data set, pruned and skipped
ones; what the estimate rests on (this machine's GEMM peak measured just now, which moves with the
machine's load); and the full per-cell table (run order, prediction, reason, evidence) written to a CSV
file. Predictions: bench.launch.predict and bench.launch.pruning."""

from __future__ import annotations

import argparse
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.commands.run import MATRIX_HELP, SET_HELP, cell_budget

NAME = "plan"
HELP = "show what a matrix would run here, what waits for data or is skipped, and an estimated time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matrix", required=True, help=MATRIX_HELP)
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="AXIS=VALUE",
                        help=SET_HELP)
    parser.add_argument("--cell-budget", type=cell_budget, metavar="SECONDS",
                        help="per-cell budget for pruning (default: each cell's timeout_s)")
    parser.add_argument("--out", type=Path, metavar="FILE.csv",
                        help="where to write the per-cell table (default: plan-<UTC time>-<matrix>.csv in "
                        "results/, or in $BENCH_RESULTS_DIR)")


def run(args: argparse.Namespace) -> int:
    from bench.commands.run import make_planner
    from bench.config.matrix import expand, load_matrix
    from bench.launch import datacheck, plan_summary, runner, shapes
    from bench.launch.pruning import cheapest_first
    from datasets import paths

    spec = load_matrix(args.matrix, args.overrides)
    shapes.check_matrix(spec)
    env = runner.probe_env(peak=True)
    root = paths.data_dir(None)
    planned = shapes.mark_unfit(expand(spec, runner.machine_of(env)))
    found = datacheck.check(planned, root)
    planned = datacheck.mark_missing(planned, found)
    planner = make_planner(env, planned)
    needs_data = {p.cell.cell_id for p in planned
                  if (p.skip_reason or "").startswith(datacheck.DATA_SKIP_PREFIX)}
    ordered = cheapest_first([p for p in planned if not p.skip_reason or p.cell.cell_id in needs_data],
                             planner)
    others = [p for p in planned if p.skip_reason and p.cell.cell_id not in needs_data]
    earlier = sum(p.cell.cell_id in planner.history for p in ordered)
    rows = plan_summary.plan_rows(ordered, others, planner, args.cell_budget, needs_data)
    out = plan_summary.write_csv(rows, args.out or _default_out(spec.name))
    print(f"matrix {spec.name} ({spec.source}): {len(rows)} cells")
    print("\n".join(plan_summary.group_lines(rows)))
    print()
    print("\n".join(_totals(rows, found, root, shapes.unfit_pairs(planned))))
    print(_estimate_basis(env, earlier, len(ordered)))
    print(f"every cell in run order, with its prediction and reason: {out}")
    return 0


def _default_out(matrix: str) -> Path:
    """results/plan-<UTC time>-<matrix>.csv (or in $BENCH_RESULTS_DIR)."""
    from bench.results.paths import RESULTS_ROOT

    return RESULTS_ROOT / f"plan-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{matrix}.csv"


def _totals(rows: list[dict[str, Any]], found: Any, root: Path, unfit: dict[str, str]) -> list[str]:
    """The answer in words: what runs now and how long, what waits for which data set, what is pruned or
    skipped and why."""
    from bench.launch import datacheck
    from bench.launch.plan_summary import NEEDS_DATA, PRUNED, RUN, SKIPPED, seconds_of, short_time
    from bench.launch.shapes import SHAPE_SKIP_PREFIX

    lines = []
    n, seconds, unknown = seconds_of(rows, RUN)
    lines.append(f"can run now: {n} cells, about {short_time(seconds)}" +
                 (f" (+{unknown} cells without an estimate)" if unknown else ""))
    n, seconds, unknown = seconds_of(rows, NEEDS_DATA)
    if found.missing:
        sets = ", ".join(f"{m.name} {m.cells}" for m in found.missing)
        waiting = sum(m.cells for m in found.missing)
        lines.append(f"waiting for data: {waiting} cells ({sets}); the {n} not pruned take about "
                     f"{short_time(seconds)} once it is here" +
                     (f" (+{unknown} cells without an estimate)" if unknown else ""))
        for m in found.missing:
            lines.append(f"  {m.name}: {datacheck.size_text(m.download_bytes)} download: {m.command}")
        lines.append(f"  (data folder: {root}; or add --download to the run)")
    pruned = [r for r in rows if r["status"] == PRUNED]
    if pruned:
        lines.append(f"pruned: {len(pruned)} cells predicted far over their budget "
                     "(run --no-prune runs them)")
    skipped = [r for r in rows if r["status"] == SKIPPED and not r["reason"].startswith(SHAPE_SKIP_PREFIX)]
    if skipped:
        lines.append(f"skipped on this machine: {len(skipped)} cells ({_top_reasons(skipped)})")
    for pair, why in unfit.items():
        cells = sum(r["pair"] == pair and r["reason"].startswith(SHAPE_SKIP_PREFIX) for r in rows)
        lines.append(f"skipped: {pair} cannot run ({cells} cells): {why}")
    return [textwrap.fill(line, 80, subsequent_indent="  ") for line in lines]


def _top_reasons(rows: list[dict[str, Any]]) -> str:
    """The most common skip reasons, shortened: 'gpu:0 requested but ... (12); ...'."""
    counts: dict[str, int] = {}
    for r in rows:
        reason = r["reason"].split(";")[0][:60]
        counts[reason] = counts.get(reason, 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:2]
    more = "; ..." if len(counts) > 2 else ""
    return "; ".join(f"{reason}: {n}" for reason, n in top) + more


def _estimate_basis(env: dict[str, Any], earlier: int, cells: int) -> str:
    """What the times rest on, said plainly: earlier runs of the same cells here, else priors scaled by the
    GEMM peak measured just now (which moves with the machine's load)."""
    from bench.report.numbers import number

    host = env.get("hostname")
    if cells and earlier == cells:
        return textwrap.fill(f"The times come from earlier runs of these {cells} cells on {host}.", 80)
    peaks = env.get("peak_gflop_s", {}) or {}
    shown = ", ".join(f"{device} {number(value)} GFLOP/s" for device, value in peaks.items() if value)
    history = f"earlier runs on {host} for {earlier} cells and, for the rest, from " if earlier else ""
    text = (f"The times come from {history}priors in results/example scaled by the GEMM peak measured just "
            f"now ({shown or 'not measured'}). That peak moves with the machine's load (another job on the "
            "cores can halve it), and the times move with it: plan again on a quiet machine for a steadier "
            "estimate.")
    return textwrap.fill(text, 80)
