"""Wall-clock timing of Keras training: per step, per epoch, the first crossing of a target, and
time-boxed throughput repeats (each lasts until a minimum time and step count, capped by a maximum)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np


class StepTimer(keras.callbacks.Callback):
    """Records when every train/predict step began and ended and how long each epoch took
    (perf_counter), and when val accuracy first reached `target` (seconds since training began)."""

    def __init__(self, target_accuracy: float | None = None) -> None:
        super().__init__()
        self.target = target_accuracy
        self.begins: list[float] = []
        self.ends: list[float] = []
        self.epoch_s: list[float] = []
        self.time_to_target_s: float | None = None
        self._t0 = self._epoch0 = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch0 = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.begins.append(time.perf_counter())

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.ends.append(time.perf_counter())

    on_predict_batch_begin = on_train_batch_begin
    on_predict_batch_end = on_train_batch_end

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.perf_counter()
        self.epoch_s.append(now - self._epoch0)
        acc = (logs or {}).get("val_accuracy")
        reached = self.target is not None and acc is not None and acc >= self.target
        if reached and self.time_to_target_s is None:
            self.time_to_target_s = now - self._t0

    def step_s(self, skip: int = 0) -> list[float]:
        """Each step's own duration, after the first `skip` steps."""
        return [e - b for b, e in zip(self.begins[skip:], self.ends[skip:], strict=True)]

    def repeat_img_s(self, warmup: int, steps: int, repeats: int, batch_size: int) -> list[float]:
        """Images/second of consecutive slices of `steps` steps after `warmup` steps. A slice runs from
        the end of the step before it to the end of its last step, so the time between steps counts."""
        rates = []
        for i in range(repeats):
            first, last = warmup + i * steps, warmup + (i + 1) * steps - 1
            start = self.ends[first - 1] if first > 0 else self.begins[0]
            rates.append(steps * batch_size / (self.ends[last] - start))
        return rates


