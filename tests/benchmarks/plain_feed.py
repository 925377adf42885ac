"""The outside reference's data, shared by both halves of the trust check (plain_keras_fit.py,
feed_in_one_process.py) so that they compare against one pipeline: random uint8 images and int32 labels
made here, fed by a plain ``from_tensor_slices(...).batch().cache().repeat()``; nothing from datasets/."""

import numpy as np
import tensorflow as tf


def plain_batches(shape: tuple[int, ...], examples: int, batch: int) -> tf.data.Dataset:
    """Full batches of ``examples`` seeded random images of ``shape`` (10 classes), cached and repeated."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(examples, *shape), dtype=np.uint8)
    y = rng.integers(0, 10, size=examples).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True).cache().repeat()
