"""bench.cell.trackers.energy: RAPL on a fake sysfs tree, NVML through a fake pynvml, the meter, the Keras
callback's window, the record fields, and real cells (no energy source on a machine without one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from bench.cell.trackers import energy
from bench.cell.trackers.energy import (
    EnergyCallback,
    EnergyMeter,
    NvmlCounter,
    NvmlPowerSampler,
    RaplPackage,
    Reading,
    energy_fields,
    nvml_sources,
    rapl_sources,
)
from tests.bench.conftest import REPO, records
from tests.conftest import need_backend


def fake_powercap(root: Path, domains: dict[str, tuple[str, int, int]]) -> Path:
    """A powercap tree: {dir name: (name, energy_uj, max_energy_range_uj)}, plus a subzone and mmio."""
    for folder, (name, uj, max_uj) in domains.items():
        d = root / folder
        d.mkdir(parents=True)
        (d / "name").write_text(name + "\n")
        (d / "energy_uj").write_text(f"{uj}\n")
        (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return root


def set_uj(root: Path, folder: str, uj: int) -> None:
    (root / folder / "energy_uj").write_text(f"{uj}\n")


def test_rapl_reads_top_level_package_domains_only(tmp_path):
    root = fake_powercap(tmp_path / "powercap", {
        "intel-rapl:0": ("package-0", 100, 10**9), "intel-rapl:1": ("package-1", 5, 10**9),
        "intel-rapl:0:0": ("core", 7, 10**9), "intel-rapl:2": ("psys", 9, 10**9),
    })
    sources, why = rapl_sources(root)
    assert why is None
    assert [s.name for s in sources] == ["rapl:package-0", "rapl:package-1"]
    sources[0].begin()
    set_uj(root, "intel-rapl:0", 2_500_100)
    assert sources[0].end() == pytest.approx(2.5)


def test_rapl_counter_wraparound_is_counted(tmp_path):
    root = fake_powercap(tmp_path, {"intel-rapl:0": ("package-0", 900, 1000)})
    package = RaplPackage(root / "intel-rapl:0")
    package.begin()
    set_uj(root, "intel-rapl:0", 100)  # wrapped: 900 -> 1000 -> 0 -> 100
    package.poll()
    set_uj(root, "intel-rapl:0", 300)
    assert package.end() == pytest.approx((100 + 1 + 100 + 200) / 1e6)


def test_rapl_root_comes_from_the_environment(tmp_path, monkeypatch):
    root = fake_powercap(tmp_path / "pc", {"intel-rapl:0": ("package-0", 1, 10)})
    monkeypatch.setenv(energy.POWERCAP_ENV, str(root))
    assert [s.name for s in rapl_sources()[0]] == ["rapl:package-0"]


def test_rapl_missing_or_empty_tree_is_unavailable_with_the_reason(tmp_path):
    sources, why = rapl_sources(tmp_path / "nope")
    assert sources == [] and why == f"RAPL unavailable: {tmp_path / 'nope'} does not exist (no powercap " \
        "interface on this machine)"
    fake_powercap(tmp_path / "pc", {"intel-rapl:0": ("psys", 1, 10)})
    assert rapl_sources(tmp_path / "pc") == ([], f"RAPL unavailable: no intel-rapl:N package domain under "
                                                 f"{tmp_path / 'pc'}")


def test_rapl_permission_denied_is_unavailable_with_the_reason(tmp_path, monkeypatch):
    root = fake_powercap(tmp_path, {"intel-rapl:0": ("package-0", 1, 10)})
    real = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if self.name == "energy_uj":  # root-only since the Platypus fix (CVE-2020-8694)
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    sources, why = rapl_sources(root)
    assert sources == []
    assert why.startswith(f"RAPL unavailable: {root / 'intel-rapl:0' / 'energy_uj'} is not readable "
                          "(PermissionError")


class NVMLError(Exception):
    """Stands in for pynvml.NVMLError."""


def fake_pynvml(energy_mj: list[int] | None, power_mw: list[int] | None = None) -> types.ModuleType:
    """A pynvml stand-in whose counters return the given readings in turn (None: not supported)."""
    nvml = types.ModuleType("pynvml")
    nvml.NVMLError = NVMLError
    nvml.calls = []

    def reader(values: list[int] | None, what: str):
        def read(handle: object) -> int:
            if values is None:
                raise NVMLError(f"{what}: Not Supported")
            return values.pop(0)
        return read

    nvml.nvmlInit = lambda: nvml.calls.append("init")
    nvml.nvmlShutdown = lambda: nvml.calls.append("shutdown")
    nvml.nvmlDeviceGetHandleByIndex = lambda i: f"handle{i}"
    nvml.nvmlDeviceGetTotalEnergyConsumption = reader(energy_mj, "energy")
    nvml.nvmlDeviceGetPowerUsage = reader(power_mw, "power")
    return nvml


def test_nvml_total_energy_counter(monkeypatch):
    nvml = fake_pynvml([5_000, 10_000, 25_500])  # probe, begin, end (mJ)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    sources, module, why = nvml_sources([1])
    assert why is None and module is nvml
    (gpu,) = sources
    assert isinstance(gpu, NvmlCounter) and gpu.name == "nvml:gpu:1" and gpu.method == "counter"
    gpu.begin()
    assert gpu.end() == pytest.approx(15.5)


def test_nvml_power_sampling_where_the_counter_is_missing(monkeypatch):
    nvml = fake_pynvml(None, [50_000, 100_000, 200_000, 200_000, 100_000])  # mW
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    clock = iter([0.0, 10.0, 11.0, 12.0, 13.0])
    monkeypatch.setattr(energy.time, "perf_counter", lambda: next(clock))
    (gpu,) = nvml_sources([0])[0]
    assert isinstance(gpu, NvmlPowerSampler) and gpu.method == "power sampling"
    gpu.begin()  # t=10 s, 100 W
    gpu.poll()  # t=11 s, 200 W
    gpu.poll()  # t=12 s, 200 W
    assert gpu.end() == pytest.approx(150 + 200 + 150)  # t=13 s, 100 W: trapezoid, joules


def test_no_nvml_or_a_cpu_cell_is_unavailable_with_the_reason(monkeypatch):
    assert nvml_sources([]) == ([], None, energy.CPU_CELL_NO_GPU)
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    sources, module, why = nvml_sources([0])
    assert sources == [] and module is None and why.startswith("NVML unavailable: ")
    broken = fake_pynvml([1])

    def no_driver() -> None:
        raise NVMLError("NVML Shared Library Not Found")

    broken.nvmlInit = no_driver
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    assert nvml_sources([0])[2] == "NVML unavailable: NVML Shared Library Not Found"


def test_meter_for_a_gpu_cell_sums_cpu_and_gpu_and_shuts_nvml_down(tmp_path, monkeypatch):
    root = fake_powercap(tmp_path, {"intel-rapl:0": ("package-0", 0, 10**12)})
    monkeypatch.setenv(energy.POWERCAP_ENV, str(root))
    nvml = fake_pynvml([0, 1_000, 4_000])
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    meter = EnergyMeter.for_gpus([0])
    meter.start()
    set_uj(root, "intel-rapl:0", 7_000_000)
    reading = meter.stop()
    assert reading.joules == pytest.approx({"rapl:package-0": 7.0, "nvml:gpu:0": 3.0})
    assert reading.unavailable == {} and reading.window_s > 0 and nvml.calls == ["init", "shutdown"]
    fields, why = energy_fields(reading, images=100)
    assert why == {}
    assert fields["energy_sources"] == ["rapl:package-0", "nvml:gpu:0"]
    assert fields["energy_method"] == {"rapl:package-0": "counter", "nvml:gpu:0": "counter"}
    assert (fields["cpu_energy_j"], fields["gpu_energy_j"]) == pytest.approx((7.0, 3.0))
    assert fields["energy_j"] == pytest.approx(10.0) and fields["train_j_per_img"] == pytest.approx(0.1)
    assert fields["train_img_per_kwh"] == pytest.approx(3.6e6 / 0.1)


def test_a_source_failing_mid_run_is_dropped_with_its_error(tmp_path):
    root = fake_powercap(tmp_path, {"intel-rapl:0": ("package-0", 0, 10**12)})
    meter = EnergyMeter(rapl_sources(root)[0], {"gpu_energy_j": "cpu cell"}, poll_s=60)
    meter.start()
    (root / "intel-rapl:0" / "energy_uj").unlink()
    reading = meter.stop()
    assert reading.joules == {}
    assert reading.unavailable["cpu_energy_j"].startswith("rapl:package-0 failed mid-run: ")
    fields, why = energy_fields(reading, 10)
    assert fields == {} and why["energy_j"].startswith("no energy source: cpu cell; rapl:package-0 failed")


def test_one_gpu_failing_leaves_no_partial_gpu_total_nor_per_image_figures(monkeypatch):
    nvml = fake_pynvml([0, 0, 0, 0, 2_000])  # probes and begins of gpu:0 and gpu:1, then gpu:0's end
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    sources, module, _ = nvml_sources([0, 1])
    meter = EnergyMeter(sources, {"cpu_energy_j": "RAPL unavailable: x"}, module, poll_s=60)
    meter.start()
    reading = meter.stop()  # gpu:1's end finds no reading left: the fake raises IndexError
    assert reading.joules == {"nvml:gpu:0": 2.0} and reading.failed[0].startswith("nvml:gpu:1: ")
    fields, why = energy_fields(reading, 10)
    assert fields["energy_sources"] == ["nvml:gpu:0"] and fields["energy_j"] == 2.0
    assert "gpu_energy_j" not in fields and why["gpu_energy_j"].startswith("nvml:gpu:1 failed mid-run")
    assert "train_j_per_img" not in fields and why["train_j_per_img"].startswith("a source failed mid-run")


def test_absent_sources_are_never_zero():
    reading = Reading(window_s=1.0, unavailable={"cpu_energy_j": "RAPL unavailable: x",
                                                 "gpu_energy_j": "cpu cell: no GPU"})
    fields, why = energy_fields(reading, 64)
    assert fields == {}
    assert why["cpu_energy_j"] == "RAPL unavailable: x"
    for key in ("energy_j", "train_j_per_img", "train_img_per_kwh"):
        assert why[key] == "no energy source: RAPL unavailable: x; cpu cell: no GPU"
    gpu_only = Reading(1.0, {"nvml:gpu:0": 2.0}, {"nvml:gpu:0": "gpu"}, {"nvml:gpu:0": "counter"},
                       {"cpu_energy_j": "RAPL unavailable: x"})
    fields, why = energy_fields(gpu_only, 4)
    assert "cpu_energy_j" not in fields and fields["gpu_energy_j"] == 2.0 and why == gpu_only.unavailable
    assert energy_fields(None, 4) == ({}, {"energy_j": "energy meter never started: training ended before "
                                                       "the metered batch"})


class Ticks:
    """A fake energy source worth 1 J per training step ended since begin()."""

    kind, method, name = "cpu", "counter", "ticks"

    def __init__(self) -> None:
        self.steps = self._at = 0

    def begin(self) -> None:
        self._at = self.steps

    def poll(self) -> None:
        pass

    def end(self) -> float:
        return float(self.steps - self._at)


def _fit(callback: EnergyCallback, ticks: Ticks, examples: int, batch: int, epochs: int) -> None:
    """Fit a tiny Keras model, counting steps into ticks."""
    import keras

    class Tick(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: object = None) -> None:
            ticks.steps += 1

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, y = np.zeros((examples, 3), "float32"), np.zeros((examples, 2), "float32")
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Tick(), callback])


def test_callback_meters_from_the_start_batch_to_train_end():
    ticks = Ticks()
    callback = EnergyCallback(EnergyMeter([ticks], {}, poll_s=60), start_batch=3)
    _fit(callback, ticks, examples=70, batch=10, epochs=1)  # 7 steps, metered from the 4th
    assert callback.reading.joules == {"ticks": 4.0}
    assert callback.batches_per_epoch == [4] and callback.images(10) == 40


def test_callback_over_the_whole_fit_caps_partial_last_batches():
    ticks = Ticks()
    callback = EnergyCallback(EnergyMeter([ticks], {}, poll_s=60))
    _fit(callback, ticks, examples=50, batch=16, epochs=2)  # 4 steps per epoch, the last of 2 images
    assert callback.reading.joules == {"ticks": 8.0}
    assert callback.batches_per_epoch == [4, 4] and callback.images(16, epoch_examples=50) == 100


CALLBACK_SCRIPT = """
import numpy as np, keras
from bench.cell.trackers.energy import EnergyCallback, EnergyMeter
cb = EnergyCallback(EnergyMeter([], {"cpu_energy_j": "none"}), start_batch=2)
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]); m.compile("sgd", "mse")
m.fit(np.zeros((40, 3), "float32"), np.zeros((40, 2), "float32"), batch_size=8, verbose=0, callbacks=[cb])
print(keras.backend.backend(), cb.batches_per_epoch, cb.reading.window_s > 0)
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_callback_on_other_keras_backends(backend):
    need_backend(backend)
    done = subprocess.run([sys.executable, "-c", CALLBACK_SCRIPT], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "KERAS_BACKEND": backend},
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == f"{backend} [3] True"


