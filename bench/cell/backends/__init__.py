"""The cell's Keras backend in its own process: import it with the cell's settings, check the device.

bench.config.environment.child_env (applied here once, and by the runner at spawn) puts KERAS_BACKEND
and device visibility in the environment (cpu cells: CUDA_VISIBLE_DEVICES=-1 and JAX_PLATFORMS=cpu;
jax gpu cells: JAX_PLATFORMS=cuda, so JAX fails rather than fall back to the CPU). Per backend, what
the cell's thread settings mean:

- tensorflow: threads / inter_threads are TensorFlow's intra-/inter-op thread pools.
- torch: torch.set_num_threads / torch.set_num_interop_threads.
- jax: XLA has no thread-count setting for its CPU client (jax-ml/jax#1539), so threads = N pins the
  whole process (XLA's pool sizes itself to the schedulable cores, the input pipeline, Python) to N
  cores with os.sched_setaffinity before JAX starts. inter_threads has no counterpart: such cells are
  skipped at planning (bench.config.matrix), as are thread counts on systems without sched_setaffinity.

A gpu cell that cannot see its GPU fails (never runs on the CPU instead); a cpu cell that still sees one
fails too. The mixed-precision policy is Keras's own and works on every backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.config.cell import Cell
from bench.config.environment import child_env

MB = 2**20


@dataclass(frozen=True)
class Backend:
    """The imported backend: its version, what the cell runs on, and its GPU allocator's peak."""

    name: str
    version: str
    device_name: str
    gpu_peak_mb: Callable[[], float]  # raises when the allocator cannot tell
    gpu_peak_source: str  # the call gpu_peak_mb makes, for the unavailable reason


def setup(cell: Cell) -> Backend:
    """Import the cell's backend (and Keras on it) with its settings applied; raises when the device
    the cell asks for is not what the backend sees."""
    os.environ.update(child_env(cell, os.environ))
    backend = {"tensorflow": _tensorflow, "torch": _torch, "jax": _jax}[cell.backend](cell)
    import keras

    if keras.backend.backend() != cell.backend:
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}, not {cell.backend}: Keras was "
                           "imported before KERAS_BACKEND was set")
    keras.mixed_precision.set_global_policy(cell.precision)
    return backend


def _cpu_name() -> str:
    from bench.envinfo import cpu_model

    return cpu_model()


def _tensorflow(cell: Cell) -> Backend:
    """TensorFlow as it always ran (bench.cell.backends.tensorflow.import_tensorflow)."""
    from bench.cell.backends.tensorflow import device_name, import_tensorflow

    tf = import_tensorflow(cell)
    return Backend("tensorflow", tf.__version__, device_name(tf, cell),
                   lambda: tf.config.experimental.get_memory_info("GPU:0")["peak"] / MB,
                   "tf.config.experimental.get_memory_info")


def _torch(cell: Cell) -> Backend:
    """PyTorch with the cell's intra-/inter-op threads, its GPU checked through torch.cuda."""
    import torch

    if cell.threads != "auto":
        torch.set_num_threads(int(cell.threads))
    if cell.inter_threads != "auto":
        torch.set_num_interop_threads(int(cell.inter_threads))
    sees = torch.cuda.is_available() and torch.cuda.device_count() > 0
    if cell.device == "cpu" and sees:
        raise RuntimeError("cpu cell still sees a CUDA GPU; CUDA_VISIBLE_DEVICES was not honoured")
    if cell.device != "cpu" and not sees:
        build = torch.version.cuda or "none (a CPU-only torch build)"
        raise RuntimeError(f"{cell.device} is not visible to PyTorch {torch.__version__} "
                           f"(CUDA build: {build})")
    name = torch.cuda.get_device_name(0) if cell.device != "cpu" else _cpu_name()
    return Backend("torch", torch.__version__, name, lambda: torch.cuda.max_memory_allocated(0) / MB,
                   "torch.cuda.max_memory_allocated")


def _jax(cell: Cell) -> Backend:
    """JAX pinned to `threads` cores (its only honest thread knob), its device checked through jax.devices."""
    if cell.threads != "auto":
        pin_to_cores(int(cell.threads))
    import jax

    devices = jax.devices()  # JAX_PLATFORMS (cpu, or cuda for gpu cells) makes a missing GPU an error
    want = "cpu" if cell.device == "cpu" else "gpu"
    if devices[0].platform != want:
        raise RuntimeError(f"{cell.device} cell but JAX runs on {devices[0].platform} ({devices})")
    device = devices[0]
    name = str(device.device_kind) if want == "gpu" else _cpu_name()
    return Backend("jax", jax.__version__, name, lambda: _jax_peak_mb(device),
                   "jax Device.memory_stats()['peak_bytes_in_use']")


def _jax_peak_mb(device: Any) -> float:
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
