"""bench.report.charts: every chart written when its data exists, skipped with a reason otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.report import estimate
from bench.report.chart import log_if_spread
from bench.report.charts import draw_all, pareto_front
from bench.report.load import load_run

EXPECTED = {
    "full_training",
    "throughput_by_pair",
    "throughput_mnist_mnist_cnn",
    "throughput_galaxy10_densenet121",
    "mixed_precision",
    "threads_mnist_mnist_cnn",
    "memory",
    "peak_fraction",
    "accuracy_vs_time",
    "curves_train-a",
    "curves_train-b",
    "curves_budget-a",
    "curves_syn-train",
    "confusion_train-a",
    "confusion_train-b",
    "confusion_budget-a",
}


def test_every_chart_with_data_is_written_as_png_and_svg(sample_report):
    drawn = {c.name: c for c in sample_report.charts if c.skipped is None}
    assert set(drawn) == EXPECTED
    for chart in drawn.values():
        assert chart.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in chart.svg.read_bytes()[:500]
        assert chart.title and chart.caption


def test_no_confusion_matrix_for_synthetic_data(sample_report):
    names = {c.name for c in sample_report.charts}
    assert "confusion_syn-train" not in names


def test_charts_without_data_are_skipped_not_drawn_empty(make_run, throughput, tmp_path):
    failed = [
        {
            **throughput("f1", 1.0),
            "status": "oom",
            "train_img_s": None,
            "infer_img_s": None,
            "peak_rss_mb": None,
            "peak_fraction": None,
        }
    ]
    charts = draw_all(load_run(make_run(failed)).df, tmp_path / "charts")
    assert charts and all(c.skipped and c.png is None for c in charts)
    assert list((tmp_path / "charts").iterdir()) == []


def test_full_training_skipped_when_the_recipe_is_unknown(make_run, tmp_path, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: "models.registry is not available (test)")
    charts = {c.name: c for c in draw_all(load_run(make_run()).df, tmp_path / "charts")}
    assert "models.registry is not available" in charts["full_training"].skipped


def test_full_training_estimate_follows_the_formula(make_run, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (7, 0.2))
    df = load_run(make_run()).df
    est = estimate.estimates(df)[0].set_index("pair")
    tp = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    best = tp.loc[tp["train_img_s"].idxmax()]
    n = best["full_epoch_examples"]
    expected = 7 * (n / best["train_img_s"] + n * 0.25 / best["infer_img_s"])
    assert est.loc["mnist/mnist_cnn", "estimate_s"] == pytest.approx(expected)
    assert est.loc["mnist/mnist_cnn", "seed_s"] == estimate.SEED_FIGURES_S[("mnist", "mnist_cnn")]
    # next to the seed's time: the estimate at the seed's own epochs (5 for mnist_cnn), not the recipe's 7
    assert est.loc["mnist/mnist_cnn", "seed_epochs_estimate_s"] == pytest.approx(expected * 5 / 7)


def test_densenet_is_compared_at_the_38_epochs_the_seed_trained():
    assert estimate.SEED_EPOCHS[("galaxy10", "densenet121")] == 38
    assert set(estimate.SEED_EPOCHS) == set(estimate.SEED_FIGURES_S)


def test_pareto_front_keeps_only_undominated_points():
    t = np.array([30.0, 40.0, 50.0, 120.0, 60.0])
    acc = np.array([0.90, 0.95, 0.93, 0.98, 0.95])
    assert list(pareto_front(t, acc)) == [0, 1, 3]


@pytest.mark.parametrize(("values", "scale"), [([1, 10, 1000], "log"), ([1, 2, 5], "linear")])
def test_log_axis_only_when_data_spans_decades(values, scale):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    log_if_spread(ax, pd.Series(values))
    assert ax.get_yscale() == scale
    plt.close(fig)


def test_memory_chart_gets_a_gpu_panel_only_with_gpu_measurements(make_run, throughput, tmp_path):
    cpu = throughput("c", 100.0)
    gpu = {**throughput("g", 900.0, device="gpu:0"), "gpu_peak_mb": 2048.0}  # made-up GPU cell
    without = {c.name: c for c in draw_all(load_run(make_run([cpu], name="a")).df, tmp_path / "a")}
    with_gpu = {c.name: c for c in draw_all(load_run(make_run([cpu, gpu], name="b")).df, tmp_path / "b")}
    assert "No GPU memory was measured" in without["memory"].caption
    assert "No GPU memory was measured" not in with_gpu["memory"].caption


def test_one_batch_size_is_not_drawn_as_a_line(make_run, throughput, tmp_path):
    charts = {c.name: c for c in draw_all(load_run(make_run([throughput("one", 50.0)])).df, tmp_path)}
    assert "one batch size measured for mnist/mnist_cnn (batch 32)" in charts["throughput_vs_batch"].skipped
    assert charts["throughput_by_pair"].skipped is None


def test_best_setting_labels_name_a_backend_or_strategy_that_is_not_the_default():
    import pandas as pd

    from bench.report.charts import _setup_suffix

    rows = pd.DataFrame({"backend": ["tensorflow", "torch", "tensorflow"],
                         "strategy": ["none", "none", "mirrored"], "replicas": [1, 1, 2]})
    assert _setup_suffix(rows).to_list() == ["", " (torch)", " (mirrored x2)"]
