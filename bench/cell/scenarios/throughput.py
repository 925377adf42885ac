"""Throughput: images/second of Keras's own training and inference, repeated, warm-up excluded.

Training: one model.fit step compiles (compile_s); then a single model.fit on one iterator, stopped by
a time box (bench.cell.trackers.timing.TimeBoxed) once warm-up and `repeats` consecutive repeats of at least
min_time_s and `steps` steps (at most max_time_s) are done; each repeat's wall time includes
everything between its steps. Repeats that disagree by more than UNSTABLE are measured once more; if
they still disagree the record is flagged `unstable`. Inference: the same with model.predict. Then the
input pipeline alone, and the model alone (one batch held as a constant, after every pipeline iterator
is released, time-boxed like training), which gives input_efficiency and the input-bound verdict.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.cell.scenarios import feed
from bench.cell.scenarios.workload import Workload
from bench.cell.strategy import global_batch
from bench.cell.trackers.clocks import ClockCallback, clock_callback
from bench.cell.trackers.energy import EnergyCallback, energy_callback, energy_fields
from bench.cell.trackers.timing import (
    UNBOUNDED_STEPS,
    StepTimer,
    TimeBox,
    TimeBoxed,
    percentiles_ms,
    spread,
)
from bench.config.cell import TIME_BOX_DEFAULTS, Cell
from bench.config.devices import cell_gpus
from bench.outcome import check_finite

UNSTABLE = 0.10  # repeats whose (max - min) / median exceeds this disagree


@dataclass
class TimedFit:
    """One timed model.fit: its repeats' img/s and the trackers' fields."""

    runs: list[float]
    fields: dict[str, Any]


def disagree(runs: list[float]) -> bool:
    """True when repeats of one cell are more than UNSTABLE apart ((max - min) / median)."""
    return len(runs) > 1 and (max(runs) - min(runs)) / statistics.median(runs) > UNSTABLE


def stability(first: list[float], second: list[float] | None) -> dict[str, Any]:
    """Record fields of the re-measure-once rule: which repeats count, and whether the cell is unstable."""
    if second is None:
        return {"unstable": False}
    out: dict[str, Any] = {"train_img_s_remeasured_runs": first}
    if disagree(second):
        out |= {"unstable": True, "unstable_runs": [first, second]}
    else:
        out["unstable"] = False
    return out


def time_box(cell: Cell) -> TimeBox:
    """A throughput cell's time box (cells recorded before min/max_time_s existed get the defaults)."""
    return TimeBox(warmup_steps=cell.warmup_steps, min_steps=cell.steps, repeats=cell.repeats,
                   min_s=cell.min_time_s or TIME_BOX_DEFAULTS["min_time_s"],
                   max_s=cell.max_time_s or TIME_BOX_DEFAULTS["max_time_s"])


def timed_fit_callbacks(
    cell: Cell, box: TimeBox
) -> tuple[StepTimer, TimeBoxed, EnergyCallback, ClockCallback]:
    """The callbacks of a timed model.fit: step timer, time box, and the energy and clock meters, both
    started when the box's warm-up ends (the trust check's one-process half attaches the same set)."""
    timer, boxed = StepTimer(), TimeBoxed(box)
    gpus = cell_gpus(cell)
    energy = energy_callback(gpus, start_batch=UNBOUNDED_STEPS)
    clocks = clock_callback(gpus, start_batch=UNBOUNDED_STEPS)
    boxed.on_warm.append(lambda done: setattr(energy, "start_batch", done))
    boxed.on_warm.append(lambda done: setattr(clocks, "start_batch", done))
    return timer, boxed, energy, clocks


def _timed_fit(model: Any, train: Any, cell: Cell, b: int) -> TimedFit:
    """One time-boxed model.fit (warm-up, then `repeats` repeats) with timing, energy and clocks, both
    metered from the end of warm-up."""
    timer, boxed, energy, clocks = timed_fit_callbacks(cell, time_box(cell))
    history = model.fit(train, steps_per_epoch=UNBOUNDED_STEPS, epochs=1, verbose=0,
                        callbacks=[timer, boxed, energy, clocks])
    check_finite(history.history["loss"])
    measured = energy_fields(energy.reading, energy.images(b)) | clocks.measured()
    fields = measured.as_fields() | boxed.fields("train")
    fields |= percentiles_ms(timer.step_s(skip=boxed.cutter.warmup_done))
    return TimedFit(boxed.cutter.img_s(b), fields)


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Measure; returns the throughput record fields. Batches are global (batch_size x replicas) and
    img/s counts global images; multiworker cells run bench.cell.scenarios.distributed instead of
    model.fit."""
    if cell.strategy == "multiworker":
        from bench.cell.scenarios import distributed

        return distributed.run(cell, work)
    b, steps, repeats = global_batch(cell), cell.steps, cell.repeats
    model = work.model
    train = feed.batches(work.dataset, cell, "train", b, shuffle=True, seed=cell.seed, repeat=True)

    t = time.perf_counter()
    model.fit(train, steps_per_epoch=1, epochs=1, verbose=0)
    fields: dict[str, Any] = {"compile_s": time.perf_counter() - t}
    timed = _timed_fit(model, train, cell, b)
    again = _timed_fit(model, train, cell, b) if disagree(timed.runs) else None
    fields |= stability(timed.runs, again.runs if again else None)
    kept = again or timed
    fields |= kept.fields | spread("train_img_s", kept.runs)

    infer = feed.batches(work.dataset, cell, "train", b, repeat=True)
    model.predict(infer, steps=1, verbose=0)
    infer_boxed = TimeBoxed(time_box(cell))
    model.predict(infer, steps=UNBOUNDED_STEPS, verbose=0, callbacks=[infer_boxed])
    fields |= spread("infer_img_s", infer_boxed.cutter.img_s(b)) | infer_boxed.fields("infer")

    fields["pipeline_img_s"] = feed.pipeline_img_s(train, b, steps * repeats)
    constant = feed.cached(train)  # every pipeline iterator released before the model-only fit
    model_boxed = TimeBoxed(time_box(cell))
    model.fit(constant, steps_per_epoch=UNBOUNDED_STEPS, epochs=1, verbose=0, callbacks=[model_boxed])
    model_only = spread("cached_train_img_s", model_boxed.cutter.img_s(b))
    fields["cached_train_img_s"] = model_only["cached_train_img_s"]
    fields["cached_train_cpu_cores"] = model_boxed.cpu_cores()
    fields |= feed.input_verdict(fields["train_img_s"], fields["cached_train_img_s"])
    fields["train_gflop_s"] = work.fields["train_flops_per_image"] * fields["train_img_s"] / 1e9
    return fields
