"""Process-global settings of a cell: environment before the backend is imported, the rest right after
(TensorFlow here; jax and torch in bench.cell.backends).

TensorFlow's visible devices, thread pools and Keras's mixed-precision policy are process-wide and
fixed once TensorFlow initialises, which is why every cell runs in a fresh process (bench.cell.child).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from bench.config.cell import Cell

NO_GPU = "-1"  # CUDA lists no device from an invalid index on; "" would unset the variable on Windows


def child_env(cell: Cell, base: Mapping[str, str]) -> dict[str, str]:
    """The environment a cell's process must start with (Keras backend, device visibility, quiet logs)."""
    env = dict(base)
    env["KERAS_BACKEND"] = cell.backend
    env["CUDA_VISIBLE_DEVICES"] = visible_gpus(cell)
    if cell.strategy != "multiworker":  # a user's cluster TF_CONFIG is for multiworker cells only
        env.pop("TF_CONFIG", None)
    env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # CUDA's numbering = NVML's, so gpu:N is one device to both
    # JAX: cpu only on cpu cells; cuda only on gpu cells, so a missing GPU is an error, not a CPU run.
    env["JAX_PLATFORMS"] = "cpu" if cell.device == "cpu" else "cuda"
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # JAX grows GPU memory as TF's memory growth does
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def import_tensorflow(cell: Cell) -> Any:
    """Import TensorFlow with the cell's settings applied before any op runs; returns the module."""
    os.environ.update(child_env(cell, os.environ))
    import keras
    import tensorflow as tf

    if cell.threads != "auto":
        tf.config.threading.set_intra_op_parallelism_threads(int(cell.threads))
    if cell.inter_threads != "auto":
        tf.config.threading.set_inter_op_parallelism_threads(int(cell.inter_threads))
    if cell.device == "cpu" and cell.strategy == "mirrored":
        split_cpu(tf, cell.replicas)
    gpus = tf.config.list_physical_devices("GPU")
    if cell.device == "cpu" and gpus:
        raise RuntimeError(f"cpu cell still sees GPUs {gpus}; CUDA_VISIBLE_DEVICES was not honoured")
    if cell.device != "cpu" and not gpus:
        raise RuntimeError(f"{cell.device} is not visible to TensorFlow in this process")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    keras.mixed_precision.set_global_policy(cell.precision)
    return tf


def visible_gpus(cell: Cell) -> str:
    """CUDA_VISIBLE_DEVICES for the cell: none (cpu: "-1", since on Windows an empty value deletes the
    variable and every GPU shows), gpu:N, or gpu:N..N+replicas-1 (mirrored on GPUs)."""
    if cell.device == "cpu":
        return NO_GPU
    first = int(cell.device.split(":")[1])
    count = cell.replicas if cell.strategy == "mirrored" else 1
    return ",".join(str(i) for i in range(first, first + count))


def split_cpu(tf: Any, replicas: int) -> None:
    """Split the CPU into `replicas` logical devices, so MirroredStrategy has a device per replica."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)


def device_name(tf: Any, cell: Cell) -> str:
    """What the cell runs on: the GPU's name, or the CPU model."""
    if cell.device == "cpu":
        from bench.envinfo import cpu_model

        return cpu_model()
    details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
    return str(details.get("device_name", cell.device))
