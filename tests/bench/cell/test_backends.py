"""Keras backends as a matrix axis: each backend runs real cells through the runner; torch runs with
TensorFlow blocked (BENCH_BLOCK_IMPORTS) on the numpy pipeline; the skip reasons; the GPU code paths with
fake torch/jax/pynvml modules (no GPU here); the models agree across backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from bench.cell import backends
from bench.cell.backends import jax as jax_backend
from bench.cell.backends import torch as torch_backend
from bench.cell.child import tf_version
from bench.cell.trackers import memory
from bench.config.cell import Cell
from bench.config.environment import child_env
from bench.config.matrix import Machine, expand, parse_matrix
from bench.importblock import installed
from bench.launch.runner import machine_of
from tests.bench.conftest import REPO, bench, records
from tests.conftest import need_backend

CELL_MATRIX = """
name = "{name}"
[axes]
pairs = ["digits/cifar_cnn"]
backend = {backends}
pipeline = {pipelines}
mode = {modes}
threads = 1
timeout_s = 300
{extra}
[throughput]
warmup_steps = 1
steps = 3
repeats = 3
min_time_s = 0.2
[train]
epochs = 2
"""


def _run(tmp: Path, name: str, backends_: list[str], pipelines: list[str], modes: list[str], extra: str = "",
         env: dict[str, str] | None = None) -> tuple[Path, subprocess.CompletedProcess]:
    """Run a tiny digits/cifar_cnn matrix through `python -m bench run`; its folder and process."""
    matrix = tmp / f"{name}.toml"
    lists = {"backends": backends_, "pipelines": pipelines, "modes": modes}
    text = CELL_MATRIX.format(name=name, extra=extra, **{k: json.dumps(v) for k, v in lists.items()})
    matrix.write_text(text)
    out = tmp / "run"
    env = {"BENCH_DATA_DIR": str(tmp / "data"), "BENCH_RESULTS_DIR": str(tmp), **(env or {})}
    return out, bench("run", "--matrix", str(matrix), "--out", str(out), env=env)


@pytest.fixture(scope="module")
def all_backends_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """tensorflow and torch throughput, jax throughput and train (with jit_compile: op-by-op JAX takes a
    minute), tf.data feeding all three (torch trains in the TensorFlow-blocked run)."""
    for module in ("tensorflow", "jax", "torch"):
        need_backend(module)
    extra = '[[include]]\nbackend = "jax"\njit_compile = true\nmode = ["throughput", "train"]'
    return _run(tmp_path_factory.mktemp("backends"), "backends", ["tensorflow", "torch"], ["memory"],
                ["throughput"], extra=extra)


@pytest.fixture(scope="module")
def torch_without_tf_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path,
                                                                          subprocess.CompletedProcess]:
    """torch with TensorFlow blocked: numpy-pipeline cells run, tf.data and tensorflow cells are skipped."""
    need_backend("torch")
    return _run(tmp_path_factory.mktemp("notf"), "notf", ["torch", "tensorflow"], ["numpy", "memory"],
                ["throughput", "train"], env={"BENCH_BLOCK_IMPORTS": "tensorflow"})


def _package_version(backend: str) -> str:
    return version("tensorflow-cpu" if backend == "tensorflow" and not _has("tensorflow") else backend)


def _has(dist: str) -> bool:
    try:
        version(dist)
    except Exception:
        return False
    return True


@pytest.mark.skipif(not os.environ.get("BENCH_EXPECT_NO_TF"), reason="only in tox -e notf")
def test_tensorflow_is_really_absent_here():
    assert not installed("tensorflow") and installed("torch")
    with pytest.raises(ModuleNotFoundError):
        import tensorflow  # noqa: F401


@pytest.mark.slow  # a run of four cells on three backends, ~90 s here; CI runs it with the slow tests
def test_every_backend_runs_throughput_and_train_cells(all_backends_run):
    out, proc = all_backends_run
    assert proc.returncode == 0, proc.stderr
    recs = records(out)
    assert sorted((r["backend"], r["mode"]) for r in recs) == [
        ("jax", "throughput"), ("jax", "train"), ("tensorflow", "throughput"), ("torch", "throughput")]
    for r in recs:
        assert r["status"] == "ok", (r["cell_id"], r["reason"], r.get("log_tail"))
        assert r["backend_version"] == _package_version(r["backend"])
        assert r["jit_compile"] == (r["backend"] == "jax")
        assert r["input_feed"] == "tf.data" and r["tf_version"]  # tf.data imported TensorFlow
        if r["mode"] == "throughput":
            assert r["train_img_s"] > 0 and r["infer_img_s"] > 0 and r["cached_train_img_s"] > 0
        else:
            assert 0 <= r["test_accuracy"] <= 1 and r["epochs_run"] == 2
    assert len({(r["params"], r["forward_flops_per_image"]) for r in recs}) == 1  # one model, any backend
    assert {r["cell_id"] for r in recs if r["backend"] == "tensorflow"} == {
        Cell.from_dict(r).cell_id for r in recs if r["backend"] == "tensorflow"}


def test_torch_without_tensorflow_runs_on_the_numpy_pipeline(torch_without_tf_run):
    out, proc = torch_without_tf_run
    assert proc.returncode == 0, proc.stderr
    env = json.loads((out / "env.json").read_text())
    assert env["tf_version"] is None and "not installed" in env["tf_unavailable"]
    assert env["packages"]["tensorflow-cpu"] is None and env["packages"]["torch"]
    assert env["peak_source"]["cpu"] == "torch" and env["peak_gflop_s"]["cpu"] > 0
    assert env["backend_gpus"]["torch"] == 0 and "tensorflow" not in env["backend_gpus"]
    by_key = {(r["backend"], r["pipeline"], r["mode"]): r for r in records(out)}
    assert len(by_key) == 8
    for mode in ("throughput", "train"):
        r = by_key[("torch", "numpy", mode)]
        assert r["status"] == "ok", (r["reason"], r.get("log_tail"))
        assert r["input_feed"] == "numpy" and r["backend_version"] == version("torch")
        assert r["tf_version"] is None and "not imported" in r["unavailable"]["tf_version"]
        assert r["peak_gflop_s"] == env["peak_gflop_s"]["cpu"]
        tf_data = by_key[("torch", "memory", mode)]
        assert tf_data["status"] == "skipped" and 'pipeline = "numpy"' in tf_data["reason"]
        for pipeline in ("numpy", "memory"):
            tf_cell = by_key[("tensorflow", pipeline, mode)]
            assert tf_cell["status"] == "skipped"
            assert "backend tensorflow is not installed" in tf_cell["reason"]
    assert by_key[("torch", "numpy", "train")]["test_accuracy"] > 0


@pytest.mark.parametrize(("axes", "machine", "needle"), [
    ({"backend": "torch"}, Machine(2, backends=("torch",)),
     'pipeline memory is a tf.data pipeline and TensorFlow is not installed here; use pipeline = "numpy"'),
    ({"backend": "torch", "pipeline": "stream"}, Machine(2, backends=("torch",)), 'use pipeline = "numpy"'),
    ({"pipeline": "numpy"}, Machine(2, backends=("torch",)), "python -m pip install -r requirements.txt"),
    ({"backend": "jax", "inter_threads": 2}, Machine(2, backends=("jax", "tensorflow")),
     "jax has no inter-op thread"),
    ({"backend": "jax", "threads": 4, "oversubscribe": True, "pipeline": "numpy"},
     Machine(2, backends=("jax",)), "pin the process"),
    ({"device": "gpu:0"}, Machine(2, gpus=1, backend_gpus={"tensorflow": 0, "torch": 1}),
     "TensorFlow sees 0"),
    ({"backend": "jax", "device": "gpu:0", "pipeline": "numpy"},
     Machine(2, gpus=1, backends=("jax",), backend_gpus={"jax": 0}), "JAX sees 0"),
])
def test_backend_skip_reasons(axes, machine, needle):
    spec = parse_matrix({"axes": {"pairs": ["digits/mnist_cnn"], **axes}}, source="m.toml", default_name="m")
    (planned,) = expand(spec, machine)
    assert needle in (planned.skip_reason or "")


@pytest.mark.parametrize(("axes", "machine"), [
    ({"backend": "torch", "pipeline": "numpy"}, Machine(2, backends=("torch",))),
    ({"backend": "torch", "device": "gpu:0"}, Machine(2, gpus=1, backends=("tensorflow", "torch"),
                                                      backend_gpus={"tensorflow": 0, "torch": 1})),
    ({"backend": "jax", "threads": 1}, Machine(2, backends=("jax", "tensorflow"))),
])
def test_cells_the_backend_can_run_are_not_skipped(axes, machine):
    spec = parse_matrix({"axes": {"pairs": ["digits/mnist_cnn"], **axes}}, source="m.toml", default_name="m")
    (planned,) = expand(spec, machine)
    assert planned.skip_reason is None


def test_machine_of_counts_each_backends_gpus():
    env = {"logical_cores": 8, "packages": {"torch": "2.13.0", "keras": "3.15.1"}, "tf_gpus": [],
           "backend_gpus": {"torch": 1}, "gpu_count": 1}
    machine = machine_of(env)
    assert machine.backends == ("torch",) and machine.gpus == 1 and machine.backend_gpus == {"torch": 1}
    old = machine_of({"logical_cores": 2, "tf_gpus": [{"device": "gpu:0"}]})  # env.json before backends
    assert old.gpus == 1 and old.backend_gpus == {"tensorflow": 1} and old.backends == ("tensorflow",)


def test_child_env_sets_the_backend_and_jax_platform():
    cpu = child_env(Cell("d", "m", backend="jax"), {"CUDA_VISIBLE_DEVICES": "0"})
    assert (cpu["KERAS_BACKEND"], cpu["JAX_PLATFORMS"], cpu["CUDA_VISIBLE_DEVICES"]) == ("jax", "cpu", "-1")
    gpu = child_env(Cell("d", "m", backend="torch", device="gpu:1"), {})
    assert (gpu["KERAS_BACKEND"], gpu["JAX_PLATFORMS"], gpu["CUDA_VISIBLE_DEVICES"]) == ("torch", "cuda", "1")


def _fake_torch(cuda: bool, calls: list[Any]) -> types.ModuleType:
    """A stand-in torch module: CUDA present or not, recording the thread calls."""
    torch = types.ModuleType("torch")
    torch.__version__ = "9.9.9+fake"
    torch.version = types.SimpleNamespace(cuda="12.8" if cuda else None)
    torch.set_num_threads = lambda n: calls.append(("threads", n))
    torch.set_num_interop_threads = lambda n: calls.append(("inter", n))
    torch.cuda = types.SimpleNamespace(
        is_available=lambda: cuda, device_count=lambda: int(cuda), get_device_name=lambda i: "Fake GPU",
        max_memory_allocated=lambda i: 3 * 2**20)
    return torch


def test_torch_threads_and_gpu_checks_with_a_fake_torch(monkeypatch):
    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(cuda=True, calls=calls))
    b = torch_backend.start(Cell("d", "m", backend="torch", device="gpu:0", threads=3, inter_threads=2))
    assert calls == [("threads", 3), ("inter", 2)]
    assert (b.version, b.device_name, b.gpu_peak_mb()) == ("9.9.9+fake", "Fake GPU", 3.0)
    with pytest.raises(RuntimeError, match="cpu cell still sees a CUDA GPU"):
        torch_backend.start(Cell("d", "m", backend="torch"))
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(cuda=False, calls=calls))
    with pytest.raises(RuntimeError, match="gpu:0 is not visible to PyTorch .*CPU-only torch build"):
        torch_backend.start(Cell("d", "m", backend="torch", device="gpu:0"))


class _FakeJaxDevice:
    def __init__(self, platform: str, stats: dict[str, int] | None) -> None:
        self.platform, self.device_kind, self._stats = platform, "Fake H100", stats

    def memory_stats(self) -> dict[str, int] | None:
        return self._stats


def test_jax_gpu_checks_and_peak_with_a_fake_jax(monkeypatch):
    jax = types.ModuleType("jax")
    jax.__version__ = "0.0.fake"
    jax.devices = lambda: [_FakeJaxDevice("gpu", {"peak_bytes_in_use": 5 * 2**20})]
    monkeypatch.setitem(sys.modules, "jax", jax)
    b = jax_backend.start(Cell("d", "m", backend="jax", device="gpu:0"))
    assert (b.device_name, b.gpu_peak_mb()) == ("Fake H100", 5.0)
    with pytest.raises(RuntimeError, match="cpu cell but JAX runs on gpu"):
        jax_backend.start(Cell("d", "m", backend="jax"))
    jax.devices = lambda: [_FakeJaxDevice("gpu", None)]
    b = jax_backend.start(Cell("d", "m", backend="jax", device="gpu:0"))
    fields, why = memory.gpu_memory(b, 0)
    assert "gpu_peak_mb" not in fields and "peak_bytes_in_use" in why["gpu_peak_mb"]


def test_gpu_memory_of_any_backend_with_a_fake_nvml(monkeypatch):
    nvml = types.ModuleType("pynvml")
    nvml.nvmlInit = nvml.nvmlShutdown = lambda: None
    nvml.nvmlDeviceGetHandleByIndex = lambda i: i
    nvml.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=7 * 2**20)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    b = backends.Backend("torch", "x", "Fake GPU", lambda: 2.0, "torch.cuda.max_memory_allocated")
    assert memory.gpu_memory(b, 0) == ({"gpu_peak_mb": 2.0, "gpu_nvml_used_mb": 7.0}, {})


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="os.sched_setaffinity is Linux-only")
def test_pin_to_cores_restricts_this_process():
    before = os.sched_getaffinity(0)
    try:
        assert jax_backend.pin_to_cores(1) == os.sched_getaffinity(0) == {min(before)}
        with pytest.raises(RuntimeError, match="may run on 1 cores only"):
            jax_backend.pin_to_cores(2)
    finally:
        os.sched_setaffinity(0, before)


def test_tf_version_is_null_with_a_reason_when_tensorflow_was_not_imported(monkeypatch):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    why: dict[str, str] = {}
    assert tf_version(why) == {"tf_version": None} and "not imported" in why["tf_version"]
    monkeypatch.setitem(sys.modules, "tensorflow", types.SimpleNamespace(__version__="2.99"))
    assert tf_version({}) == {"tf_version": "2.99"}


MODEL_PROBE = """
import json, sys
import bench
from models.flops import forward_flops
from models.registry import MODELS
out = {}
for name, spec in MODELS.items():
    model = spec.build(spec.default_input, 10)
    out[name] = [int(model.count_params()), int(forward_flops(model))]
