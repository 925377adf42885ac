"""Multiworker workers off the network (bench/launch/workers.py): a cell's workers share a private user +
network namespace, so no socket of theirs listens where another host (or this host) could reach it;
where the OS gives no namespace, local multiworker cells need --expose-workers and say so in the record."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from bench.cli import main
from bench.config.cell import Cell
from bench.launch import runner, workers

LISTEN = "0A"  # TCP_LISTEN in /proc/PID/net/tcp*
MULTI = Cell(dataset="digits", model="cifar_cnn", strategy="multiworker", replicas=2, threads=1,
             warmup_steps=1, steps=3, repeats=3, timeout_s=300)
LISTENER = """
import socket, sys
servers = []
for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(family)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, int(sys.argv[1])))
    s.listen()
    servers.append(s)
print("listening", flush=True)
sys.stdin.read()
"""

pytestmark = pytest.mark.skipif(workers.namespace_unavailable() is not None,
                                reason=f"no private namespace here: {workers.namespace_unavailable()}")


def listening_ports_inside(pid: int) -> set[int]:
    """Ports in LISTEN state in the network namespace of process pid (its own /proc view)."""
    ports = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def host_listeners(pids: set[int]) -> list[str]:
    """Sockets of pids listening anywhere, as the host's network namespace shows them (psutil and ss)."""
    seen = [f"psutil {c.laddr}" for c in psutil.net_connections(kind="inet")
            if c.pid in pids and c.status == psutil.CONN_LISTEN]
    ss = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    seen += [f"ss {line}" for line in ss.splitlines() if any(f"pid={p}," in line for p in pids)]
    return seen


def test_a_process_in_the_namespace_listening_on_every_interface_is_invisible_from_the_host():
    """The mechanism alone, without TensorFlow: a listener bound to 0.0.0.0 and :: (as TensorFlow's gRPC
    server binds) inside the namespace listens there and nowhere on the host."""
    with workers.PrivateNetwork() as net:
        proc = subprocess.Popen(net.wrap([sys.executable, "-c", LISTENER, str(workers.BASE_PORT)]),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "listening"
            assert psutil.Process(proc.pid).cmdline()[0] == sys.executable  # nsenter exec'd: same pid
            assert workers.BASE_PORT in listening_ports_inside(proc.pid)  # it does listen, in there
            assert host_listeners({proc.pid}) == []
            assert workers.BASE_PORT not in listening_ports_inside(1)  # pid 1: the host's namespace
        finally:
            proc.stdin.close()
            proc.wait(timeout=10)
    assert net.holder is None


def _run_and_watch(tmp_path: Path, ports: set[int]) -> tuple[dict, list[list[str]]]:
    """Run MULTI in a thread; once both workers listen on ports (seen in their own namespace), the
    host's view of their listening sockets. Returns (record, [that view]) ([] if never seen)."""
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(runner.run_cell(MULTI, tmp_path, env={})))
    thread.start()
    seen: list[list[str]] = []
    while thread.is_alive() and not seen:
        cell_pids = {p.pid for p in psutil.Process().children(recursive=True)
                     if "bench.cell.child" in " ".join(_cmdline(p))}
        inside = set().union(*(listening_ports_inside(pid) for pid in cell_pids)) if cell_pids else set()
        if len(cell_pids) == 2 and ports <= inside:
            seen.append(host_listeners(cell_pids))
        time.sleep(0.1)
    thread.join(timeout=MULTI.timeout_s)
    return result, seen


def test_a_local_multiworker_cell_listens_only_inside_its_namespace(tmp_path, monkeypatch):
    """A real cell (two TensorFlow workers): once both gRPC servers listen (seen from inside their
    namespace), the host sees no listening socket of theirs; the record says where they listened."""
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "data"))
    record, seen = _run_and_watch(tmp_path, {workers.BASE_PORT, workers.BASE_PORT + 1})
    assert record.get("status") == "ok", (record.get("reason"), record.get("log_tail"))
    assert seen == [[]], "the workers' servers were never seen listening, or the host saw them"
    assert record["worker_network"] == workers.PRIVATE


@pytest.mark.slow  # it exposes two TensorFlow servers on every interface for ~30 s: CI only
def test_the_watch_sees_what_the_opt_in_exposes(tmp_path, monkeypatch):
    """The control: the same watch on the host-network path sees TensorFlow listen on every interface
    (0.0.0.0 / ::), which is what the namespace prevents."""
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(workers, "namespace_unavailable", lambda: "refused (test)")
    monkeypatch.setenv(workers.EXPOSE_ENV, "1")
    ports = set(workers.free_ports(2))
    monkeypatch.setattr(workers, "free_ports", lambda count: sorted(ports))
    record, seen = _run_and_watch(tmp_path, ports)
    assert record.get("status") == "ok" and record["worker_network"] == workers.EXPOSED
    assert len(seen) == 1 and any("0.0.0.0" in s or "'::'" in s or "*:" in s for s in seen[0]), seen


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


def test_without_namespaces_local_multiworker_cells_need_the_opt_in(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(workers, "namespace_unavailable", lambda: "unshare: Operation not permitted (test)")
    monkeypatch.setenv(workers.EXPOSE_ENV, "")  # restored after the test (check_network sets it)
    matrix = tmp_path / "m.toml"
    matrix.write_text('[axes]\npairs = ["digits/cifar_cnn"]\nstrategy = "multiworker"\nreplicas = 2\n')
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "env.json").write_text(json.dumps({"logical_cores": 2, "packages": {"tensorflow": "x"}}))
    assert main(["run", "--matrix", str(matrix), "--out", str(run_dir), "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Operation not permitted (test)" in err and "--expose-workers" in err
    assert not (run_dir / "results.jsonl").exists()
    with pytest.raises(Exception, match="--expose-workers"):
        runner.run_cell(MULTI, tmp_path, env={})  # no opt-in: a direct call is refused too
    workers.check_network([MULTI], expose=True)
    monkeypatch.setenv("BENCH_FAULT", "raise@#worker1")
    record = runner.run_cell(MULTI, tmp_path, env={})
    assert record["status"] == "error" and record["worker_network"] == workers.EXPOSED
