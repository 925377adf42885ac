"""Multiworker cells: the worker processes of tf.distribute.MultiWorkerMirroredStrategy.

On one machine the runner starts `replicas` workers (``python -m bench.cell.child``, the same child as
every cell) on 127.0.0.1, each with its TF_CONFIG (free ports), its own log (worker 0, the chief:
logs/CELL.log; worker i: logs/CELL.worker{i}.log) and one shared timeout. When one worker fails, the
others (blocked in a collective, waiting for it) are killed and the cell's record is a failed one
naming the worker and its reason; Ctrl-C kills them all. The chief's record is the cell's record.

Off the network: TensorFlow's gRPC servers listen on every interface whatever TF_CONFIG's address
says, unauthenticated, and run any graph they are sent. So a local cell's workers run together in a
private user + network namespace (PrivateNetwork: ``unshare --user --map-root-user --net`` holds it,
loopback up, each worker enters it with ``nsenter``): nothing outside the namespace can reach them,
and its ports are all free, so fixed ports (BASE_PORT + i) have no race with other programs. Where
the OS refuses namespaces, local multiworker cells are refused unless the user opts in
(``bench run --expose-workers``: host network, free ports); each record's worker_network says which.

Spanning machines: when the runner itself starts with a TF_CONFIG in its environment (the user's,
naming every machine's worker), a multiworker cell runs only this machine's worker under that
TF_CONFIG; its cluster must have `replicas` workers, and only the chief's runner writes the record.
Those workers are on the user's network, behind the user's firewall.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import outcome
from bench.config.cell import Cell
from bench.errors import UserError
from bench.launch import contention, processes
from bench.launch.spawn import (
    cell_record,
    kill,
    log_tail,
    parse_child_output,
    spawn_child,
    summary_line,
    utc_now,
)

HOST = "127.0.0.1"
NOT_RECORDED = "ran as a worker (the chief's runner records it)"
BASE_PORT = 20000  # worker i listens on BASE_PORT + i inside its cell's own namespace (all ports free)
EXPOSE_ENV = "BENCH_EXPOSE_WORKERS"  # "1": `bench run --expose-workers` allowed the host network
PRIVATE = "private network namespace (loopback only, unreachable from other hosts)"
EXPOSED = ("host network, opted in with --expose-workers (TensorFlow's gRPC servers listened on every "
           "interface for the cell's duration)")
USER_CLUSTER = "the user's TF_CONFIG cluster (their network and firewall)"
EXPOSE_HELP = ("run local multiworker cells on the host network where this OS cannot give them a private "
               "network namespace (unshare --user --net): their TensorFlow gRPC servers then listen on "
               "every interface, unauthenticated, for the cell's duration, so anyone who can reach this "
               "machine can run code in them; use it only on a trusted network or behind a firewall "
               "(each such record says so in worker_network)")
# The namespace's holder: brings loopback up (SIOCGIFFLAGS / SIOCSIFFLAGS, IFF_UP), says ready, and
# lives until its stdin closes (the runner closes it after the cell, or dies).
_HOLDER = """
import fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
print("ready", flush=True)
sys.stdin.read()
"""
HOLDER_TIMEOUT_S = 30.0


class NamespaceUnavailable(Exception):
    """This OS (or its policy) gives this user no private user + network namespace."""


class PrivateNetwork(contextlib.AbstractContextManager["PrivateNetwork"]):
    """A private user + network namespace with loopback up, held open by one process for a cell's
    workers, who join it through ``wrap(cmd)``; closed (its holder ended) on exit."""

    def __init__(self) -> None:
        self.holder: subprocess.Popen[str] | None = None

    def __enter__(self) -> PrivateNetwork:
        tools = [shutil.which(t) for t in ("unshare", "nsenter")]
        if not all(tools):
            raise NamespaceUnavailable("unshare/nsenter (util-linux) not found")
        cmd = [tools[0], "--user", "--map-root-user", "--net", sys.executable, "-c", _HOLDER]
        self.holder = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, start_new_session=True)
        ready = _readline(self.holder, HOLDER_TIMEOUT_S)
        if ready != "ready":
            self.__exit__()
            raise NamespaceUnavailable(ready or "the namespace holder did not start")
        return self

    def wrap(self, cmd: list[str]) -> list[str]:
        """cmd run inside the namespace (nsenter execs it: the process is cmd itself, same pid)."""
        assert self.holder is not None
        return [shutil.which("nsenter") or "nsenter", f"--target={self.holder.pid}", "--user", "--net",
                "--preserve-credentials", *cmd]

    def __exit__(self, *exc: object) -> None:
        holder, self.holder = self.holder, None
        if holder is None:
            return
        with contextlib.suppress(OSError):
            holder.stdin.close()  # type: ignore[union-attr]
        try:
            holder.wait(timeout=5)
        except subprocess.TimeoutExpired:
            processes.kill_tree(holder.pid)
            holder.wait()


def _readline(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """The process's first stdout line (or its stderr's last line when it ended without one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(proc.stdout.readline)  # type: ignore[union-attr]
        try:
            line = future.result(timeout=timeout_s).strip()
        except concurrent.futures.TimeoutError:
            processes.kill_tree(proc.pid)
            return f"no answer within {timeout_s:g}s"
    if line:
        return line
    err = (proc.stderr.read() if proc.wait() is not None else "").strip()  # type: ignore[union-attr]
    return err.splitlines()[-1] if err else f"exit status {proc.returncode}"


