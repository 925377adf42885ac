"""`bench run --cluster` on a real two-node Ray cluster on this machine (ray.cluster_utils: one raylet per
node, each posing as its own machine through BENCH_TEST_MACHINE): both placements, each record naming its
machine and env, a missing data set skipped on the node, resume after the driver is killed, a node killed
during a cell. Slow (Ray start-up, two TensorFlow processes at once): CI runs it with -m slow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.launch.cluster import SLOT
from bench.launch.node import TEST_MACHINE_ENV
from bench.results import store

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]

# Two cheap synthetic cells (the ci preset's throughput settings), and a cell whose data set no node has.
MATRIX = """
name = "fleet"
[axes]
pairs = ["digits/cifar_cnn"]
data = "synthetic"
threads = 1
batch_size = [16, 32]
synthetic_examples = 128
timeout_s = 300
[throughput]
warmup_steps = 1
steps = 3
repeats = 3
min_time_s = 0.05
max_time_s = 2
"""
MISSING = """
[[include]]
pairs = ["cifar10/cifar_cnn"]
data = "real"
threads = 1
batch_size = 16
mode = "throughput"
"""


def ray_or_skip() -> object:
    """Ray, or a skip (a failure where CI installed requirements-ray.txt: BENCH_REQUIRE_RAY=1)."""
    if os.environ.get("BENCH_REQUIRE_RAY") == "1":
        import ray

        return ray
    return pytest.importorskip("ray", reason="Ray is an optional extra: pip install -r requirements-ray.txt")


def node_args(machine: str, data_dir: Path, **env: str) -> dict[str, object]:
    """A node offering one galaxybench slot, posing as `machine`, with its own (empty) data folder."""
    return {"num_cpus": 1, "resources": {SLOT: 1}, "include_dashboard": False,
            "env_vars": {TEST_MACHINE_ENV: machine, "BENCH_DATA_DIR": str(data_dir), **env}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A head (node-a) and a worker node (node-b) on this machine; torn down after the module."""
    ray_or_skip()
    from ray.cluster_utils import Cluster

    data = tmp_path_factory.mktemp("node-data")
    c = Cluster(initialize_head=True, head_node_args=node_args("node-a", data))
    c.add_node(**node_args("node-b", data))
    c.wait_for_nodes()
    yield c
    c.shutdown()


def bench_run(cluster: object, *args: str, wait: bool = True) -> Any:
    """`python -m bench run ... --cluster ray` as the driver, against the test cluster (RAY_ADDRESS)."""
    cmd = [sys.executable, "-m", "bench", "run", *args, "--cluster", "ray"]
    env = os.environ | {"RAY_ADDRESS": cluster.address}
    if not wait:
        return subprocess.Popen(cmd, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return subprocess.run(cmd, cwd=REPO, env=env, text=True, capture_output=True, timeout=600)


def write_matrix(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def envs(run_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (run_dir / "envs").glob("*.json")}


def test_spread_runs_each_cell_once_and_names_its_machine(cluster: object, tmp_path: Path) -> None:
    out = tmp_path / "spread"
    proc = bench_run(cluster, "--matrix", str(write_matrix(tmp_path, MATRIX + MISSING)), "--out", str(out),
                     "--placement", "spread")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = store.read_records(out)
    assert len(records) == 3 and len({r["cell_id"] for r in records}) == 3
    machine_envs = envs(out)
    assert set(machine_envs) == {"node-a", "node-b"}
    assert machine_envs["node-a"]["machine_env_id"] != machine_envs["node-b"]["machine_env_id"]
    ran = [r for r in records if r["status"] == "ok"]
    assert len(ran) == 2 and {r["machine"] for r in ran} == {"node-a", "node-b"}  # one per idle node
    for r in records:
        assert r["placement"] == "spread"
        assert r["machine_env_id"] == machine_envs[r["machine"]]["machine_env_id"]
        assert r["machine"] in r["ray_node"]
    for r in ran:
        assert (out / "logs" / r["machine"] / f"{r['cell_id']}.log").stat().st_size > 0
    skipped = next(r for r in records if r["dataset"] == "cifar10")
    assert skipped["status"] == "skipped" and "python -m bench datasets download cifar10" in skipped["reason"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "node-a" in summary and "node-b" in summary


def test_every_node_resumes_after_the_driver_is_killed(cluster: object, tmp_path: Path) -> None:
    out = tmp_path / "every"
    matrix = write_matrix(tmp_path, MATRIX)
    driver = bench_run(cluster, "--matrix", str(matrix), "--out", str(out), "--placement", "every-node",
                       "--no-report", wait=False)
    deadline = time.monotonic() + 400
    while not store.read_records(out) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    driver.kill()  # SIGKILL: no clean-up in the driver at all
    driver.wait()
    first = store.read_records(out)
    assert 1 <= len(first) < 4, driver.stdout.read() if driver.stdout else ""
    _wait_no_child_of()  # the killed driver's cells die with it (Ray ends its tasks' workers)
    proc = bench_run(cluster, "--resume", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = store.read_records(out)
    runs = [(r["machine"], r["cell_id"]) for r in records]
    assert len(runs) == len(set(runs)) == 4  # every cell on every machine, none run twice
    assert {r["status"] for r in records} == {"ok"}
    assert all(r in records for r in first)  # what was recorded before the kill was kept, not rerun
    again = bench_run(cluster, "--resume", "--out", str(out), "--no-report")
    assert again.returncode == 0 and "(0 cell runs" in again.stdout, again.stdout + again.stderr


def test_a_node_lost_during_a_cell_gives_an_error_record_and_the_matrix_goes_on(
        cluster: object, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    doomed = cluster.add_node(**node_args("node-c", data, BENCH_FAULT="hang"))  # its cells never finish
    cluster.wait_for_nodes()
    out = tmp_path / "lost"
    matrix = write_matrix(tmp_path, MATRIX.replace("[16, 32]", "[8, 16, 32]"))
    driver = bench_run(cluster, "--matrix", str(matrix), "--out", str(out), "--placement", "spread",
                       "--no-report", wait=False)
    _wait_for_child_on("node-c")
    cluster.remove_node(doomed, allow_graceful=False)
    output, _ = driver.communicate(timeout=600)
    assert driver.returncode == 1, output  # a cell ended in error (its node was lost)
    assert output.splitlines()[-1].startswith("exit status 1: 1 cell(s) ended in error"), output
    records = store.read_records(out)
    assert len(records) == 3
    lost = [r for r in records if r["machine"] == "node-c"]
    assert len(lost) == 1 and lost[0]["status"] == "error"
    assert "node-c" in lost[0]["reason"] and "lost during the cell" in lost[0]["reason"]
    assert sorted(r["status"] for r in records if r["machine"] != "node-c") == ["ok", "ok"]


def _children(match: str) -> list[psutil.Process]:
    """Running `python -m bench.cell.child` processes whose environment contains match."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "bench.cell.child" in (proc.info["cmdline"] or []) and match in "\0".join(
                    f"{k}={v}" for k, v in proc.environ().items()):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _wait_for_child_on(machine: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not _children(f"{TEST_MACHINE_ENV}={machine}"):
        assert time.monotonic() < deadline, f"no cell started on {machine}"
        time.sleep(0.5)


def _wait_no_child_of(timeout_s: float = 60) -> None:
    """Wait until no cell of this test's cluster runs (a killed driver's cells must die with it)."""
    deadline = time.monotonic() + timeout_s
    while _children(f"{TEST_MACHINE_ENV}=") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _children(f"{TEST_MACHINE_ENV}="), "a killed driver's cell is still running"
