"""Multiworker cells: the worker processes of tf.distribute.MultiWorkerMirroredStrategy.

On one machine the runner starts `replicas` workers (``python -m bench.child``, the same child as
every cell) on 127.0.0.1, each with its TF_CONFIG (free ports), its own log (worker 0, the chief:
logs/CELL.log; worker i: logs/CELL.worker{i}.log) and one shared timeout. When one worker fails, the
others (blocked in a collective, waiting for it) are killed and the cell's record is a failed one
naming the worker and its reason; Ctrl-C kills them all. The chief's record is the cell's record.

Spanning machines: when the runner itself starts with a TF_CONFIG in its environment (the user's,
naming every machine's worker), a multiworker cell runs only this machine's worker under that
TF_CONFIG; its cluster must have `replicas` workers, and only the chief's runner writes the record.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import outcome
from bench.cell import Cell
from bench.errors import UserError

HOST = "127.0.0.1"
NOT_RECORDED = "ran as a worker (the chief's runner records it)"


def free_ports(count: int) -> list[int]:
    """Ports the kernel reports free on 127.0.0.1 (all bound at once, so they differ; released before
    the workers bind them)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in sockets]


def tf_config(ports: list[int], index: int) -> str:
    """TF_CONFIG of worker `index` in a cluster of workers on 127.0.0.1 at `ports` (worker 0 is the chief)."""
    return json.dumps({"cluster": {"worker": [f"{HOST}:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def user_cluster(environ: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The user's TF_CONFIG from the runner's environment, checked; None when there is none."""
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"TF_CONFIG is not valid JSON ({exc}); fix it or unset it") from None
    if not _valid(config):
        raise UserError('TF_CONFIG needs {"cluster": {"worker": ["host:port", ...]}, "task": {"type": '
                        '"worker", "index": N}} with the task in the cluster '
                        "(tensorflow.org/guide/distributed_training); fix it or unset it")
    return config


def _valid(config: Any) -> bool:
    """True when a TF_CONFIG has a cluster and a chief/worker task that is in it."""
    if not isinstance(config, dict):
        return False
    cluster, task = config.get("cluster"), config.get("task")
    if not (isinstance(cluster, dict) and isinstance(task, dict) and task.get("type") in ("chief", "worker")):
        return False
    index = task.get("index")
    return isinstance(index, int) and 0 <= index < len(cluster.get(task["type"]) or [])


def cluster_workers(config: dict[str, Any]) -> int:
    """Worker processes of a TF_CONFIG cluster (its chief counts: it trains too)."""
    cluster = config["cluster"]
    return len(cluster.get("chief", [])) + len(cluster.get("worker", []))


def is_chief(config: dict[str, Any]) -> bool:
    """True for the task that writes the record: the chief, or worker 0 of a cluster without a chief."""
    task, cluster = config["task"], config["cluster"]
    return task["type"] == "chief" or (not cluster.get("chief") and task["type"] == "worker"
                                       and int(task["index"]) == 0)


def task_index(config: dict[str, Any]) -> int:
    """This task's position among the cluster's workers (the chief first)."""
    task = config["task"]
    return 0 if task["type"] == "chief" else int(task["index"]) + len(config["cluster"].get("chief", []))


def check_user_cluster(cells: list[Cell]) -> None:
    """UserError when the user's TF_CONFIG cluster cannot run a multiworker cell (worker count differs)."""
    config = user_cluster()
    if config is None:
        return
    n = cluster_workers(config)
    for cell in cells:
        if cell.strategy == "multiworker" and cell.replicas != n:
            raise UserError(f"TF_CONFIG's cluster has {n} workers but cell {cell.cell_id} asks for "
                            f"replicas = {cell.replicas}; set replicas = {n}, or unset TF_CONFIG")


def recorded_here(cell: Cell) -> bool:
    """False for a multiworker cell whose record another machine's runner (the chief's) writes."""
    config = user_cluster() if cell.strategy == "multiworker" else None
    return config is None or is_chief(config)


def not_recorded_line(record: dict[str, Any]) -> str:
    """The console line of this machine's worker of a cell whose record the chief's runner writes."""
    from bench.runner import summary_line

    return f"{summary_line(record)}  ({NOT_RECORDED})"


def run_cell(cell: Cell, run_dir: Path, env: dict[str, Any]) -> dict[str, Any]:
    """Run a multiworker cell: this machine's worker under the user's TF_CONFIG, or `replicas` local
    workers on 127.0.0.1; the chief's record, or a failed record naming the worker that failed."""
    from bench.runner import utc_now

    config = user_cluster()
    if config is not None:
        n, indices, configs = cluster_workers(config), [task_index(config)], [None]
    else:
        ports = free_ports(cell.replicas)
        n, indices = cell.replicas, list(range(cell.replicas))
        configs = [tf_config(ports, i) for i in indices]
    logs = [log_path(run_dir, cell, i) for i in indices]
    started, t0 = utc_now(), time.perf_counter()
    ended, timed_out = _run_workers(cell, logs, indices, configs)
    return _record(cell, ended, timed_out, indices, n, logs, started, time.perf_counter() - t0, env)


def log_path(run_dir: Path, cell: Cell, index: int) -> Path:
    """Worker index's log: the cell's own log for the chief (worker 0), CELL.worker{i}.log for the others."""
    return run_dir / "logs" / (f"{cell.cell_id}.log" if index == 0 else f"{cell.cell_id}.worker{index}.log")


def _run_workers(cell: Cell, logs: list[Path], indices: list[int],
                 configs: list[str | None]) -> tuple[dict[int, tuple[int, str]], bool]:
    """Start the workers and wait for all of them, the first failure or the cell's timeout; every worker
    still running then is killed. Returns {position: (exit status, stdout)} of the workers that ended
    by themselves, in the order they ended, and whether the cell timed out."""
    from bench.runner import kill, spawn_child

    procs: list[subprocess.Popen[str]] = []
    with concurrent.futures.ThreadPoolExecutor(len(logs)) as pool:
        try:
            for path, index, config in zip(logs, indices, configs, strict=True):
                extra = {"BENCH_WORKER": str(index)} | ({"TF_CONFIG": config} if config else {})
                procs.append(spawn_child(cell, path, extra))
            outs = _wait(pool, procs, cell.timeout_s)
        finally:  # a failure, a timeout, Ctrl-C or SIGTERM: no worker outlives the cell
            for proc in procs:
                if proc.poll() is None:
                    kill(proc)
    ended = {i: (int(procs[i].returncode), out) for i, out in outs.items()}
    timed_out = len(ended) < len(procs) and not any(_failed(out, code) for code, out in ended.values())
    return ended, timed_out


def _wait(pool: concurrent.futures.Executor, procs: list[subprocess.Popen[str]],
          timeout_s: float) -> dict[int, str]:
    """Each finished worker's stdout, collected until all finished, one failed, or timeout_s passed."""
    deadline = time.monotonic() + timeout_s
    futures = {pool.submit(p.communicate): i for i, p in enumerate(procs)}
    outs: dict[int, str] = {}
    pending = set(futures)
    while pending:
        done, pending = concurrent.futures.wait(pending, timeout=max(0.0, deadline - time.monotonic()),
                                                return_when=concurrent.futures.FIRST_COMPLETED)
        for future in done:
            outs[futures[future]] = future.result()[0] or ""
        if not done or any(_failed(outs[futures[f]], procs[futures[f]].returncode) for f in done):
            break
    return outs


def _failed(out: str, returncode: int | None) -> bool:
    """True when a finished worker printed no ok record."""
    from bench.runner import parse_child_output

    record = parse_child_output(out)
    return record is None or record.get("status") != "ok" or returncode != 0


def _record(cell: Cell, ended: dict[int, tuple[int, str]], timed_out: bool, indices: list[int], n: int,
            logs: list[Path], started: str, wall_s: float, env: dict[str, Any]) -> dict[str, Any]:
    """The cell's record: the first worker's (the chief's, or this machine's) when every worker ended ok,
    else the failure of the worker that failed first (the others then fail waiting for it), or the
    timeout."""
    from bench.runner import cell_record, log_tail, parse_child_output

    if timed_out:
        return cell_record(cell, "timeout", f"killed after timeout_s={cell.timeout_s:g} ({n} workers)", {},
                           started, wall_s, log_tail(logs[0]), env)
    for position, (code, out) in ended.items():
        if _failed(out, code):
            index, path, child = indices[position], logs[position], parse_child_output(out)
            tail = log_tail(path)
            if child is not None and child["status"] != "ok":
                status, reason = child["status"], child["reason"]
            else:
                status, reason = outcome.from_exit(code, tail)
            return cell_record(cell, status, f"worker {index} of {n} ({path.name}): {reason}", {},
                               started, wall_s, tail, env)
    child = parse_child_output(ended[0][1]) or {}
    status, reason = child.pop("status"), child.pop("reason")
    return cell_record(cell, status, reason, child, started, wall_s, log_tail(logs[0]), env)
