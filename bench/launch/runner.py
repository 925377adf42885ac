"""The matrix runner: each cell in its own child process, one record per cell, resumable.

optimum-benchmark's process launcher in spirit: the runner never imports TensorFlow; it spawns
``python -m bench.cell.child`` per cell with the cell's environment, enforces the timeout, turns every
way a child can end into a record, and appends it to RUN_DIR/results.jsonl under RUN_DIR/.lock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import outcome
from bench.config.cell import Cell
from bench.config.matrix import Machine, Planned
from bench.errors import UserError
from bench.launch import contention, maxbatch, processes, progress, workers
from bench.launch.datacheck import DATA_SKIP_PREFIX
from bench.launch.predict import Prediction
from bench.launch.pruning import Planner
from bench.launch.spawn import (
    base_record,
    cell_record,
    kill,
    log_tail,
    parse_child_output,
    spawn_child,
    summary_line,
    utc_now,
)
from bench.results import loader, pending, scaling, store

REPO = Path(__file__).resolve().parents[2]
ENV_PROBE_TIMEOUT_S = 900


def probe_env(peak: bool) -> dict[str, Any]:
    """Collect env.json's fingerprint in a subprocess (this process never initialises a backend or GPU).
    The probe runs in a process group of its own and is killed, with anything it started, when this
    process is interrupted (Ctrl-C, or SIGTERM turned into it by bench.launch.session) or it times out."""
    cmd = [sys.executable, "-m", "bench.envinfo", *(["--peak"] if peak else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                            errors="replace", cwd=REPO, **processes.new_group())
    try:
        out, err = proc.communicate(timeout=ENV_PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        kill(proc)
        raise UserError(f"the environment probe (`{' '.join(cmd[1:])}`) took over {ENV_PROBE_TIMEOUT_S} s; "
                        "is another job holding the cores or the GPU?") from None
    except BaseException:
        kill(proc)
        raise
    if proc.returncode != 0:
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise UserError(f"could not collect the environment (a backend's import failed?): {tail}")
    return json.loads(out.strip().splitlines()[-1])


def machine_of(env: dict[str, Any]) -> Machine:
    """What matrix expansion needs from env.json (validated and migrated by bench.results.loader, which
    gives an older env.json its packages, backend_gpus and gpu_count)."""
    try:
        env = loader.validate_machine_env(env)
    except loader.RecordError as exc:
        raise UserError(f"the machine's environment (env.json) does not validate: {exc}") from None
    packages = env.get("packages") or {}
    installed = {"tensorflow": bool(packages.get("tensorflow") or packages.get("tensorflow-cpu")),
                 "jax": bool(packages.get("jax")), "torch": bool(packages.get("torch"))}
    return Machine(logical_cores=int(env["logical_cores"]), gpus=int(env["gpu_count"]),
                   gpu_note=env.get("gpu_note") or "", backends=tuple(b for b, ok in installed.items() if ok),
                   backend_gpus=dict(env["backend_gpus"]))


def load_or_probe_env(run_dir: Path) -> dict[str, Any]:
    """RUN_DIR/env.json, collected (with the GEMM peaks) when the folder has none yet."""
    env = store.read_env(run_dir)
    if env is not None:
        return env
    env = probe_env(peak=True)
    store.write_json(run_dir / store.ENV, env)
    return env


def to_run(planned: list[Planned], run_dir: Path, retry_failed: bool,
           rerun_data_skips: bool = False, rerun_pruned: bool = False) -> list[Planned]:
    """The planned cells not done yet: no valid record, or a latest one whose status is not a finished one
    (an unknown, newer status such as "queued" is not); plus failed ones when retrying, with
    rerun_data_skips those skipped for missing data (the data check decides again), and with rerun_pruned
    the pruned."""
    records = store.read_records(run_dir)
    done = loader.latest_status(records)
    data_skips = data_skipped_ids(records) if rerun_data_skips else set()
    return [p for p in planned if not loader.is_done(done.get(p.cell.cell_id)) or p.cell.cell_id in data_skips
            or (retry_failed and done[p.cell.cell_id] in store.FAILED)
            or (rerun_pruned and done[p.cell.cell_id] == "pruned")]


def data_skipped_ids(records: list[dict[str, Any]]) -> set[str]:
    """Cells whose latest record is a skip written by the pre-run data check."""
    latest = {r["cell_id"]: r for r in records}
    return {cid for cid, r in latest.items()
            if r.get("status") == "skipped" and (r.get("reason") or "").startswith(DATA_SKIP_PREFIX)}


def record_skipped(run_dir: Path, cells: list[Planned]) -> None:
    """Append a skipped record for each cell in one pass (no process is started for any)."""
    for p in cells:
        store.append_record(run_dir, skipped_record(p.cell, p.skip_reason or ""))
    if cells:
        print(f"recorded {len(cells)} cell(s) as skipped without starting them")


def run_cells(run_dir: Path, cells: list[Planned], env: dict[str, Any], total: int,
              console: Console | None = None, planner: Planner | None = None, prune: bool = False,
              budget_s: float | None = None) -> dict[str, int]:
    """Run cells in order with a progress display (bench.launch.progress: a bar over the cells run here, a
    time left that counts down inside each cell; total: the matrix's cells, for the line saying what is not
    on the bar); returns a count per status. With a planner, each cell's predicted time is recorded, and
    with prune, a cell predicted far over its budget (budget_s, else its timeout_s) is recorded as pruned
    instead of run. Ctrl-C stops the current child, records nothing for it, and re-raises (the folder stays
    resumable)."""
    console = console or Console(stderr=True)
    counts: dict[str, int] = {}
    began = time.perf_counter()
    console.print(progress.intro_line(run_dir, cells, total), markup=False, highlight=False)
    with pending.Appender(run_dir) as appender, progress.RunProgress(console, planner, cells) as bar:
        for i, p in enumerate(cells):
            prediction, pruned = _prediction(planner, p, prune, budget_s)
            bar.start_cell(p, None if pruned or prediction is None else prediction.seconds, cells[i + 1:])
            if p.skip_reason:
                record = skipped_record(p.cell, p.skip_reason)
            elif pruned:
                record = base_record(p.cell, "pruned", pruned) | {
                    "started_at": utc_now(), "finished_at": utc_now(), "wall_s": 0.0}
            elif p.cell.batch_size == "max":
                record = maxbatch.run(p.cell, run_dir, env, run_cell)
            else:
                record = run_cell(p.cell, run_dir, env)
                if not workers.recorded_here(p.cell):  # this machine's worker of a cluster's cell
                    counts[workers.NOT_RECORDED] = counts.get(workers.NOT_RECORDED, 0) + 1
                    bar.console.print(workers.not_recorded_line(record), markup=False, highlight=False)
                    bar.end_cell(p)
                    continue
                if p.cell.strategy != "none":  # only distributed cells have a reference to look up
                    record = scaling.with_scaling(record, store.read_records(run_dir))
            if prediction is not None and prediction.seconds is not None:
                record |= {"predicted_s": prediction.seconds, "prediction_basis": prediction.basis}
            if planner is not None and not p.skip_reason and not pruned:  # evidence for the cells after it
                planner.observe(record, prediction.raw_seconds if prediction else None)
            appender.append(record)  # a full disk keeps it aside, never loses it
            counts[record["status"]] = counts.get(record["status"], 0) + 1
            bar.console.print(summary_line(record), markup=False, highlight=False)
            bar.end_cell(p)
        bar.finish()
    if any(s not in ("skipped", "pruned") for s in counts):  # a process ran: measure the GEMM peak again
        contention.record_end_peaks(run_dir, probe_env, time.perf_counter() - began)
    return counts


def _prediction(planner: Planner | None, p: Planned, prune: bool,
                budget_s: float | None) -> tuple[Prediction | None, str | None]:
    """The planner's prediction for a runnable cell, and its prune reason when pruning."""
    if planner is None or p.skip_reason:
        return None, None
    if not prune:
        return planner.predict(p.cell), None
    return planner.prune_reason(p.cell, budget_s)