def _child(cell: dict, env: dict[str, str]) -> dict:
    """Run one cell through `python -m bench.cell.child` and return its record."""
    done = subprocess.run([sys.executable, "-m", "bench.cell.child", json.dumps(cell)], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


TINY = {"dataset": "digits", "model": "cifar_cnn", "threads": 1, "batch_size": 32, "warmup_steps": 1,
        "steps": 2, "repeats": 2, "min_time_s": 0.2}


def test_real_cell_reads_the_powercap_tree_it_is_pointed_at(tmp_path):
    pytest.importorskip("models.registry")
    root = fake_powercap(tmp_path, {"intel-rapl:0": ("package-0", 123, 10**12)})  # a counter that never moves
    rec = _child(TINY, {energy.POWERCAP_ENV: str(root)})
    assert rec["status"] == "ok", rec.get("reason")
    assert rec["energy_sources"] == ["rapl:package-0"]
    assert rec["energy_method"] == {"rapl:package-0": "counter"}
    assert rec["energy_j"] == rec["cpu_energy_j"] == 0 and rec["energy_window_s"] > 0
    assert "gpu_energy_j" not in rec and rec["unavailable"]["gpu_energy_j"] == energy.CPU_CELL_NO_GPU
    assert "train_j_per_img" not in rec and "0 J over the window" in rec["unavailable"]["train_j_per_img"]


def test_ci_cells_here_record_energy_or_why_not(ci_run):
    """The real ci cells (every mode): on a machine without readable RAPL (this VM: no
    /sys/class/powercap) and without a GPU, no energy field at all, only the reasons."""
    cpu, cpu_why = rapl_sources()
    for rec in records(ci_run["out"]):
        assert rec["status"] == "ok"
        assert rec["unavailable"]["gpu_energy_j"] == energy.CPU_CELL_NO_GPU and "gpu_energy_j" not in rec
        if cpu_why is not None:
            assert rec["unavailable"]["cpu_energy_j"] == cpu_why
            assert not {"energy_j", "cpu_energy_j", "train_j_per_img", "train_img_per_kwh"} & set(rec)
            assert rec["unavailable"]["train_img_per_kwh"] == f"no energy source: {cpu_why}; " \
                f"{energy.CPU_CELL_NO_GPU}"
        else:
            assert rec["energy_sources"] == [s.name for s in cpu] and rec["train_j_per_img"] > 0
    if cpu_why is not None:
        page = (ci_run["out"] / "report.html").read_text()
        assert "Training energy per image</b>: not drawn, no cell measured energy: " in page
        assert "No cell measured energy: no energy source: RAPL unavailable: " in page
