"""The jax backend of a cell: JAX pinned to `threads` cores (XLA's CPU client has no thread-count
setting, jax-ml/jax#1539, so pinning is its only honest thread knob), its device checked through
jax.devices."""

from __future__ import annotations

import os
from typing import Any

from bench.cell.backends.base import MB, Backend, cpu_name
from bench.config.cell import Cell


def start(cell: Cell) -> Backend:
    """Pin the process, import JAX; raises when JAX runs on another platform than the cell's device."""
    if cell.threads != "auto":
        pin_to_cores(int(cell.threads))
    import jax

    devices = jax.devices()  # JAX_PLATFORMS (cpu, or cuda for gpu cells) makes a missing GPU an error
    want = "cpu" if cell.device == "cpu" else "gpu"
    if devices[0].platform != want:
        raise RuntimeError(f"{cell.device} cell but JAX runs on {devices[0].platform} ({devices})")
    device = devices[0]
    name = str(device.device_kind) if want == "gpu" else cpu_name()
    return Backend("jax", jax.__version__, name, lambda: peak_mb(device),
                   "jax Device.memory_stats()['peak_bytes_in_use']")


def peak_mb(device: Any) -> float:
    """Peak bytes in use of a JAX device's allocator, MB."""
    stats = device.memory_stats()
    if not stats or "peak_bytes_in_use" not in stats:
        raise RuntimeError(f"{device.platform} device reports no peak_bytes_in_use")
    return stats["peak_bytes_in_use"] / MB


def pin_to_cores(n: int) -> set[int]:
    """Restrict this process (and the threads it will start) to the first n of its allowed cores."""
    allowed = sorted(os.sched_getaffinity(0))
    if n > len(allowed):
        raise RuntimeError(f"threads={n} but this process may run on {len(allowed)} cores only")
    cores = set(allowed[:n])
    os.sched_setaffinity(0, cores)
    return cores
