"""bench.report.charts: every chart written when its data exists, skipped with a reason otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.report import charts, estimate, tables
from bench.report.chart import Chart, log_if_spread
from bench.report.charts import draw_all, pareto_front
from bench.report.load import load_run, to_frame

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
    # the student trained MNIST for 5 epochs: her epochs, not the recipe's 7, and the recipe's split
    expected = 5 * (n / best["train_img_s"] + n * 0.25 / best["infer_img_s"])
    row = est.loc["mnist/mnist_cnn"]
    assert row["estimate_s"] == pytest.approx(expected)
    assert (row["epochs"], row["epochs_from"]) == (5, estimate.STUDENT)
    assert row["seed_s"] == estimate.SEED_FIGURES_S[("mnist", "mnist_cnn")]


def test_a_pair_the_student_never_trained_uses_the_recipes_epochs(make_run, throughput, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (7, 0.2))
    df = load_run(make_run([throughput("c", 100.0, model="cifar_cnn", dataset="digits")])).df
    row = estimate.estimates(df)[0].iloc[0]
    assert (row["epochs"], row["epochs_from"]) == (7, estimate.RECIPE) and row["seed_s"] is None


def test_the_headline_table_and_the_chart_give_the_same_estimate(monkeypatch, tmp_path):
    """DenseNet121 at the student's 38 epochs in both (the table once said 1.6 d at 50, the chart 29.7 h)."""
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (50, 0.2))
    records = [_densenet("dn-b16", 3.0, batch_size=16), _densenet("dn-b32", 3.4, batch_size=32)]
    df = to_frame(records, [])
    shown: dict[str, list[str]] = {}

    def capture(fig, out_dir, name, title, caption):
        shown[name] = [t.get_text().strip() for t in fig.axes[0].texts]
        return Chart(name, title, caption)

    monkeypatch.setattr(charts, "save_chart", capture)
    charts.full_training_time(df, tmp_path)
    table = tables.headline(df).set_index("device")
    row = estimate.estimates(df)[0].iloc[0]
    assert row["epochs"] == 38
    figure = estimate.human_seconds(row["estimate_s"])
    assert table.loc["cpu", "full training (est.)"] == f"{figure} at 38 epochs"
    assert figure in shown["full_training"]  # the bar's label
    student = estimate.SEED_FIGURES_S[("galaxy10", "densenet121")]
    assert shown["full_training"][0] == estimate.human_seconds(student)  # the student's own bar first


def _densenet(cell_id: str, img_s: float, **fields: object) -> dict:
    """A made-up ok throughput record of DenseNet121 on the real Galaxy10 DECaLS."""
    return {"cell_id": cell_id, "status": "ok", "dataset": "galaxy10", "model": "densenet121",
            "device": "cpu", "mode": "throughput", "threads": "auto", "precision": "float32",
            "pipeline": "memory", "synthetic": False, "full_epoch_examples": 14188, "train_img_s": img_s,
            "infer_img_s": 3 * img_s, **fields}


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
