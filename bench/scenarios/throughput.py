"""Throughput: images/second of Keras's own training and inference, repeated, warm-up excluded.

Training: one model.fit step compiles (compile_s); then a single model.fit of warmup + steps x repeats
steps on one iterator, whose step timestamps are cut into `repeats` consecutive slices (each slice's
wall time includes everything between its steps). Inference: the same with model.predict. The input
pipeline alone and training on one cached batch are timed too, to tell whether the cell is input-bound.
"""

from __future__ import annotations

import time
from typing import Any

from bench.cell import Cell
from bench.outcome import check_finite
from bench.scenarios import feed
from bench.scenarios.workload import Workload
from bench.strategy import global_batch
from bench.trackers.energy import energy_callback, energy_fields
from bench.trackers.timing import StepTimer, percentiles_ms, spread


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Measure; returns the throughput record fields. Batches are global (batch_size x replicas) and
    img/s counts global images; multiworker cells run bench.scenarios.distributed instead of model.fit."""
    if cell.strategy == "multiworker":
        from bench.scenarios import distributed

        return distributed.run(cell, work)
    b, warm, steps, repeats = global_batch(cell), cell.warmup_steps, cell.steps, cell.repeats
    model = work.model
    train = feed.batches(work.dataset, cell, "train", b, shuffle=True, seed=cell.seed, repeat=True)

    t = time.perf_counter()
    model.fit(train, steps_per_epoch=1, epochs=1, verbose=0)
    fields: dict[str, Any] = {"compile_s": time.perf_counter() - t}
    timer, energy = StepTimer(), energy_callback(cell, start_batch=warm)  # energy of the timed steps only
    history = model.fit(train, steps_per_epoch=warm + steps * repeats, epochs=1, verbose=0,
                        callbacks=[timer, energy])
    check_finite(history.history["loss"])
    got, why = energy_fields(energy.reading, energy.images(b))
    fields |= got | {"unavailable": why}
    fields |= spread("train_img_s", timer.repeat_img_s(warm, steps, repeats, b))
    fields |= percentiles_ms(timer.step_s(skip=warm))

    infer = feed.batches(work.dataset, cell, "train", b, repeat=True)
    model.predict(infer, steps=1, verbose=0)
    infer_timer = StepTimer()
    model.predict(infer, steps=warm + steps * repeats, verbose=0, callbacks=[infer_timer])
    fields |= spread("infer_img_s", infer_timer.repeat_img_s(warm, steps, repeats, b))

    fields["pipeline_img_s"] = feed.pipeline_img_s(train, b, steps * repeats)
    cached = feed.cached(train)
    cached_timer = StepTimer()
    model.fit(cached, steps_per_epoch=1 + steps, epochs=1, verbose=0, callbacks=[cached_timer])
    fields["cached_train_img_s"] = cached_timer.repeat_img_s(1, steps, 1, b)[0]
    fields["input_bound"] = fields["pipeline_img_s"] < fields["cached_train_img_s"]
    fields["train_gflop_s"] = work.fields["train_flops_per_image"] * fields["train_img_s"] / 1e9
    return fields
