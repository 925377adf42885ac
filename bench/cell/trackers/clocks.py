"""Clocks during the timed window: the CPU frequency (Linux cpufreq in /sys, else psutil) and, on GPU
cells, each GPU's SM clock, temperature and throttle reasons (NVML), sampled on a daemon thread. A cell
whose clock fell by more than FALL during timing, or whose GPU reported a thermal/power slowdown, is
marked ``throttled`` with the reason; where the machine exposes no frequency (VMs) ``unavailable`` says
so instead of recording a figure that is not a measurement."""

from __future__ import annotations

import os
import statistics
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from bench.cell.trackers.energy import nvml_init
from bench.cell.trackers.measured import Measured

POLL_S = 0.25
FALL = 0.10  # a clock whose lowest sample is this far below its highest counts as throttled
CPUFREQ_ENV = "BENCH_CPUFREQ_ROOT"  # tests point this at a fake /sys/devices/system/cpu
# NVML clock-event (throttle) reason bits (nvml.h, nvmlClocksEventReason*) that mean the GPU slowed down;
# idle, application-clock and display settings are not throttling
NVML_SLOWDOWNS = {0x4: "sw_power_cap", 0x8: "hw_slowdown", 0x20: "sw_thermal_slowdown",
                  0x40: "hw_thermal_slowdown", 0x80: "hw_power_brake_slowdown"}
NVML_CLOCK_SM, NVML_TEMPERATURE_GPU = 1, 0


def cpu_mhz_reader(root: Path | None = None) -> tuple[Callable[[], float] | None, str | None]:
    """A function reading the mean current CPU clock (MHz), or why none can be read here."""
    if sys.platform.startswith("linux"):
        root = root or Path(os.environ.get(CPUFREQ_ENV, "/sys/devices/system/cpu"))
        files = sorted(root.glob("cpu[0-9]*/cpufreq/scaling_cur_freq"))
        if not files:
            return None, (f"no CPU frequency exposed: {root}/cpu*/cpufreq is absent (a VM, or no cpufreq "
                          "driver); /proc/cpuinfo's MHz there is a fixed figure, not a measurement")
        return lambda: statistics.fmean(int(f.read_text(encoding="utf-8")) / 1000 for f in files), None
    import psutil

    freq = psutil.cpu_freq()
    if freq is None or not freq.current:
        return None, "no CPU frequency exposed (psutil.cpu_freq gives none here)"
    return lambda: float(psutil.cpu_freq().current), None


class NvmlClocks:
    """SM clock (MHz), temperature (C) and slowdown reasons of one GPU, through pynvml."""

    def __init__(self, nvml: Any, index: int) -> None:
        self.nvml, self.index = nvml, index
        self.handle = nvml.nvmlDeviceGetHandleByIndex(index)
        self.sm_mhz: list[float] = []
        self.temp_c: list[float] = []
        self.reasons: set[str] = set()

    def sample(self) -> None:
        self.sm_mhz.append(float(self.nvml.nvmlDeviceGetClockInfo(self.handle, NVML_CLOCK_SM)))
        self.temp_c.append(float(self.nvml.nvmlDeviceGetTemperature(self.handle, NVML_TEMPERATURE_GPU)))
        mask = int(self.nvml.nvmlDeviceGetCurrentClocksThrottleReasons(self.handle))
        self.reasons |= {name for bit, name in NVML_SLOWDOWNS.items() if mask & bit}


def nvml_clocks(gpus: list[int]) -> tuple[list[NvmlClocks], Any, str | None]:
    """Clock readers for the cell's GPUs, the pynvml module (to shut down), or why there are none."""
    if not gpus:
        return [], None, None
    pynvml, why = nvml_init()
    if pynvml is None:
        return [], None, why
    try:
        return [NvmlClocks(pynvml, i) for i in gpus], pynvml, None
    except pynvml.NVMLError as exc:
        pynvml.nvmlShutdown()
        return [], None, f"NVML unavailable: {exc}"


