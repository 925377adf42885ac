"""Time-boxed throughput repeats, driven by made-up step times (no clock, no TensorFlow model)."""

from __future__ import annotations

import statistics
from types import SimpleNamespace

import pytest

from bench.cell.trackers.timing import RepeatCutter, TimeBox, TimeBoxed, stable


def feed(cutter: RepeatCutter, durations: list[float]) -> int:
    """Feed step durations until the cutter is done; returns how many steps it took."""
    now = cutter.start
    for i, d in enumerate(durations, 1):
        now += d
        if cutter.step_end(now):
            return i
    raise AssertionError("the cutter never finished")


def box(**kw) -> TimeBox:
    return TimeBox(**({"warmup_steps": 5, "min_steps": 3, "repeats": 3, "min_s": 2.0, "max_s": 10.0} | kw))


def test_fast_steps_run_until_the_minimum_time():
    cutter = RepeatCutter(box(warmup_steps=0), start=100.0)
    feed(cutter, [0.01] * 10_000)
    assert cutter.warmup_done == 0
    assert all(s >= 2.0 for s in cutter.repeat_s) and len(cutter.repeat_s) == 3
    assert all(200 <= n <= 201 for n in cutter.repeat_steps)
    assert cutter.img_s(32) == pytest.approx([3200.0] * 3, rel=0.01)


def test_slow_steps_run_until_the_minimum_step_count():
    cutter = RepeatCutter(box(warmup_steps=0, max_s=100.0), start=0.0)
    feed(cutter, [1.5] * 20)
    assert cutter.repeat_steps == [3, 3, 3] and cutter.repeat_s == pytest.approx([4.5] * 3)


def test_the_maximum_time_caps_a_repeat_short_of_the_minimum_steps():
    cutter = RepeatCutter(box(warmup_steps=0, max_s=10.0, min_steps=30), start=0.0)
    assert feed(cutter, [4.0] * 20) == 9
    assert cutter.repeat_steps == [3, 3, 3]  # 12 s >= the 10 s cap after three 4 s steps
    very_slow = RepeatCutter(box(warmup_steps=0, max_s=10.0), start=0.0)
    feed(very_slow, [60.0] * 5)
    assert very_slow.repeat_steps == [1, 1, 1]  # one step each, never zero


def test_warm_up_ends_on_stable_step_times():
    cutter = RepeatCutter(box(warmup_steps=50, min_s=100.0, max_s=200.0), start=0.0)
    feed(cutter, [0.9, 0.5, 0.3, 0.2, 0.201, 0.202] + [0.2] * 10_000)
    assert cutter.warmup_done == 6  # steps 4..6 agree within 5%


def test_warm_up_ends_on_time_when_steps_never_settle():
    cutter = RepeatCutter(box(warmup_steps=50, min_s=2.0), start=0.0)
    feed(cutter, [0.5, 0.3, 0.5, 0.3, 0.5, 0.3, 0.5] + [0.4] * 10_000)
    assert cutter.warmup_done == 5  # 0.5+0.3+0.5+0.3+0.5 = 2.1 s >= min_s


def test_warm_up_ends_at_its_step_cap():
    cutter = RepeatCutter(box(warmup_steps=2, min_s=100.0, max_s=200.0), start=0.0)
    feed(cutter, [1.0, 3.0] + [0.5] * 10_000)
    assert cutter.warmup_done == 2


def test_a_repeat_counts_the_time_between_steps_from_the_previous_step_end():
    cutter = RepeatCutter(box(warmup_steps=1, min_s=1.0, min_steps=2), start=0.0)
    feed(cutter, [5.0, 0.5, 0.5, 0.6, 0.6, 0.7, 0.7])
    assert cutter.repeat_s == pytest.approx([1.0, 1.2, 1.4]) and cutter.repeat_steps == [2, 2, 2]
    assert statistics.median(cutter.img_s(10)) == pytest.approx(20 / 1.2)


def test_stable_needs_k_steps_within_tolerance():
    assert stable([1.0, 1.02, 1.04], 3, 0.05) and not stable([1.0, 1.1, 1.0], 3, 0.05)
    assert not stable([1.0, 1.0], 3, 0.05)


class FakeClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step / 2  # begin and end of each step read the clock once each
        return self.now


@pytest.mark.parametrize(("hook", "flag"), [("train", "stop_training"), ("predict", "stop_predicting")])
def test_callback_stops_keras_and_starts_the_warm_hook_once(hook: str, flag: str):
    boxed = TimeBoxed(box(warmup_steps=2, min_s=1.0, min_steps=2), clock=FakeClock(0.25))
    boxed.set_model(SimpleNamespace(**{flag: False}))
    warm: list[int] = []
    boxed.on_warm.append(warm.append)
    steps = 0
    while not getattr(boxed.model, flag):
        getattr(boxed, f"on_{hook}_batch_begin")(steps)
        getattr(boxed, f"on_{hook}_batch_end")(steps)
        steps += 1
        assert steps < 1000
    assert warm == [2] and boxed.cutter.warmup_done == 2
    assert len(boxed.cutter.repeat_steps) == 3 and steps == 2 + sum(boxed.cutter.repeat_steps)
    assert boxed.cutter.fields("train") == {"train_repeat_steps": boxed.cutter.repeat_steps,
                                            "train_warmup_steps_run": 2}


def test_callback_reports_the_cpu_cores_used_while_the_repeats_ran():
    """CPU seconds per wall second between the end of warm-up and the last repeat's end: 1.5 when the
    process's CPU clock runs 1.5x the wall clock, None before the repeats are done."""
    wall = FakeClock(0.25)
    boxed = TimeBoxed(box(warmup_steps=2, min_s=1.0, min_steps=2), clock=wall,
                      cpu_clock=lambda: 1.5 * wall.now)
    boxed.set_model(SimpleNamespace(stop_training=False))
    assert boxed.cpu_cores() is None
    steps = 0
    while not boxed.model.stop_training:
        boxed.on_train_batch_begin(steps)
        boxed.on_train_batch_end(steps)
        steps += 1
    assert boxed.cpu_cores() == pytest.approx(1.5)
    assert boxed.fields("train")["train_cpu_cores"] == pytest.approx(1.5)
