"""bench.cell.trackers.clocks: CPU clocks from a fake cpufreq tree, GPU clocks through a fake pynvml, the
throttled verdict, and the reason recorded where no clock is exposed."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from bench.cell.trackers import clocks
from bench.cell.trackers.clocks import ClockSampler, cpu_mhz_reader, nvml_clocks

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="cpufreq is Linux's")


def fake_cpufreq(root: Path, khz: list[int]) -> Path:
    for i, v in enumerate(khz):
        d = root / f"cpu{i}" / "cpufreq"
        d.mkdir(parents=True, exist_ok=True)
        (d / "scaling_cur_freq").write_text(f"{v}\n")
    return root


@linux
def test_cpu_clock_is_the_mean_over_cores(tmp_path):
    read, why = cpu_mhz_reader(fake_cpufreq(tmp_path, [3_000_000, 2_000_000]))
    assert why is None and read() == pytest.approx(2_500.0)


@linux
def test_no_cpufreq_is_unavailable_with_the_reason(tmp_path):
    read, why = cpu_mhz_reader(tmp_path)
    assert read is None and "no CPU frequency exposed" in why and "not a measurement" in why


def test_a_clock_that_falls_more_than_ten_percent_is_throttled():
    values = iter([3_000.0, 2_950.0, 2_400.0, 2_500.0])
    sampler = ClockSampler(lambda: next(values), [], {}, poll_s=3600)
    sampler.start()
    sampler.sample()
    sampler.sample()
    fields = sampler.stop()
    assert fields["throttled"] is True and "CPU clock fell 20%" in fields["throttle_reason"]
    assert (fields["cpu_mhz_min"], fields["cpu_mhz_max"]) == (2_400.0, 3_000.0)


def test_a_steady_clock_is_not_throttled():
    sampler = ClockSampler(lambda: 2_100.0, [], {}, poll_s=3600)
    sampler.start()
    fields = sampler.stop()
    assert fields["throttled"] is False and fields["throttle_reason"] is None and fields["cpu_mhz"] == 2_100.0


def test_nothing_readable_gives_null_not_false():
    sampler = ClockSampler(None, [], {"cpu_mhz": "no CPU frequency exposed"}, poll_s=3600)
    sampler.start()
    fields = sampler.stop()
    assert fields["throttled"] is None and sampler.unavailable == {"cpu_mhz": "no CPU frequency exposed"}


class NVMLError(Exception):
    pass


def fake_pynvml(sm_mhz: list[int], temp_c: list[int], reasons: list[int]) -> types.ModuleType:
    """A pynvml stand-in whose SM clock, temperature and throttle-reason mask return the values in turn."""
    nvml = types.ModuleType("pynvml")
    nvml.NVMLError = NVMLError
    nvml.calls = []
    nvml.nvmlInit = lambda: nvml.calls.append("init")
    nvml.nvmlShutdown = lambda: nvml.calls.append("shutdown")
    nvml.nvmlDeviceGetHandleByIndex = lambda i: f"handle{i}"
    nvml.nvmlDeviceGetClockInfo = lambda h, kind: sm_mhz.pop(0) if kind == clocks.NVML_CLOCK_SM else -1
    nvml.nvmlDeviceGetTemperature = lambda h, kind: temp_c.pop(0)
    nvml.nvmlDeviceGetCurrentClocksThrottleReasons = lambda h: reasons.pop(0)
    return nvml


def test_gpu_thermal_slowdown_is_recorded_and_throttled(monkeypatch):
    nvml = fake_pynvml([1_980, 1_500], [70, 88], [0x1, 0x40 | 0x4])  # idle bit alone is not throttling
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    gpus, module, why = nvml_clocks([0])
    assert why is None and module is nvml
    sampler = ClockSampler(None, gpus, {}, module, poll_s=3600)
    sampler.start()
    fields = sampler.stop()
    assert fields["gpu_sm_mhz_max"] == 1_980 and fields["gpu_sm_mhz_min"] == 1_500
    assert fields["gpu_temp_c_max"] == 88
    assert fields["gpu_throttle_reasons"] == ["hw_thermal_slowdown", "sw_power_cap"]
    assert fields["throttled"] is True and "gpu:0 SM clock fell 24%" in fields["throttle_reason"]
    assert nvml.calls == ["init", "shutdown"]


def test_gpu_steady_and_idle_bit_is_not_throttled(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml([1_980, 1_950], [60, 61], [0x1, 0x2]))
    gpus, module, _ = nvml_clocks([0])
    sampler = ClockSampler(None, gpus, {}, module, poll_s=3600)
    sampler.start()
    fields = sampler.stop()
    assert fields["throttled"] is False and fields["gpu_throttle_reasons"] == []


def test_a_gpu_cell_without_nvml_says_why(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails
    sampler = ClockSampler.for_gpus([0])
    assert not sampler.gpus and sampler.unavailable["gpu_sm_mhz"].startswith("NVML unavailable")