print(json.dumps(out))
"""


@pytest.mark.slow  # Keras import + every model's build per backend, ~45 s here (fast runs compare cifar_cnn)
def test_models_have_the_same_params_and_flops_on_every_backend():
    found = [b for b in ("tensorflow", "jax", "torch") if installed(b)]
    if len(found) < 2:
        pytest.skip(f"only {found} installed: nothing to compare")
    counts = {}
    for backend in found:
        proc = subprocess.run([sys.executable, "-c", MODEL_PROBE], cwd=REPO, capture_output=True, text=True,
                              env={**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
                                   "CUDA_VISIBLE_DEVICES": ""}, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        counts[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
    first = counts[found[0]]
    assert all(n > 0 for pair in first.values() for n in pair)
    for backend in found[1:]:
        assert counts[backend] == first, backend


def test_pipeline_command_in_numpy_mode_without_tensorflow(tmp_path):
    need_backend("torch")
    out = tmp_path / "p.json"
    env = {"BENCH_BLOCK_IMPORTS": "tensorflow", "BENCH_DATA_DIR": str(tmp_path / "data")}
    proc = bench("pipeline", "synthetic:16x16x3:4:200", "--mode", "numpy", "--json", str(out), env=env,
                 timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["pipeline"] == "numpy" and result["examples"] > 0 and result["pipeline_img_s"] > 0


def test_env_probe_counts_jax_gpus_without_preallocating_their_memory(monkeypatch):
    from bench import envinfo

    seen: dict[str, str | None] = {}

    def devices() -> list[_FakeJaxDevice]:
        seen["prealloc"] = os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE")
        return [_FakeJaxDevice("gpu", None), _FakeJaxDevice("gpu", None)]

    jax = types.ModuleType("jax")
    jax.devices = devices
    monkeypatch.setitem(sys.modules, "jax", jax)
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(cuda=True, calls=[]))
    monkeypatch.setenv("XLA_PYTHON_CLIENT_PREALLOCATE", "")  # recorded, so the setdefault is undone after
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE")
    got = envinfo.backend_gpus({"tf_version": None})
    assert got["backend_gpus"] == {"torch": 1, "jax": 2} and seen["prealloc"] == "false"
