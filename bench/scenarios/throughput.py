"""Throughput: images/second of Keras's own training and inference, repeated, warm-up excluded.

Training is timed with model.fit(steps_per_epoch=steps, epochs=repeats) and a step/epoch timer (one
epoch = one repeat); inference with model.predict(steps=steps), timed from outside. The input
pipeline alone and training on one cached batch are timed too, to tell whether the cell is
input-bound.
"""

from __future__ import annotations

import time
from typing import Any

from bench.cell import Cell
from bench.outcome import check_finite
from bench.scenarios.workload import Workload
from bench.trackers.timing import StepTimer, percentiles_ms, spread


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Measure; returns the throughput record fields."""
    import tensorflow as tf

    b, steps, repeats = cell.batch_size, cell.steps, cell.repeats
    model = work.model
    train = work.dataset.tf_dataset("train", b, mode=cell.pipeline, shuffle=True, seed=cell.seed, repeat=True)

    t = time.perf_counter()
    model.fit(train, steps_per_epoch=1, epochs=1, verbose=0)
    compile_s = time.perf_counter() - t
    if cell.warmup_steps:
        model.fit(train, steps_per_epoch=cell.warmup_steps, epochs=1, verbose=0)
    timer = StepTimer()
    history = model.fit(train, steps_per_epoch=steps, epochs=repeats, verbose=0, callbacks=[timer])
    losses = history.history["loss"]
    check_finite(losses)
    fields: dict[str, Any] = {"compile_s": compile_s}
    fields |= spread("train_img_s", [steps * b / s for s in timer.epoch_s])
    fields |= percentiles_ms(timer.step_s)

    infer = work.dataset.tf_dataset("train", b, mode=cell.pipeline, repeat=True)
    model.predict(infer, steps=max(1, cell.warmup_steps), verbose=0)
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        model.predict(infer, steps=steps, verbose=0)
        runs.append(steps * b / (time.perf_counter() - t))
    fields |= spread("infer_img_s", runs)

    fields["pipeline_img_s"] = _pipeline_img_s(train, b, steps * repeats)
    batch = next(iter(train))
    cached = tf.data.Dataset.from_tensors(batch).repeat()
    model.fit(cached, steps_per_epoch=1, epochs=1, verbose=0)
    cached_timer = StepTimer()
    model.fit(cached, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[cached_timer])
    fields["cached_train_img_s"] = steps * b / cached_timer.epoch_s[0]
    fields["input_bound"] = fields["pipeline_img_s"] < fields["cached_train_img_s"]
    fields["train_gflop_s"] = work.fields["train_flops_per_image"] * fields["train_img_s"] / 1e9
    return fields


def _pipeline_img_s(data: Any, batch_size: int, batches: int) -> float:
    """Images/second of iterating the tf.data pipeline alone (first batch excluded)."""
    it = iter(data)
    next(it)
    t = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch_size / (time.perf_counter() - t)
