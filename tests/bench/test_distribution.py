"""Distribution strategy plumbing without TensorFlow: device visibility, record fields, TF_CONFIG
(the runner's own clusters and the user's), the per-worker fault hook, and MirroredStrategy on (fake) GPUs."""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
from types import SimpleNamespace

import pytest

from bench.cell import faults, strategy
from bench.config.cell import Cell
from bench.config.environment import child_env
from bench.config.matrix import Machine, skip_reason
from bench.errors import UserError
from bench.launch import workers

CELL = Cell(dataset="digits", model="cifar_cnn", batch_size=32)


@pytest.mark.parametrize(("device", "strat", "replicas", "visible"), [
    ("cpu", "mirrored", 2, "-1"), ("gpu:1", "none", 1, "1"), ("gpu:1", "mirrored", 3, "1,2,3"),
    ("gpu:0", "multiworker", 2, "0")])
def test_cell_sees_its_gpus_only(device, strat, replicas, visible):
    cell = dataclasses.replace(CELL, device=device, strategy=strat, replicas=replicas)
    assert child_env(cell, {})["CUDA_VISIBLE_DEVICES"] == visible


def test_only_multiworker_cells_get_the_users_tf_config():
    base = {"TF_CONFIG": '{"cluster": {}}'}
    assert "TF_CONFIG" not in child_env(dataclasses.replace(CELL, strategy="mirrored", replicas=2), base)
    assert "TF_CONFIG" not in child_env(CELL, base)
    assert child_env(dataclasses.replace(CELL, strategy="multiworker", replicas=2), base)["TF_CONFIG"]


def test_distribution_fields_count_the_global_batch():
    assert strategy.fields(CELL) == {"global_batch_size": 32, "per_replica_batch_size": 32,
                                     "train_loop": "model.fit"}
    mirrored = dataclasses.replace(CELL, strategy="mirrored", replicas=2)
    assert strategy.fields(mirrored)["global_batch_size"] == 64
    multi = dataclasses.replace(CELL, strategy="multiworker", replicas=3)
    assert strategy.fields(multi) == {"global_batch_size": 96, "per_replica_batch_size": 32,
                                      "train_loop": "custom strategy.run step"}


def test_local_cluster_tf_config_names_every_worker_on_loopback():
    ports = workers.free_ports(3)
    assert len(set(ports)) == 3
    config = json.loads(workers.tf_config(ports, 2))
    assert config == {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                      "task": {"type": "worker", "index": 2}}
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[0]))  # released again: a worker can bind it


def _config(task_type: str, index: int, chief: int = 0, worker: int = 2) -> str:
    cluster = {"worker": [f"h{i}:1" for i in range(worker)]} | ({"chief": ["c:1"]} if chief else {})
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})


def test_user_cluster_roles():
    assert workers.user_cluster({}) is None
    first = workers.user_cluster({"TF_CONFIG": _config("worker", 0)})
    second = workers.user_cluster({"TF_CONFIG": _config("worker", 1)})
    assert workers.is_chief(first) and not workers.is_chief(second)
    assert (workers.cluster_workers(first), workers.task_index(second)) == (2, 1)
    with_chief = workers.user_cluster({"TF_CONFIG": _config("worker", 0, chief=1)})
    assert not workers.is_chief(with_chief) and workers.task_index(with_chief) == 1
    assert workers.cluster_workers(with_chief) == 3


STRING_INDEX = '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": "0"}}'


@pytest.mark.parametrize("text", ["{not json", '{"cluster": {}}', _config("worker", 2), _config("ps", 0),
                                  STRING_INDEX])
def test_bad_user_tf_config_is_a_user_error(text):
    with pytest.raises(UserError, match="TF_CONFIG"):
        workers.user_cluster({"TF_CONFIG": text})


def test_user_cluster_must_match_replicas(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", _config("worker", 1, worker=3))
    three = dataclasses.replace(CELL, strategy="multiworker", replicas=3)
    workers.check_user_cluster([CELL, three])
    with pytest.raises(UserError, match="cluster has 3 workers .* replicas = 2; set replicas = 3"):
        workers.check_user_cluster([dataclasses.replace(three, replicas=2)])
    assert not workers.recorded_here(three) and workers.recorded_here(CELL)


def test_user_cluster_lets_multiworker_use_a_gpu(monkeypatch):
    gpu = dataclasses.replace(CELL, strategy="multiworker", replicas=2, device="gpu:0")
    assert "on the CPU" in skip_reason(gpu, Machine(2, gpus=1))
    monkeypatch.setenv("TF_CONFIG", _config("worker", 0))
    assert skip_reason(gpu, Machine(2, gpus=1)) is None


def test_fault_hook_matches_one_worker(monkeypatch):
    monkeypatch.setenv("BENCH_WORKER", "1")
    assert faults.fault_for("cell-abc", "raise@#worker1") == "raise"
    assert faults.fault_for("cell-abc", "raise@cell-abc") == "raise"
    monkeypatch.setenv("BENCH_WORKER", "0")
    assert faults.fault_for("cell-abc", "raise@#worker1") is None
    monkeypatch.delenv("BENCH_WORKER")
    assert faults.fault_for("cell-abc", "raise@#worker1") is None


class _FakeStrategy:
    """Stands in for tf.distribute.MirroredStrategy: one replica per device it is given."""

    def __init__(self, devices: list[str]) -> None:
        self.num_replicas_in_sync = len(devices)
        self.extended = type("Extended", (), {"worker_devices": tuple(devices)})()


def _fake_tf(gpus: int) -> object:
    """A fake tensorflow module whose process sees `gpus` GPUs (no GPU is available here)."""
    devices = {"GPU": [SimpleNamespace(name=f"/device:GPU:{i}") for i in range(gpus)],
               "CPU": [SimpleNamespace(name="/device:CPU:0")]}
    return SimpleNamespace(config=SimpleNamespace(list_logical_devices=lambda kind: devices[kind]),
                           distribute=SimpleNamespace(MirroredStrategy=_FakeStrategy))


def test_mirrored_on_gpus_uses_every_gpu_the_process_sees(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", _fake_tf(gpus=2))
    cell = dataclasses.replace(CELL, device="gpu:1", strategy="mirrored", replicas=2)
    got = strategy.make_strategy(cell)
    assert got.extended.worker_devices == ("/device:GPU:0", "/device:GPU:1")  # gpu:1 and gpu:2, renumbered
    monkeypatch.setitem(sys.modules, "tensorflow", _fake_tf(gpus=1))
    with pytest.raises(RuntimeError, match="MirroredStrategy has 1 replicas in sync, the cell asks for 2"):
        strategy.make_strategy(cell)
    assert strategy.make_strategy(CELL) is None


def test_energy_per_image_is_unavailable_when_workers_run_elsewhere(monkeypatch):
    import json

    from bench.cell.scenarios.distributed import _remote_workers_energy

    measured = {"energy_j": 12.0, "train_j_per_img": 0.1}
    local = {"cluster": {"worker": ["127.0.0.1:1", "localhost:2"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(local))
    assert _remote_workers_energy(measured) == {}
    spread = {"cluster": {"worker": ["127.0.0.1:1", "10.0.0.7:2"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(spread))
    why = _remote_workers_energy(measured)
    assert set(why) == {"train_j_per_img", "train_img_per_kwh"} and "10.0.0.7:2" in why["train_j_per_img"]
    assert _remote_workers_energy({}) == {}