@functools.cache
def namespace_unavailable() -> str | None:
    """Why this process cannot make a private network namespace (None when it can); probed once."""
    try:
        with PrivateNetwork():
            return None
    except (NamespaceUnavailable, OSError) as exc:
        return str(exc)


def check_network(cells: list[Cell], expose: bool) -> None:
    """Before a run: UserError when it has local multiworker cells, no private namespace can be made
    here and the user did not opt in to the host network; with the opt-in, the cells may use it."""
    local = [c for c in cells if c.strategy == "multiworker"]
    if not local or user_cluster() is not None:
        return
    why = namespace_unavailable()
    if why is None:
        return
    if not expose:
        raise UserError(f"local multiworker cells need a private network namespace, which this OS refuses "
                        f"({why}); without one their TensorFlow servers listen on every interface: add "
                        "--expose-workers to run them so anyway (trusted network only), or drop them")
    os.environ[EXPOSE_ENV] = "1"


@contextlib.contextmanager
def local_network(count: int) -> Iterator[tuple[list[int], Any, str]]:
    """(ports, wrap(cmd) or None, worker_network) for `count` local workers: a private namespace with
    fixed ports where the OS allows, else the host network with free ports if the user opted in."""
    if namespace_unavailable() is None:
        with PrivateNetwork() as net:
            yield [BASE_PORT + i for i in range(count)], net.wrap, PRIVATE
        return
    if os.environ.get(EXPOSE_ENV) != "1":
        raise UserError(f"no private network namespace here ({namespace_unavailable()}); rerun with "
                        "`bench run --expose-workers` to run local multiworker cells on the host network")
    yield free_ports(count), None, EXPOSED


def free_ports(count: int) -> list[int]:
    """Ports the kernel reports free on 127.0.0.1 (all bound at once, so they differ; released before
    the workers bind them: the host-network path's small race, which the private namespace avoids)."""
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

    return f"{summary_line(record)}  ({NOT_RECORDED})"


