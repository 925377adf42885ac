"""Distribution strategies end to end on this CPU: MirroredStrategy over 2 logical CPU devices, 2
MultiWorkerMirroredStrategy workers on 127.0.0.1, a failing or hanging worker, Ctrl-C, and two runners
joined by hand-written TF_CONFIGs (as on two machines). Tiny cells (digits + the CIFAR CNN)."""

from __future__ import annotations

import _thread
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.config.cell import Cell
from bench.launch import runner, spawn, workers
from tests.bench.conftest import REPO, bench, records

MATRIX = """
name = "dist"
[axes]
pairs = ["digits/cifar_cnn"]
strategy = ["none", "mirrored", "multiworker"]
replicas = 2
threads = 1
timeout_s = 240
[throughput]
warmup_steps = 1
steps = 3
repeats = 3
min_time_s = 0.2
[train]
epochs = 1
[[include]]
strategy = "mirrored"
mode = "train"
"""
MULTI = Cell(dataset="digits", model="cifar_cnn", strategy="multiworker", replicas=2, threads=1,
             warmup_steps=1, steps=3, repeats=3, min_time_s=0.2, timeout_s=240)  # as in MATRIX


@pytest.fixture(scope="module")  # the run takes ~60 s here: its tests are slow, run by CI after the suite
def dist_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the matrix above: the reference, mirrored and multiworker throughput, mirrored train."""
    base = tmp_path_factory.mktemp("dist")
    (base / "dist.toml").write_text(MATRIX)
    env = {"BENCH_DATA_DIR": str(base / "data"), "BENCH_RESULTS_DIR": str(base)}
    proc = bench("run", "--matrix", str(base / "dist.toml"), "--out", str(base / "run"), env=env)
    recs = {(r["strategy"], r["mode"]): r for r in records(base / "run")}
    return {"out": base / "run", "env": env, "proc": proc, "records": recs}


@pytest.mark.slow
def test_every_strategy_trains(dist_run):
    assert dist_run["proc"].returncode == 0, dist_run["proc"].stderr
    assert len(dist_run["records"]) == 4
    for rec in dist_run["records"].values():
        assert rec["status"] == "ok", (rec["cell_id"], rec["reason"], rec.get("log_tail"))


@pytest.mark.slow
def test_mirrored_fits_the_global_batch_on_two_logical_cpus(dist_run):
    rec = dist_run["records"][("mirrored", "throughput")]
    assert (rec["replicas"], rec["global_batch_size"], rec["per_replica_batch_size"]) == (2, 64, 32)
    assert rec["train_loop"] == "model.fit" and rec["train_img_s"] > 0
    log = (dist_run["out"] / "logs" / f"{rec['cell_id']}.log").read_text()
    devices = ", ".join(f"/job:localhost/replica:0/task:0/device:CPU:{i}" for i in range(2))
    assert f"tf.distribute.MirroredStrategy: 2 replicas in sync on {devices}" in log
    train = dist_run["records"][("mirrored", "train")]
    assert train["global_batch_size"] == 64 and 0 <= train["test_accuracy"] <= 1


@pytest.mark.slow
def test_multiworker_runs_two_workers_with_a_custom_step(dist_run):
    rec = dist_run["records"][("multiworker", "throughput")]
    assert rec["train_loop"] == "custom strategy.run step" and rec["global_batch_size"] == 64
    assert len(rec["worker_train_img_s"]) == 2 and all(v > 0 for v in rec["worker_train_img_s"])
    assert rec["worker_train_img_s"][0] == rec["train_img_s"]  # the chief's own rate is the record's
    assert rec["step_ms_p50"] > 0 and rec["compile_s"] > 0 and rec["infer_img_s"] > 0
    logs = dist_run["out"] / "logs"
    for name in (f"{rec['cell_id']}.log", f"{rec['cell_id']}.worker1.log"):
        assert "tf.distribute.MultiWorkerMirroredStrategy: 2 replicas in sync" in (logs / name).read_text()


@pytest.mark.slow
def test_scaling_efficiency_against_the_single_replica_cell(dist_run):
    ref = dist_run["records"][("none", "throughput")]
    for strategy in ("mirrored", "multiworker"):
        rec = dist_run["records"][(strategy, "throughput")]
        assert rec["scaling_reference"] == ref["cell_id"]
        assert rec["scaling_efficiency"] == pytest.approx(rec["train_img_s"] / (2 * ref["train_img_s"]))
    assert "scaling_efficiency" not in dist_run["records"][("mirrored", "train")]  # no train_img_s


@pytest.mark.slow
def test_report_draws_the_scaling_chart(dist_run):
    charts = list((dist_run["out"] / "charts").glob("scaling_*.png"))
    assert len(charts) == 1, dist_run["proc"].stdout


def _children() -> list[psutil.Process]:
    """This test process's live bench.cell.child descendants."""
    alive = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if "bench.cell.child" in " ".join(proc.cmdline()) and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.mark.parametrize(("fault", "status", "why"), [
    ("raise@#worker1", "error", "RuntimeError: fault injected"),
    ("sigkill@#worker1", "oom", "killed by SIGKILL"),
])
def test_a_failing_worker_fails_the_cell_and_stops_the_others(fault, status, why, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", fault)
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "data"))
    rec = runner.run_cell(MULTI, tmp_path, env={})
    assert rec["status"] == status
    assert rec["reason"].startswith(f"worker 1 of 2 ({MULTI.cell_id}.worker1.log): ") and why in rec["reason"]
    assert rec["log_tail"] == spawn.log_tail(tmp_path / "logs" / f"{MULTI.cell_id}.worker1.log")
    assert _children() == []


