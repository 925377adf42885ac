"""Simulated `run --matrix full` without the cifar10/galaxy10 data: the real matrix, data check, planner
(from results/example/quick's env.json, nothing measured now) and progress display; the cells themselves
are not trained (a stand-in records each as an error at once). From the repository root:
PYTHONPATH=. BENCH_DATA_DIR=$(mktemp -d) python docs/before-after/progress_capture.py"""
import json
import tempfile
from pathlib import Path

from rich.console import Console

from bench.commands.run import make_planner
from bench.config.matrix import expand, load_matrix
from bench.launch import datacheck, runner
from bench.launch.pruning import cheapest_first
from bench.launch.spawn import base_record, utc_now

env = json.loads(Path("results/example/quick/env.json").read_text())
run_dir = Path(tempfile.mkdtemp())
planned = expand(load_matrix("full"), runner.machine_of(env))
root = Path(tempfile.mkdtemp())
found = datacheck.check(planned, root)
marked = datacheck.mark_missing(planned, found)
pairs = list(zip(planned, marked, strict=True))
runner.record_skipped(run_dir, [q for p, q in pairs if q.skip_reason != p.skip_reason])
todo = [p for p, q in pairs if q.skip_reason == p.skip_reason]
planner = make_planner(env, planned)
todo = cheapest_first(todo, planner)
STAND_IN = "stand-in: not trained in this capture"
runner.run_cell = lambda cell, run_dir, env: base_record(cell, "error", STAND_IN) | {
    "started_at": utc_now(), "finished_at": utc_now(), "wall_s": 0.0}
console = Console(record=True, width=100, force_terminal=False)
runner.run_cells(run_dir, todo, env, total=len(planned), console=console, planner=planner, prune=True)
lines = console.export_text().splitlines()
print("\n".join(lines[:3] + ["..."] + lines[-2:]))
