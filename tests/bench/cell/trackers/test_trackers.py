"""Trackers: repeat slicing and spreads, sklearn metrics fields, memory, settings, estimates."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.cell.trackers import memory
from bench.cell.trackers.accuracy import classification_fields
from bench.config.cell import Cell
from bench.config.environment import child_env
from bench.results.history import earlier_wall_s


def test_repeat_slices_count_the_time_between_steps():
    from bench.cell.trackers.timing import StepTimer

    timer = StepTimer()
    # 1 warm-up step, then 2 repeats of 2 steps; each step 1 s, with 0.5 s gaps between steps
    t = 0.0
    for _ in range(5):
        timer.on_train_batch_begin(0)
        timer.begins[-1] = t
        timer.on_train_batch_end(0)
        timer.ends[-1] = t + 1.0
        t += 1.5
    rates = timer.repeat_img_s(warmup=1, steps=2, repeats=2, batch_size=10)
    assert rates == pytest.approx([20 / 3.0, 20 / 3.0])  # 2 steps + 2 gaps = 3 s per repeat
    assert timer.step_s(skip=1) == pytest.approx([1.0] * 4)


def test_spread_and_percentiles():
    from bench.cell.trackers.timing import percentiles_ms, spread

    s = spread("train_img_s", [3.0, 1.0, 2.0])
    assert (s["train_img_s"], s["train_img_s_min"], s["train_img_s_max"]) == (2.0, 1.0, 3.0)
    assert s["train_img_s_runs"] == [3.0, 1.0, 2.0]
    p = percentiles_ms([0.001 * i for i in range(1, 101)])
    assert p["step_ms_p50"] == pytest.approx(50.5) and p["step_ms_p99"] == pytest.approx(99.01)


def test_classification_fields_match_sklearn_definitions():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    f = classification_fields(y_true, y_pred, ["a", "b", "c"])
    assert f["test_accuracy"] == pytest.approx(4 / 6)
    assert f["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert [c["precision"] for c in f["per_class"]] == pytest.approx([0.5, 2 / 3, 1.0])
    assert f["macro_precision"] == pytest.approx((0.5 + 2 / 3 + 1.0) / 3)
    assert [c["support"] for c in f["per_class"]] == [2, 2, 2] and f["class_names"] == ["a", "b", "c"]


def test_memory_tracker_samples_and_peak():
    tracker = memory.MemoryTracker(interval_s=0.01).start()
    block = bytearray(50 * 2**20)
    import time

    time.sleep(0.1)
    fields, why = tracker.stop()
    del block
    if memory.peak_rss_mb() is None:  # no kept peak (BENCH_SIMULATE=windows hides /proc, resource)
        assert fields["peak_rss_mb"] is None and why == {"peak_rss_mb": memory.NO_PEAK}
    else:
        assert fields["peak_rss_mb"] >= 50 and why == {}
    assert len(fields["rss_timeline_mb"]) >= 2 and max(mb for _, mb in fields["rss_timeline_mb"]) >= 50


def test_gpu_memory_on_a_cpu_cell_is_unavailable_not_zero():
    fields, why = memory.gpu_memory(None, None)
    assert fields == {} and set(why) == {"gpu_peak_mb", "gpu_nvml_used_mb"}


def test_child_env_hides_gpus_from_cpu_cells():
    assert child_env(Cell("d", "m"), {"CUDA_VISIBLE_DEVICES": "0"})["CUDA_VISIBLE_DEVICES"] == "-1"
    assert child_env(Cell("d", "m", device="gpu:1"), {})["CUDA_VISIBLE_DEVICES"] == "1"
    assert child_env(Cell("d", "m"), {"TF_CPP_MIN_LOG_LEVEL": "0"})["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_estimate_from_earlier_runs_on_this_host_only(tmp_path):
    cell = Cell("digits", "cifar_cnn")
    for name, host, wall in (("a", "me", 10.0), ("b", "other", 99.0)):
        run = tmp_path / name
        run.mkdir()
        (run / "env.json").write_text(json.dumps({"hostname": host}))
        (run / "results.jsonl").write_text(json.dumps(
            {**cell.config(), "cell_id": cell.cell_id, "status": "ok", "wall_s": wall}) + "\n")
    assert earlier_wall_s(tmp_path, "me") == {cell.cell_id: 10.0}
    assert earlier_wall_s(tmp_path, "nobody") == {}
