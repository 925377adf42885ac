"""What a Ray cluster's node does for the driver (bench.launch.cluster): say which machine it is, take
its own env fingerprint, and run one cell through the local runner's child contract.

Each function runs inside a Ray worker on the node; it imports neither Ray nor TensorFlow. A cell is
run exactly as `bench run` runs it on one machine (bench.launch.runner.run_cell: `python -m
bench.cell.child` in its own process, its timeout, its failure decoding); its log lives in the node's
temporary folder and travels back with the record, so the driver's run folder stays the one source of
truth.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import psutil

from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.launch import datacheck, runner

# Tests only: two Ray nodes on one computer pose as two machines (each node's raylet gets its own value).
TEST_MACHINE_ENV = "BENCH_TEST_MACHINE"
LOG_MAX_BYTES = 1_000_000  # the end of a cell's log that travels back to the driver
# env.json keys that describe the machine and its software, hashed into machine_env_id.
FINGERPRINT_KEYS = ("hostname", "os", "python", "cpu_model", "cpu", "logical_cores", "physical_cores",
                    "ram_gb", "packages", "nvml_gpus", "nvml_driver", "tf_version", "keras_version",
                    "cuda_build", "cudnn_build", "onednn", "tf_gpus", "backend_gpus")


def machine_name() -> str:
    """This node's machine: its host name (BENCH_TEST_MACHINE in tests, where nodes share a computer)."""
    return os.environ.get(TEST_MACHINE_ENV) or socket.gethostname()


def fingerprint_id(env: dict[str, Any]) -> str:
    """A short id of the machine's fingerprint: the same hardware and software give the same id."""
    stable = {k: env.get(k) for k in FINGERPRINT_KEYS}
    if isinstance(stable["cpu"], dict):  # the advertised model and flags, not the clock of the moment
        stable["cpu"] = {k: v for k, v in stable["cpu"].items() if k != "hz_actual_friendly"}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:10]


def identity() -> dict[str, str]:
    """Which machine this node is (cheap: the driver asks every node before anything runs)."""
    return {"machine": machine_name(), "host": socket.gethostname()}


def probe(peak: bool) -> dict[str, Any]:
    """This node's env fingerprint (bench.envinfo in a subprocess, with the GEMM peaks), naming the
    machine and its fingerprint id."""
    env = runner.probe_env(peak)
    env["hostname"] = machine_name()
    env["machine_env_id"] = fingerprint_id(env)
    return env


def run(config: dict[str, Any], run_name: str, env: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Run one cell here: its data checked in this node's data folder (missing: a skipped record naming
    the fix, no process started), else its child process; the record (with `fields`, the machine's
    identity) and the end of its log."""
    cell = Cell.from_dict(config)
    missing = _data_missing(cell)
    if missing:
        return {"record": runner.skipped_record(cell, missing) | fields, "log": ""}
    raylet = psutil.Process().parent()  # a Ray worker is its node's raylet's child
    work = _work_dir(run_name, raylet.pid)
    if cell.batch_size == "max":
        from bench.launch import maxbatch

        record = maxbatch.run(cell, work, env, runner.run_cell)
    else:
        record = runner.run_cell(cell, work, env)
    lost = not raylet.is_running() or os.getppid() != raylet.pid
    if lost:  # the node died under the cell, which then ended as its process was killed: not the cell's fault
        record |= {"status": "error", "reason": f"{fields.get('ray_node')} was lost during the cell (its "
                   f"raylet died; the cell's process then ended as {record['status']}: {record['reason']})"}
    return {"record": record | fields, "log": _log_end(work / "logs" / f"{cell.cell_id}.log"),
            "node_lost": lost}


def _work_dir(run_name: str, raylet_pid: int) -> Path:
    """This node's folder for the run's cell logs, one per node: nodes on one computer share its temporary
    folder, and with placement every-node they run the same cell at once (two nodes renaming each other's
    log of one cell would make that cell an error)."""
    work = Path(tempfile.gettempdir()) / "galaxybench-cluster" / run_name / f"node-{raylet_pid}"
    (work / "logs").mkdir(parents=True, exist_ok=True)
    return work


def _data_missing(cell: Cell) -> str | None:
    """The skip reason when the cell's data set is not in this node's data folder, else None."""
    from datasets import paths

    found = datacheck.check([Planned(cell)], paths.data_dir(None))
    return datacheck.skip_reason(cell.dataset) if found.missing else None


def _log_end(path: Path) -> str:
    """The cell's log (its last LOG_MAX_BYTES), or '' when it wrote none."""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-LOG_MAX_BYTES:].decode("utf-8", errors="replace")
