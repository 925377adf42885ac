"""The TensorFlow backend of a cell: TensorFlow's process-global settings, applied right after import.

TensorFlow's visible devices, thread pools and Keras's mixed-precision policy are process-wide and
fixed once TensorFlow initialises, which is why every cell runs in a fresh process (bench.cell.child).
"""

from __future__ import annotations

from typing import Any

from bench.cell.backends.base import MB, Backend
from bench.config.cell import Cell


def import_tensorflow(cell: Cell) -> Any:
    """Import TensorFlow with the cell's threads, CPU split and GPU memory growth applied before any op
    runs (the environment and the precision policy are bench.cell.backends.setup's, once); returns it."""
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
    return tf


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


def start(cell: Cell) -> Backend:
    """TensorFlow with the cell's settings (import_tensorflow), its GPU peak from get_memory_info."""
    tf = import_tensorflow(cell)
    return Backend("tensorflow", tf.__version__, device_name(tf, cell),
                   lambda: tf.config.experimental.get_memory_info("GPU:0")["peak"] / MB,
                   "tf.config.experimental.get_memory_info")