def test_a_hanging_worker_times_the_cell_out(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", "hang@#worker1")
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "data"))
    rec = runner.run_cell(dataclasses.replace(MULTI, timeout_s=3), tmp_path, env={})
    assert rec["status"] == "timeout" and "timeout_s=3 (2 workers)" in rec["reason"]
    assert _children() == []


def test_ctrl_c_kills_every_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", "hang")
    # interrupt_main does nothing while SIGINT is ignored or default, as something earlier in a full suite
    # leaves it (the cell then ran to its timeout): give SIGINT Python's own handler for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(2, _thread.interrupt_main)  # Ctrl-C in the main thread, on every OS
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            rec = runner.run_cell(dataclasses.replace(MULTI, timeout_s=60), tmp_path, env={})
            logs = {p.name: p.read_text()[-1500:] for p in (tmp_path / "logs").glob("*.log")}
            pytest.fail(f"the cell ended before Ctrl-C: {rec['status']}: {rec['reason']}; logs: {logs}")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert _children() == []


def _user_run(out: Path, tf_config: str, matrix: Path, data: Path, env_json: Path) -> subprocess.Popen:
    """`bench run` as a user on one machine of a cluster would start it, with their TF_CONFIG."""
    out.mkdir()
    shutil.copy(env_json, out / "env.json")  # skip the environment probe
    env = {**os.environ, "TF_CONFIG": tf_config, "BENCH_DATA_DIR": str(data)}
    return subprocess.Popen([sys.executable, "-m", "bench", "run", "--matrix", str(matrix), "--out", str(out),
                             "--no-report"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow  # needs dist_run
def test_two_runners_joined_by_user_tf_configs(dist_run, tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.replace('["none", "mirrored", "multiworker"]', '"multiworker"')
                      .split("[[include]]")[0])
    ports = workers.free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    env_json, data = dist_run["out"] / "env.json", Path(dist_run["env"]["BENCH_DATA_DIR"])
    procs = [_user_run(tmp_path / f"machine{i}", json.dumps({"cluster": cluster,
                                                             "task": {"type": "worker", "index": i}}),
                       matrix, data, env_json) for i in range(2)]
    outs = [p.communicate(timeout=400)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    chief = records(tmp_path / "machine0")
    assert len(chief) == 1 and chief[0]["status"] == "ok", chief
    assert len(chief[0]["worker_train_img_s"]) == 2 and chief[0]["cell_id"] == MULTI.cell_id
    assert not (tmp_path / "machine1" / "results.jsonl").exists()  # the chief writes the record
    assert workers.NOT_RECORDED in outs[1]
    assert (tmp_path / "machine1" / "logs" / f"{MULTI.cell_id}.worker1.log").exists()


@pytest.mark.slow  # needs dist_run
def test_user_cluster_of_another_size_is_a_one_line_error(dist_run, tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.split("[[include]]")[0])
    config = json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]},
                         "task": {"type": "worker", "index": 0}})
    proc = _user_run(tmp_path / "out", config, matrix, tmp_path / "data", dist_run["out"] / "env.json")
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 2
    assert out.strip().splitlines() == [
        f"error: TF_CONFIG's cluster has 3 workers but cell {MULTI.cell_id} asks for replicas = 2; "
        "set replicas = 3, or unset TF_CONFIG"]

