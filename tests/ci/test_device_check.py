"""The GPU check a lent machine runs (.ci/device-check, the gpu-check preset, requirements-device.txt),
tested here without a GPU: the preset's cells, its CPU variant end to end, the refusal to run GPU
cells on the CPU, and the carried wheels against what the machine already has."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import subprocess
import sys
import tarfile
from importlib.metadata import requires
from pathlib import Path
from types import ModuleType

import pytest

from bench.config.matrix import Machine, expand, load_matrix
from bench.results.shared import read_shared
from models.registry import SEED_PAIRS
from tests.conftest import REPO, need_backend

SCRIPT = REPO / ".ci" / "device-check"
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
H200 = Machine(16, gpus=1, backends=("torch", "jax"), backend_gpus={"torch": 1, "jax": 1})


def _helper() -> ModuleType:
    """.ci/device_check.py as a module (.ci is no package)."""
    spec = importlib.util.spec_from_file_location("device_check", REPO / ".ci" / "device_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins(path: Path) -> dict[str, str]:
    """name -> pinned version of a requirements file's lines (comments and -r lines skipped)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, sep, ver = line.partition("==")
            exact = sep and re.fullmatch(r"[0-9][0-9A-Za-z.+]*", ver)
            assert exact, f"{path.name}: {line!r} is not an exact pin"
            pins[_norm(name.split("[")[0])] = ver
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _present() -> set[str]:
    lines = (REPO / ".ci" / "device-present.txt").read_text().splitlines()
    return {_norm(x) for x in lines if x.strip() and not x.startswith("#")}


def test_gpu_check_preset_is_the_seed_pairs_on_gpu0_with_torch_and_jax_in_three_precisions():
    planned = expand(load_matrix("gpu-check"), H200)
    assert all(p.skip_reason is None for p in planned), [p.skip_reason for p in planned]
    cells = [p.cell for p in planned]
    assert {(c.device, c.pipeline) for c in cells} == {("gpu:0", "numpy")}
    assert all(c.jit_compile == (c.backend == "jax") for c in cells)
    largest = [c for c in cells if c.batch_size == "max"]
    assert sorted((c.model, c.backend, c.precision) for c in largest) == [
        ("cifar_cnn", "torch", "float32"), ("mnist_cnn", "torch", "float32")]
    cells = [c for c in cells if c.batch_size != "max"]
    assert {c.batch_size for c in cells} == {32}
    synthetic = [c for c in cells if c.stands_for]
    pairs = [f"{d}/{m}" for d, m in SEED_PAIRS]
    assert sorted((f"{c.stands_for}/{c.model}", c.backend, c.precision) for c in synthetic) == sorted(
        itertools.product(pairs, ("torch", "jax"), PRECISIONS))
    assert all(c.mode == "throughput" for c in synthetic)
    (real,) = [c for c in cells if not c.stands_for]
    assert (real.dataset, real.model, real.mode, real.epochs) == ("mnist", "mnist_cnn", "train", 2)
    assert cells[-1].model == "densenet121"  # the slow compiles last: the time budget cuts them first


def test_gpu_check_cells_are_skipped_not_run_on_a_machine_without_gpus():
    planned = expand(load_matrix("gpu-check"), Machine(2, backends=("torch", "jax")))
    assert all("gpu:0 requested but" in (p.skip_reason or "") for p in planned)


def test_cpu_variant_moves_the_chosen_cells_to_the_cpu_and_shrinks_them(tmp_path):
    dc = _helper()
    cells = dc.cpu_cells({})
    assert {c.device for c in cells} == {"cpu"}
    assert sorted((c.backend, c.mode) for c in cells) == [
        ("jax", "throughput"), ("torch", "throughput"), ("torch", "train")]
    assert all(c.steps == 3 and c.warmup_steps == 1 for c in cells if c.mode == "throughput")
    assert [c.epochs for c in cells if c.mode == "train"] == [1]
    one = dc.cpu_cells({"DEVICE_CHECK_PAIRS": "galaxy10/densenet121", "DEVICE_CHECK_BACKENDS": "torch",
                        "DEVICE_CHECK_PRECISIONS": "mixed_bfloat16"})
    assert [(c.model, c.precision, c.device) for c in one] == [("densenet121", "mixed_bfloat16", "cpu")]
    with pytest.raises(SystemExit, match="no gpu-check cell matches"):
        dc.cpu_cells({"DEVICE_CHECK_PAIRS": "mnist/densenet121"})
    path = tmp_path / "m.toml"
    assert dc.write_cpu_matrix(path, {}) == 3
    assert [p.cell for p in expand(load_matrix(str(path)), Machine(2))] == cells  # bench run reads it back


def test_verdict_flags_cells_that_did_not_run_ok_on_the_device():
    dc = _helper()
    ok = {"cell_id": "a", "status": "ok", "device": "gpu:0"}
    assert dc.problems([ok], "gpu:0") == []
    assert dc.problems([], "gpu:0") == ["the run wrote no records"]
    skipped = {"cell_id": "b", "status": "skipped", "device": "gpu:0", "reason": "gpu:0 requested but"}
    assert dc.problems([ok, skipped], "gpu:0") == ["b: skipped: gpu:0 requested but"]
    assert dc.problems([ok], "cpu") == ["a: ran on gpu:0, not cpu"]
    assert dc.problems([ok], "gpu:0", ["a", "c"]) == ["c: not run (the time budget ran out first)"]