class BudgetStop(keras.callbacks.Callback):
    """Stops training at the first step end after `budget_s` seconds of training."""

    def __init__(self, budget_s: float) -> None:
        super().__init__()
        self.budget_s = budget_s
        self._t0 = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if time.perf_counter() - self._t0 >= self.budget_s:
            self.model.stop_training = True


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p90/p99 of step times, in milliseconds, as record fields."""
    p = np.percentile(np.asarray(seconds) * 1000.0, [50, 90, 99])
    return {"step_ms_p50": float(p[0]), "step_ms_p90": float(p[1]), "step_ms_p99": float(p[2])}


def spread(prefix: str, runs: list[float]) -> dict[str, Any]:
    """Median/min/max and every run of a repeated rate, as record fields."""
    return {prefix: float(np.median(runs)), f"{prefix}_min": float(min(runs)),
            f"{prefix}_max": float(max(runs)), f"{prefix}_runs": [float(r) for r in runs]}


# Warm-up ends once the last STABLE_STEPS step times are within STABLE_TOLERANCE of each other.
STABLE_STEPS = 3
STABLE_TOLERANCE = 0.05
# model.fit/predict's step count while a TimeBox decides when to stop (the pipeline repeats forever).
UNBOUNDED_STEPS = 10**9


@dataclass(frozen=True)
class TimeBox:
    """How long a throughput measurement runs: warm-up of at most `warmup_steps` steps that also ends
    after `min_s` or on stable step times; then `repeats` repeats, each until both `min_s` seconds and
    `min_steps` steps have passed, or `max_s` seconds (at least one step) have."""

    warmup_steps: int
    min_steps: int
    repeats: int
    min_s: float
    max_s: float
    stable_steps: int = STABLE_STEPS
    stable_tolerance: float = STABLE_TOLERANCE


def stable(durations: list[float], k: int, tolerance: float) -> bool:
    """True when the last k step durations are within `tolerance` (relative) of each other."""
    last = durations[-k:]
    return len(last) == k and min(last) > 0 and max(last) / min(last) - 1 <= tolerance


@dataclass
class RepeatCutter:
    """Fed each step's end time, decides where warm-up ends and where each repeat ends (no clock of
    its own, so tests drive it with made-up times). A repeat runs from the end of the step before it."""

    box: TimeBox
    start: float  # when the first step began
    warmup_done: int = 0
    repeat_steps: list[int] = field(default_factory=list)
    repeat_s: list[float] = field(default_factory=list)
    _durations: list[float] = field(default_factory=list)
    _last_end: float | None = None
    _repeat_start: float | None = None
    _in_repeat: int = 0

    def __post_init__(self) -> None:
        if self.box.warmup_steps == 0:
            self._repeat_start = self.start

    @property
    def done(self) -> bool:
        """Every repeat finished."""
        return len(self.repeat_steps) >= self.box.repeats

    @property
    def warm(self) -> bool:
        """Warm-up is over (the timed repeats have begun)."""
        return self._repeat_start is not None or self.done

    def step_end(self, now: float) -> bool:
        """Account for a step that ended at `now`; True once every repeat is complete."""
        previous = self.start if self._last_end is None else self._last_end
        self._last_end = now
        if self._repeat_start is None:
            self._durations.append(now - previous)
            self.warmup_done += 1
            if self._warm_enough(now):
                self._repeat_start = now
            return False
        self._in_repeat += 1
        elapsed = now - self._repeat_start
        box = self.box
        if (elapsed >= box.min_s and self._in_repeat >= box.min_steps) or elapsed >= box.max_s:
            self.repeat_steps.append(self._in_repeat)
            self.repeat_s.append(elapsed)
            self._repeat_start, self._in_repeat = now, 0
        return self.done

    def _warm_enough(self, now: float) -> bool:
        box = self.box
        return (self.warmup_done >= box.warmup_steps or now - self.start >= box.min_s
                or stable(self._durations, box.stable_steps, box.stable_tolerance))

    def img_s(self, batch_size: int) -> list[float]:
        """Images/second of each finished repeat."""
        return [n * batch_size / s for n, s in zip(self.repeat_steps, self.repeat_s, strict=True)]

    def fields(self, prefix: str) -> dict[str, Any]:
        """Record fields saying how the repeats were cut: steps per repeat (and warm-up steps)."""
        return {f"{prefix}_repeat_steps": list(self.repeat_steps),
                f"{prefix}_warmup_steps_run": self.warmup_done}


class TimeBoxed(keras.callbacks.Callback):
    """Stops model.fit / model.predict once a RepeatCutter says every repeat is done; `on_warm` hooks
    run when warm-up ends (the energy meter starts there)."""

    def __init__(self, box: TimeBox, clock: Any = time.perf_counter,
                 cpu_clock: Any = time.process_time) -> None:
        super().__init__()
        self.box, self.clock, self.cpu_clock = box, clock, cpu_clock
        self.cutter: RepeatCutter | None = None
        self.on_warm: list[Any] = []
        self._timed: list[tuple[float, float]] = []  # (wall, CPU) when the repeats began and ended

    def _begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.cutter is None:
            self.cutter = RepeatCutter(self.box, self.clock())
            if self.box.warmup_steps == 0:
                self._warm(0)

    def _warm(self, steps: int) -> None:
        self._timed = [(self.clock(), self.cpu_clock())]
        for hook in self.on_warm:
            hook(steps)

    def _end(self, stop_attr: str) -> None:
        cutter = self.cutter
        assert cutter is not None
        was_warm = cutter.warm
        if cutter.step_end(self.clock()):
            setattr(self.model, stop_attr, True)
            self._timed.append((self.clock(), self.cpu_clock()))
        if not was_warm and cutter.warm:
            self._warm(cutter.warmup_done)

    def cpu_cores(self) -> float | None:
        """CPU cores this process used while the repeats ran (its CPU time / wall time, every thread);
        about 1 of 2 cores is TensorFlow's half-speed mode (DESIGN.md). None before the repeats end."""
        if len(self._timed) != 2 or self._timed[1][0] <= self._timed[0][0]:
            return None
        (wall0, cpu0), (wall1, cpu1) = self._timed
        return (cpu1 - cpu0) / (wall1 - wall0)

    def fields(self, prefix: str) -> dict[str, Any]:
        """The cutter's fields (steps per repeat, warm-up steps) and the CPU cores used while timed."""
        assert self.cutter is not None
        return self.cutter.fields(prefix) | {f"{prefix}_cpu_cores": self.cpu_cores()}

    on_train_batch_begin = _begin
    on_predict_batch_begin = _begin

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._end("stop_training")

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._end("stop_predicting")
