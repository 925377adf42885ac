"""bench.report.backend_charts on made-up records (every number here is test input, not a measurement)."""

from __future__ import annotations

import math

from bench.report.backend_charts import backend_comparison, backend_table
from bench.report.chart import ok_rows
from bench.report.charts import CHARTS, _precision_ratios, backends, draw_all
from bench.report.load import load_run


def _records(throughput):
    """tensorflow/torch/jax twins at batch 32, a torch cell at batch 64 with no tensorflow twin, and an
    old record without a backend field (it ran on tensorflow)."""
    old = throughput("old-tf-b64", 800.0, batch_size=64)
    return [
        throughput("tf-b32", 1000.0, backend="tensorflow"),
        throughput("torch-b32", 500.0, backend="torch"),
        throughput("jax-b32", 250.0, backend="jax"),
        throughput("torch-b16", 300.0, backend="torch", batch_size=16),
        old,
    ]


def test_ratios_to_the_tensorflow_twin(make_run, throughput):
    table = backend_table(load_run(make_run(_records(throughput))).df).set_index("cell_id")
    assert table.loc["torch-b32", "train_ratio"] == 0.5 and table.loc["jax-b32", "train_ratio"] == 0.25
    assert table.loc["torch-b32", "infer_ratio"] == 0.5  # the fixture's inference is 3x training
    assert table.loc["tf-b32", "train_ratio"] == 1.0 and table.loc["old-tf-b64", "backend"] == "tensorflow"
    assert math.isnan(table.loc["torch-b16", "train_ratio"])  # no tensorflow cell at batch 16
    assert table.loc["torch-b32", "label"] == "cpu b32 float32 tauto no-jit memory"


def test_chart_per_pair_with_two_backends(make_run, throughput, tmp_path):
    df = load_run(make_run(_records(throughput))).df
    (tmp_path / "charts").mkdir()
    (chart,) = backend_comparison(df, tmp_path / "charts")
    assert chart.skipped is None and chart.name == "backends_mnist_mnist_cnn"
    assert chart.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in chart.svg.read_bytes()[:500]
    assert "backends_mnist_mnist_cnn" in {c.name for c in draw_all(df, tmp_path / "all") if c.skipped is None}
    assert backends in CHARTS


def test_one_backend_only_is_skipped_with_a_reason(make_run, throughput, tmp_path):
    df = load_run(make_run([throughput("a", 1.0), throughput("b", 2.0, batch_size=64)])).df
    (tmp_path / "charts").mkdir()
    (chart,) = backend_comparison(df, tmp_path / "charts")
    assert chart.png is None and "two or more Keras backends" in chart.skipped
    assert list((tmp_path / "charts").iterdir()) == []


def test_mixed_precision_twins_are_matched_within_one_backend(make_run, throughput):
    records = [throughput("tf32", 100.0), throughput("tf16", 50.0, precision="mixed_float16"),
               throughput("torch32", 10.0, backend="torch")]
    ratios = _precision_ratios(ok_rows(load_run(make_run(records)).df, "throughput"))
    assert list(ratios["train"]) == [0.5]  # not 50 / 10 against the torch float32 cell