def test_device_requirements_are_exact_pins_of_what_the_machine_lacks():
    device, base = _pins(REPO / "requirements-device.txt"), _pins(REPO / "requirements-base.txt")
    present = _present()
    assert "torch" in present and "jax" in present and "keras" not in present  # the list is the machine's
    assert not set(device) & present, "carried wheels must not replace the machine's own packages"
    assert device["keras"] == base["keras"] and device["isal"] == base["isal"]
    missing = [p for p in base if p not in present and p not in device]
    assert not missing, f"requirements-base.txt packages neither on the machine nor carried: {missing}"
    for carried in device:  # each carried wheel's needs (e.g. optree: typing-extensions) are there or carried
        needs = {_norm(re.split(r"[ ;<>=!~\[]", r)[0]) for r in requires(carried) or [] if "extra" not in r}
        assert needs <= present | set(device), f"{carried} needs {needs - present - set(device)}"


def test_gpu_mode_fails_loudly_without_a_gpu(tmp_path):
    need_backend("torch")
    env = {**os.environ, "OUT": str(tmp_path / "out"), "CUDA_VISIBLE_DEVICES": "", "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "PyTorch sees no CUDA GPU" in proc.stderr + proc.stdout
    assert not (tmp_path / "out" / "results.jsonl").exists()


@pytest.mark.slow  # the whole script with a real cell, ~35 s
def test_cpu_mode_runs_a_gpu_check_cell_end_to_end_without_tensorflow(tmp_path):
    need_backend("torch")
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "DEVICE_CHECK_BACKENDS": "torch",
           "DEVICE_CHECK_MODES": "throughput"}
    proc = subprocess.run(["bash", str(SCRIPT), "--cpu"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert {p.name for p in out.iterdir()} == {  # 9 files: all a lent machine's $OUT gives back
        "results.jsonl", "report.html", "summary.md", "env.json", "bench-env.json", "figures.md",
        "run.tar.gz", "device-check.log", "machine.json.gz"}
    (record,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    shared = read_shared(out / "machine.json.gz")  # ready to join results/machines: it validates
    assert [r["cell_id"] for r in shared.records] == [record["cell_id"]]
    assert "| mnist / mnist_cnn | torch | float32 | 32 |" in (out / "figures.md").read_text()
    assert record["status"] == "ok", record.get("reason")
    assert (record["device"], record["backend"], record["input_feed"]) == ("cpu", "torch", "numpy")
    assert record["model"] == "mnist_cnn" and record["train_img_s"] > 0 and record["infer_img_s"] > 0
    assert record["tf_version"] is None  # TensorFlow hidden, as on the lent machine
    assert json.loads((out / "bench-env.json").read_text())["tf_version"] is None
    with tarfile.open(out / "run.tar.gz") as tar:
        assert "run/results.jsonl" in tar.getnames()
    assert "0 problem(s)" in (out / "device-check.log").read_text()


def test_figures_table_gives_each_gpu_cell_its_speed_over_the_cpu_reference():
    dc = _helper()
    cell = {"status": "ok", "mode": "throughput", "stands_for": "mnist", "model": "mnist_cnn",
            "batch_size": 32}
    gpu = [{**cell, "backend": "torch", "precision": "mixed_bfloat16", "train_img_s": 24000.0,
            "infer_img_s": 90000.0, "gpu_peak_mb": 312.5, "train_j_per_img": 0.0125},
           {**cell, "backend": "jax", "precision": "float32", "status": "failed", "train_img_s": 1.0},
           {**cell, "model": "cifar_cnn", "stands_for": "cifar10", "backend": "jax", "precision": "float32",
            "train_img_s": 5000.0, "infer_img_s": 9000.0},
           {"status": "ok", "mode": "train", "dataset": "mnist", "model": "mnist_cnn", "backend": "torch",
            "precision": "float32", "epochs_run": 2, "test_accuracy": 0.97}]
    cpu = [{**cell, "backend": "tensorflow", "precision": "float32", "train_img_s": 4800.0},
           {**cell, "backend": "torch", "precision": "float32", "train_img_s": 1200.0}]
    lines = dc.figures(gpu, cpu).splitlines()
    torch_bf16 = "| mnist / mnist_cnn | torch | mixed_bfloat16 | 32 | 24,000 | 90,000 | 312 | 0.0125 | 5 |"
    assert lines[2] == torch_bf16  # 24,000 / the CPU's TensorFlow float32 4,800 (not its torch cell)
    no_cpu_cell = "| cifar10 / cifar_cnn | jax | float32 | 32 | 5,000 | 9,000 |  |  |  |"
    assert lines[3] == no_cpu_cell
    assert len(lines) == 6 and "test accuracy 0.97" in lines[5]  # the failed cell is left out