def skipped_record(cell: Cell, reason: str) -> dict[str, Any]:
    """A record for a cell that cannot run on this machine (no process is started)."""
    now = utc_now()
    return base_record(cell, "skipped", reason) | {"started_at": now, "finished_at": now, "wall_s": 0.0}


def run_cell(cell: Cell, run_dir: Path, env: dict[str, Any]) -> dict[str, Any]:
    """Run one cell's child process (multiworker: its worker processes, bench.launch.workers) and turn
    however it ended into a record."""
    if cell.strategy == "multiworker":
        return workers.run_cell(cell, run_dir, env)
    log_path = run_dir / "logs" / f"{cell.cell_id}.log"
    window = contention.start()
    started, t0 = utc_now(), time.perf_counter()
    timed_out = False
    proc = spawn_child(cell, log_path)
    try:
        out, _ = proc.communicate(timeout=cell.timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill(proc)
        out = ""
    except BaseException:  # Ctrl-C / SIGTERM: stop the child, leave no record for this cell
        kill(proc)
        raise
    wall_s = time.perf_counter() - t0
    others = contention.fields(window, wall_s)  # the child and its tree are reaped by now
    tail = log_tail(log_path)
    child = parse_child_output(out)
    if timed_out:
        status, reason = "timeout", f"killed after timeout_s={cell.timeout_s:g}"
        child = {}
    elif child is None:
        status, reason = outcome.from_exit(proc.returncode, tail)
        child = {}
    else:
        status, reason = child.pop("status"), child.pop("reason")
    return contention.attach(cell_record(cell, status, reason, child, started, wall_s, tail, env), others)