def run_cell(cell: Cell, run_dir: Path, env: dict[str, Any]) -> dict[str, Any]:
    """Run a multiworker cell: this machine's worker under the user's TF_CONFIG, or `replicas` local
    workers on 127.0.0.1; the chief's record, or a failed record naming the worker that failed."""

    config = user_cluster()
    if config is not None:
        indices = [task_index(config)]
        logs = [log_path(run_dir, cell, i) for i in indices]
        window, started, t0 = contention.start(), utc_now(), time.perf_counter()
        ended, timed_out = _run_workers(cell, logs, indices, [None])
        wall_s = time.perf_counter() - t0
        record = _record(cell, ended, timed_out, indices, cluster_workers(config), logs, started, wall_s, env)
        return contention.attach(record, contention.fields(window, wall_s)) | {"worker_network": USER_CLUSTER}
    indices = list(range(cell.replicas))
    logs = [log_path(run_dir, cell, i) for i in indices]
    with local_network(cell.replicas) as (ports, wrap, network):
        window, started, t0 = contention.start(), utc_now(), time.perf_counter()
        ended, timed_out = _run_workers(cell, logs, indices, [tf_config(ports, i) for i in indices], wrap)
        wall_s = time.perf_counter() - t0
        record = _record(cell, ended, timed_out, indices, cell.replicas, logs, started, wall_s, env)
        record = contention.attach(record, contention.fields(window, wall_s))  # every worker reaped
    return record | {"worker_network": network}


def log_path(run_dir: Path, cell: Cell, index: int) -> Path:
    """Worker index's log: the cell's own log for the chief (worker 0), CELL.worker{i}.log for the others."""
    return run_dir / "logs" / (f"{cell.cell_id}.log" if index == 0 else f"{cell.cell_id}.worker{index}.log")


def _run_workers(cell: Cell, logs: list[Path], indices: list[int], configs: list[str | None],
                 wrap: Any = None) -> tuple[dict[int, tuple[int, str]], bool]:
    """Start the workers and wait for all of them, the first failure or the cell's timeout; every worker
    still running then is killed. Returns {position: (exit status, stdout)} of the workers that ended
    by themselves, in the order they ended, and whether the cell timed out."""

    procs: list[subprocess.Popen[str]] = []
    with concurrent.futures.ThreadPoolExecutor(len(logs)) as pool:
        try:
            for path, index, config in zip(logs, indices, configs, strict=True):
                extra = {"BENCH_WORKER": str(index)} | ({"TF_CONFIG": config} if config else {})
                procs.append(spawn_child(cell, path, extra, wrap))
            outs = _wait(pool, procs, cell.timeout_s)
        finally:  # a failure, a timeout, Ctrl-C or SIGTERM: no worker outlives the cell
            for proc in procs:
                if proc.poll() is None:
                    kill(proc)
    ended = {i: (int(procs[i].returncode), out) for i, out in outs.items()}
    timed_out = len(ended) < len(procs) and not any(_failed(out, code) for code, out in ended.values())
    return ended, timed_out


WAIT_SLICE_S = 0.5  # how often the wait for workers lets a Ctrl-C through


def _wait(pool: concurrent.futures.Executor, procs: list[subprocess.Popen[str]],
          timeout_s: float) -> dict[int, str]:
    """Each finished worker's stdout, collected until all finished, one failed, or timeout_s passed."""
    deadline = time.monotonic() + timeout_s
    futures = {pool.submit(p.communicate): i for i, p in enumerate(procs)}
    outs: dict[int, str] = {}
    pending = set(futures)
    while pending:
        left = deadline - time.monotonic()
        # Short waits: a Ctrl-C that is no real signal (Windows' console, _thread.interrupt_main) is only
        # seen when the main thread runs Python again.
        done, pending = concurrent.futures.wait(pending, timeout=max(0.0, min(WAIT_SLICE_S, left)),
                                                return_when=concurrent.futures.FIRST_COMPLETED)
        for future in done:
            outs[futures[future]] = future.result()[0] or ""
        if any(_failed(outs[futures[f]], procs[futures[f]].returncode) for f in done):
            break
        if not done and time.monotonic() >= deadline:
            break
    return outs


def _failed(out: str, returncode: int | None) -> bool:
    """True when a finished worker printed no ok record."""

    record = parse_child_output(out)
    return record is None or record.get("status") != "ok" or returncode != 0


def _record(cell: Cell, ended: dict[int, tuple[int, str]], timed_out: bool, indices: list[int], n: int,
            logs: list[Path], started: str, wall_s: float, env: dict[str, Any]) -> dict[str, Any]:
    """The cell's record: the first worker's (the chief's, or this machine's) when every worker ended ok,
    else the failure of the worker that failed first (the others then fail waiting for it), or the
    timeout."""

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
