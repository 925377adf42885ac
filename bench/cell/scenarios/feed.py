"""What feeds the model, whichever the backend: the cell's pipeline (tf.data, or the numpy mode's keras
PyDataset), one cached batch repeated, and the pipeline's own speed.

With TensorFlow installed the tf.data pipeline modes feed every Keras backend (Keras 3 takes tf.data on
jax and torch too); pipeline "numpy" needs no TensorFlow at all.
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Iterator
from typing import Any

from bench.config.cell import Cell


def input_feed(cell: Cell) -> str:
    """The record's input_feed: "numpy" (PyDataset over h5py) or "tf.data"."""
    return "numpy" if cell.pipeline == "numpy" else "tf.data"


def batches(dataset: Any, cell: Cell, split: str, batch_size: int, **kwargs: Any) -> Any:
    """The split's batches of ``batch_size`` (global) in the cell's pipeline mode (Dataset.batches)."""
    return dataset.batches(split, batch_size, mode=cell.pipeline, **kwargs)


def iterate(data: Any) -> Iterator[Any]:
    """The batches of a tf.data dataset or a PyDataset (all of them, forever if it repeats)."""
    if _is_py_dataset(data):
        n = data.num_batches
        return (data[i] for i in (itertools.count() if n is None else range(n)))
    return iter(data)


def _is_py_dataset(data: Any) -> bool:
    """True for a keras PyDataset (checked without importing Keras)."""
    return any(c.__name__ == "PyDataset" and c.__module__.startswith("keras") for c in type(data).__mro__)


INPUT_BOUND = 0.95  # input_efficiency below this: the pipeline costs the model more than 5%


def input_verdict(train_img_s: float, model_only_img_s: float) -> dict[str, Any]:
    """input_efficiency (end-to-end / model-only training img/s) and input_bound (< INPUT_BOUND)."""
    efficiency = train_img_s / model_only_img_s
    return {"input_efficiency": efficiency, "input_bound": efficiency < INPUT_BOUND}


def cached(data: Any) -> Any:
    """The first batch of ``data`` held as a constant and repeated forever in a fresh feed of the same kind
    (tf.data or PyDataset); the iterator that read it is released and collected first, so no pipeline
    thread is alive while the model trains on it."""
    it = iterate(data)
    batch = next(it)
    del it
    gc.collect()
    if _is_py_dataset(data):
        from datasets.numpy_feed import Repeat

        return Repeat(batch)
    import tensorflow as tf

    return tf.data.Dataset.from_tensors(batch).repeat()


def pipeline_img_s(data: Any, batch_size: int, batches: int) -> float:
    """Images/second of iterating the input pipeline alone (first batch excluded)."""
    it = iterate(data)
    next(it)
    t = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch_size / (time.perf_counter() - t)
