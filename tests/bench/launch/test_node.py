"""bench.launch.node's identity of a machine: its name (the test override) and env fingerprint id."""

from __future__ import annotations

import socket

import pytest

from bench.launch import node


def test_machine_name_is_the_host_unless_a_test_poses_as_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(node.TEST_MACHINE_ENV, raising=False)
    assert node.machine_name() == socket.gethostname()
    monkeypatch.setenv(node.TEST_MACHINE_ENV, "node-b")
    assert node.machine_name() == "node-b"


def test_fingerprint_id_follows_hardware_and_software_not_the_moment() -> None:
    env = {"hostname": "a", "cpu_model": "X", "cpu": {"brand_raw": "X", "hz_actual_friendly": "2.1 GHz"},
           "packages": {"tensorflow-cpu": "2.21.0"}, "logical_cores": 2, "cpu_freq_mhz": {"current": 2100}}
    same = env | {"cpu": env["cpu"] | {"hz_actual_friendly": "3.0 GHz"}, "cpu_freq_mhz": {"current": 900},
                  "peak_gflop_s": {"cpu": 100}}
    assert node.fingerprint_id(env) == node.fingerprint_id(same)
    assert node.fingerprint_id(env) != node.fingerprint_id(env | {"packages": {"tensorflow-cpu": "2.20.0"}})
    assert node.fingerprint_id(env) != node.fingerprint_id(env | {"hostname": "b"})


def test_nodes_on_one_computer_keep_their_cell_logs_apart(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Two nodes sharing a temporary folder, each running the same cell (placement every-node), must not
    rename each other's log: each node's raylet gets its own folder."""
    monkeypatch.setattr(node.tempfile, "gettempdir", lambda: str(tmp_path))
    a, b = node._work_dir("run", 101), node._work_dir("run", 202)
    assert a != b and (a / "logs").is_dir() and (b / "logs").is_dir()
    assert node._work_dir("run", 101) == a  # the same node, the same folder (a resumed cell's attempts)
