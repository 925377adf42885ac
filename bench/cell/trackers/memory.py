"""Memory of the cell's process: kernel peak RSS, a sampled RSS timeline, GPU peak (backend and NVML)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import psutil

from bench import importblock
from bench.cell.trackers.measured import Measured

MAX_TIMELINE_POINTS = 200


class MemoryTracker:
    """Samples this process's RSS every `interval_s` on a daemon thread (psutil; cheap)."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> MemoryTracker:
        self._thread.start()
        return self

    def _sample(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self._t0, proc.memory_info().rss / 2**20))
            self._stop.wait(self.interval_s)

    def stop(self) -> Measured:
        """Stop sampling; peak_rss_mb (from the OS) and the timeline (thinned to 200 points); where the OS
        keeps no peak, peak_rss_mb is None and unavailable says why."""
        self._stop.set()
        self._thread.join(timeout=2)
        step = max(1, len(self.samples) // MAX_TIMELINE_POINTS)
        timeline = [[round(t, 2), round(mb, 1)] for t, mb in self.samples[::step]]
        peak = peak_rss_mb()
        return Measured({"peak_rss_mb": peak, "rss_timeline_mb": timeline},
                        {"peak_rss_mb": NO_PEAK} if peak is None else {})


NO_PEAK = ("this OS keeps no peak RSS for the process (no /proc VmHWM, peak working set or getrusage); "
           "rss_timeline_mb has the sampled RSS")


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process per the OS, MiB: Linux's VmHWM (ru_maxrss survives execve, so
    a child would report a bigger parent's peak), Windows' peak working set (psutil), else ru_maxrss
    (bytes on macOS); None where none of them exists."""
    status = importblock.proc_text("self/status")
    for line in (status or "").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**10
    peak_wset = getattr(psutil.Process().memory_info(), "peak_wset", None)  # Windows only
    if peak_wset is not None:
        return peak_wset / 2**20
    try:
        import resource
    except ModuleNotFoundError:  # Windows (psutil answered above), or BENCH_SIMULATE=windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def gpu_memory(backend: Any, gpu: int | None) -> Measured:
    """GPU peak memory (the backend's allocator: bench.cell.backends.Backend) and NVML's in-use memory of
    GPU `gpu` (NVML index; None on a cpu cell), or why they are unavailable."""
    if gpu is None:
        why = "cpu cell: no GPU visible to this process"
        return Measured({}, {"gpu_peak_mb": why, "gpu_nvml_used_mb": why})
    fields: dict[str, Any] = {}
    unavailable: dict[str, str] = {}
    try:
        fields["gpu_peak_mb"] = backend.gpu_peak_mb()
    except Exception as exc:  # each backend raises its own types (ValueError, RuntimeError, ...)
        unavailable["gpu_peak_mb"] = f"{backend.gpu_peak_source} failed: {exc}"
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(gpu)
        fields["gpu_nvml_used_mb"] = pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20
        pynvml.nvmlShutdown()
    except Exception as exc:  # pynvml raises NVMLError subclasses, or ImportError/OSError without a driver
        unavailable["gpu_nvml_used_mb"] = f"NVML unavailable: {exc}"
    return Measured(fields, unavailable)
