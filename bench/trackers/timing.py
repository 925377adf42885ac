"""Wall-clock timing of Keras training: per step, per epoch, and the first crossing of a target."""

from __future__ import annotations

import time
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
