"""The cell's tf.distribute strategy (TensorFlow's own) and the record fields that describe it.

none: no strategy (Keras's default). mirrored: tf.distribute.MirroredStrategy over `replicas` devices,
the GPUs the process sees (bench.config.environment.visible_gpus) or as many logical CPU devices
(bench.cell.backends.tensorflow.split_cpu);
training runs through model.fit. multiworker: tf.distribute.MultiWorkerMirroredStrategy from the
process's TF_CONFIG, one replica per worker process; training runs through a custom step under
strategy.run (bench.cell.scenarios.distributed), because model.fit fails under it with Keras 3
("Attempt to convert a value (PerReplica...)", keras-team/keras#20585).
"""

from __future__ import annotations

import sys
from typing import Any

from bench.config.cell import Cell

MODEL_FIT = "model.fit"
CUSTOM_STEP = "custom strategy.run step"


def make_strategy(cell: Cell) -> Any | None:
    """The cell's strategy, or None for strategy none. MultiWorkerMirroredStrategy must be made before
    any op runs (it configures the collectives of the eager context), so call this first."""
    if cell.strategy == "none":
        return None
    import tensorflow as tf

    if cell.strategy == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        kind = "CPU" if cell.device == "cpu" else "GPU"
        devices = [d.name for d in tf.config.list_logical_devices(kind)]
        strategy = tf.distribute.MirroredStrategy(devices=devices)
    name = "MultiWorkerMirroredStrategy" if cell.strategy == "multiworker" else "MirroredStrategy"
    print(f"tf.distribute.{name}: {strategy.num_replicas_in_sync} replicas in sync on "
          f"{', '.join(strategy.extended.worker_devices)}", file=sys.stderr)
    if strategy.num_replicas_in_sync != cell.replicas:
        raise RuntimeError(f"{name} has {strategy.num_replicas_in_sync} replicas in sync, "
                           f"the cell asks for {cell.replicas}")
    return strategy


def train_loop(cell: Cell) -> str:
    """How the cell trains: model.fit, or the custom strategy.run step (multiworker)."""
    return CUSTOM_STEP if cell.strategy == "multiworker" else MODEL_FIT


def global_batch(cell: Cell) -> int:
    """Images per step over all replicas (batch_size is per replica)."""
    return cell.batch_size * cell.replicas


def fields(cell: Cell) -> dict[str, Any]:
    """Record fields of the cell's distribution: global and per-replica batch, and the training loop."""
    return {"global_batch_size": global_batch(cell), "per_replica_batch_size": cell.batch_size,
            "train_loop": train_loop(cell)}
