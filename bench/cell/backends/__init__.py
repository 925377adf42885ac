"""The cell's Keras backend in its own process: import it with the cell's settings, check the device.
One module per backend (tensorflow.py, jax.py, torch.py), each with start(cell) -> base.Backend.

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

import importlib
import os

from bench.cell.backends.base import Backend
from bench.config.cell import Cell
from bench.config.environment import child_env

__all__ = ["Backend", "setup"]


def setup(cell: Cell) -> Backend:
    """Set the cell's process up, once: its environment, then its backend module's start(cell) (one
    module per backend, one interface), then Keras on it with the cell's precision policy. Raises when the
    device the cell asks for is not what the backend sees."""
    os.environ.update(child_env(cell, os.environ))
    backend = importlib.import_module(f"bench.cell.backends.{cell.backend}").start(cell)
    import keras

    if keras.backend.backend() != cell.backend:
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}, not {cell.backend}: Keras was "
                           "imported before KERAS_BACKEND was set")
    keras.mixed_precision.set_global_policy(cell.precision)
    return backend
