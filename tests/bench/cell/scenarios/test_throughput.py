"""bench.cell.scenarios.throughput: the re-measure-once rule for repeats that disagree, and the input-bound
verdict of real cells, one fed by a deliberately slowed pipeline (the test hook) and one native."""

from __future__ import annotations

import pytest

from bench.cell.scenarios.feed import input_verdict
from bench.cell.scenarios.throughput import disagree, stability
from bench.config.cell import Cell
from bench.launch.runner import run_cell
from datasets.pipeline import SLOW_ENV


def test_repeats_more_than_ten_percent_apart_disagree():
    assert not disagree([100.0, 105.0, 109.0]) and disagree([100.0, 105.0, 112.0])
    assert not disagree([100.0])


def test_stable_first_measure_is_kept():
    assert stability([100.0, 101.0], None) == {"unstable": False}


def test_remeasured_and_then_agreeing_is_not_unstable():
    fields = stability([50.0, 100.0], [99.0, 101.0])
    assert fields == {"unstable": False, "train_img_s_remeasured_runs": [50.0, 100.0]}


def test_still_disagreeing_is_flagged_with_both_sets():
    fields = stability([50.0, 100.0], [60.0, 100.0])
    assert fields["unstable"] is True and fields["unstable_runs"] == [[50.0, 100.0], [60.0, 100.0]]


def test_input_verdict_threshold():
    assert input_verdict(96.0, 100.0) == {"input_efficiency": 0.96, "input_bound": False}
    assert input_verdict(90.0, 100.0)["input_bound"] is True


def _cell_record(tmp_path, monkeypatch, delay_s: float | None) -> dict:
    if delay_s:
        monkeypatch.setenv(SLOW_ENV, str(delay_s))
    else:
        monkeypatch.delenv(SLOW_ENV, raising=False)
    (tmp_path / "logs").mkdir(parents=True, exist_ok=True)
    cell = Cell("synthetic:28x28x1:10:512", "mnist_cnn", batch_size=32, warmup_steps=5, steps=40, repeats=3,
                min_time_s=0.5,
                timeout_s=600)
    record = run_cell(cell, tmp_path, env={})
    assert record["status"] == "ok", record.get("log_tail")
    assert record["input_efficiency"] == pytest.approx(record["train_img_s"] / record["cached_train_img_s"])
    return record


@pytest.mark.slow  # two real cells, ~40 s
def test_the_input_verdict_follows_the_feed_not_the_machine(tmp_path, monkeypatch):
    """A feed slowed by a sleep per batch cannot pass 32 / 0.05 = 640 img/s (a hard bound, not timing), while
    the model-only measure of that same cell must not be held by the sleep; the native feed of the same
    cell is not held either. No line on the native ratio itself: on a busy 2-core box a native tf.data feed
    can really cost the model 20% (0.77 seen in CI), and that is a finding about the machine, not a bug."""
    pytest.importorskip("tensorflow")
    slowed = _cell_record(tmp_path / "slowed", monkeypatch, 0.05)
    assert max(slowed["train_img_s_runs"]) <= 32 / 0.05 * 1.02, slowed["train_img_s_runs"]
    assert slowed["input_bound"] is True and slowed["cached_train_img_s"] > 2 * slowed["train_img_s"]
    native = _cell_record(tmp_path / "native", monkeypatch, None)
    assert native["train_img_s"] > 2 * slowed["train_img_s"], (native["train_img_s_runs"], slowed)