class ClockSampler:
    """Samples the CPU clock and the GPUs' clocks from start() to stop() (and once at each end)."""

    def __init__(self, cpu: Callable[[], float] | None, gpus: list[NvmlClocks], unavailable: dict[str, str],
                 nvml: Any = None, poll_s: float = POLL_S) -> None:
        self.cpu, self.gpus, self.nvml, self.poll_s = cpu, gpus, nvml, poll_s
        self.cpu_mhz: list[float] = []
        self.unavailable = dict(unavailable)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.started = False

    @classmethod
    def for_gpus(cls, gpus: list[int]) -> ClockSampler:
        """A sampler of the CPU clock and these GPUs' clocks (NVML indices), and why any is absent."""
        cpu, cpu_why = cpu_mhz_reader()
        readers, nvml, gpu_why = nvml_clocks(gpus)
        why = {k: v for k, v in (("cpu_mhz", cpu_why), ("gpu_sm_mhz", gpu_why)) if v}
        return cls(cpu, readers, why, nvml)

    def sample(self) -> None:
        """One reading of every clock; a reader that fails is dropped with its error as the reason."""
        if self.cpu is not None:
            try:
                self.cpu_mhz.append(self.cpu())
            except (OSError, ValueError) as exc:
                self.cpu, self.unavailable["cpu_mhz"] = None, f"CPU clock read failed mid-run: {exc}"
        for gpu in list(self.gpus):
            try:
                gpu.sample()
            except Exception as exc:  # NVMLError from the driver
                self.gpus.remove(gpu)
                self.unavailable["gpu_sm_mhz"] = f"gpu:{gpu.index} clocks failed mid-run: {exc}"

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.sample()

    def start(self) -> None:
        self.started = True
        self.sample()
        if self.cpu is not None or self.gpus:
            self._thread.start()

    def stop(self) -> dict[str, Any]:
        """End sampling; the record fields (see fields())."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)
        if self.started:
            self.sample()
        if self.nvml is not None:
            self.nvml.nvmlShutdown()
            self.nvml = None
        return self.fields()

    def fields(self) -> dict[str, Any]:
        """cpu_mhz*, gpu_sm_mhz*, gpu_temp_c_max, gpu_throttle_reasons, throttled, throttle_reason."""
        out: dict[str, Any] = {}
        reasons = []
        if self.cpu_mhz:
            out |= _range("cpu_mhz", self.cpu_mhz)
            reasons += _fell("CPU", self.cpu_mhz)
        sm = [v for g in self.gpus for v in g.sm_mhz]
        if sm:
            out |= _range("gpu_sm_mhz", sm)
            out["gpu_temp_c_max"] = max(v for g in self.gpus for v in g.temp_c)
            seen = sorted({r for g in self.gpus for r in g.reasons})
            out["gpu_throttle_reasons"] = seen
            reasons += [f"gpu:{g.index} {why}" for g in self.gpus for why in _fell("SM", g.sm_mhz)]
            reasons += [f"NVML reports {', '.join(seen)}"] if seen else []
        measured = bool(self.cpu_mhz or sm)
        out["throttled"] = bool(reasons) if measured else None
        out["throttle_reason"] = "; ".join(reasons) or None
        return out


def _range(prefix: str, values: list[float]) -> dict[str, float]:
    return {prefix: statistics.median(values), f"{prefix}_min": min(values), f"{prefix}_max": max(values)}


def _fell(what: str, values: list[float]) -> list[str]:
    """["<what> clock fell N% ..."] when the lowest sample is more than FALL below the highest."""
    hi, lo = max(values), min(values)
    if hi <= 0 or lo >= hi * (1 - FALL):
        return []
    return [f"{what} clock fell {1 - lo / hi:.0%} during timing ({hi:,.0f} -> {lo:,.0f} MHz)"]


class ClockCallback(keras.callbacks.Callback):
    """Starts a ClockSampler when training batch `start_batch` (over all epochs) begins; stops at the end."""

    def __init__(self, sampler: ClockSampler, start_batch: int = 0) -> None:
        super().__init__()
        self.sampler, self.start_batch, self._seen = sampler, start_batch, 0
        self.fields: dict[str, Any] = {}

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._seen == self.start_batch and not self.sampler.started:
            self.sampler.start()
        self._seen += 1

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.fields = self.sampler.stop()

    def measured(self) -> Measured:
        """The clock fields of the timed window, and why any clock could not be read."""
        return Measured(self.fields, dict(self.sampler.unavailable))


def clock_callback(gpus: list[int], start_batch: int = 0) -> ClockCallback:
    """The callback to add to the timed model.fit: the CPU clock and these GPUs' clocks."""
    return ClockCallback(ClockSampler.for_gpus(gpus), start_batch)
