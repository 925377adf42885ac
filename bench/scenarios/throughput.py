"""Throughput: images/second of Keras's own training and inference, repeated, warm-up excluded.

Training: one model.fit step compiles (compile_s); then a single model.fit on one iterator, stopped by
a time box (bench.trackers.timing.TimeBoxed) once warm-up and `repeats` consecutive repeats of at least
min_time_s and `steps` steps (at most max_time_s) are done; each repeat's wall time includes
everything between its steps. Inference: the same with model.predict. The input
pipeline alone and training on one cached batch are timed too, to tell whether the cell is input-bound.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bench.cell import Cell
from bench.outcome import check_finite
from bench.scenarios import feed
from bench.scenarios.workload import Workload
from bench.strategy import global_batch
from bench.trackers.energy import energy_callback, energy_fields
from bench.trackers.timing import UNBOUNDED_STEPS, StepTimer, TimeBoxed, percentiles_ms, spread, time_box


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Measure; returns the throughput record fields. Batches are global (batch_size x replicas) and
    img/s counts global images; multiworker cells run bench.scenarios.distributed instead of model.fit."""
    if cell.strategy == "multiworker":
        from bench.scenarios import distributed

        return distributed.run(cell, work)
    b, steps, repeats = global_batch(cell), cell.steps, cell.repeats
    model = work.model
    train = feed.batches(work.dataset, cell, "train", b, shuffle=True, seed=cell.seed, repeat=True)

    t = time.perf_counter()
    model.fit(train, steps_per_epoch=1, epochs=1, verbose=0)
    fields: dict[str, Any] = {"compile_s": time.perf_counter() - t}
    timer, boxed = StepTimer(), TimeBoxed(time_box(cell))
    energy = energy_callback(cell, start_batch=UNBOUNDED_STEPS)  # energy of the timed steps only:
    boxed.on_warm.append(lambda done: setattr(energy, "start_batch", done))  # metered from warm-up's end
    history = model.fit(train, steps_per_epoch=UNBOUNDED_STEPS, epochs=1, verbose=0,
                        callbacks=[timer, boxed, energy])
    check_finite(history.history["loss"])
    got, why = energy_fields(energy.reading, energy.images(b))
    fields |= got | {"unavailable": why}
    fields |= spread("train_img_s", boxed.cutter.img_s(b)) | boxed.cutter.fields("train")
    fields |= percentiles_ms(timer.step_s(skip=boxed.cutter.warmup_done))

    infer = feed.batches(work.dataset, cell, "train", b, repeat=True)
    model.predict(infer, steps=1, verbose=0)
    infer_boxed = TimeBoxed(time_box(cell))
    model.predict(infer, steps=UNBOUNDED_STEPS, verbose=0, callbacks=[infer_boxed])
    fields |= spread("infer_img_s", infer_boxed.cutter.img_s(b)) | infer_boxed.cutter.fields("infer")

    fields["pipeline_img_s"] = feed.pipeline_img_s(train, b, steps * repeats)
    cached = feed.cached(train)
    cached_boxed = TimeBoxed(replace(time_box(cell), warmup_steps=1, repeats=1))
    model.fit(cached, steps_per_epoch=UNBOUNDED_STEPS, epochs=1, verbose=0, callbacks=[cached_boxed])
    fields["cached_train_img_s"] = cached_boxed.cutter.img_s(b)[0]
    fields["input_bound"] = fields["pipeline_img_s"] < fields["cached_train_img_s"]
    fields["train_gflop_s"] = work.fields["train_flops_per_image"] * fields["train_img_s"] / 1e9
    return fields
