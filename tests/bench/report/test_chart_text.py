"""What a reader sees in the charts: numbers as people write them, a legend clear of the axis labels,
and lines at the same memory told apart (on the committed example run's data, results/example/quick)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from matplotlib.text import Text

from bench.report import charts
from bench.report.chart import Chart, plt, readable_axes
from bench.report.load import load_run

QUICK = Path(__file__).resolve().parents[3] / "results" / "example" / "quick"
EXPONENT = re.compile(r"\d[eE][+-]?\d|10\^|\\times|\$")


@pytest.fixture(scope="module")
def quick_df():
    return load_run(QUICK).df


def _texts(fig: plt.Figure) -> list[str]:
    """Every text a reader sees in fig (titles, labels, annotations, tick labels), once drawn."""
    readable_axes(fig)
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def test_no_chart_of_the_example_run_shows_an_exponent(quick_df, tmp_path, monkeypatch):
    seen: dict[str, list[str]] = {}

    def capture(fig, out_dir, name, title, caption):
        seen[name] = _texts(fig)
        plt.close(fig)
        return Chart(name, title, caption)

    for name, module in list(sys.modules.items()):
        if name.startswith("bench.report.") and hasattr(module, "save_chart"):
            monkeypatch.setattr(module, "save_chart", capture)
    charts.draw_all(quick_df, tmp_path)
    assert {"throughput_by_pair", "memory", "throughput_mnist_mnist_cnn"} <= set(seen)
    for name, texts in seen.items():
        assert not [t for t in texts if EXPONENT.search(t)], name
    labels = seen["throughput_by_pair"]
    infer = quick_df["infer_img_s"].max()  # MNIST inference, 27,984 images/s: once "2.798e+04"
    assert f" {infer:,.0f}" in labels and " 53.7" in labels  # galaxy_cnn training, three digits
    assert "1,000" in labels  # a log axis's ticks are plain numbers, not 10^3


def test_memory_legend_clears_the_axis_labels(quick_df):
    fig, _ = charts.memory_figure(quick_df)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    for label in (ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels()):
        assert not legend.overlaps(label.get_window_extent(renderer)), label.get_text()
    assert not legend.overlaps(ax.get_window_extent(renderer))  # nor the lines themselves
    plt.close(fig)


def test_memory_lines_at_the_same_height_are_told_apart(quick_df):
    fig, _ = charts.memory_figure(quick_df)
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
    styles = [(ln.get_marker(), ln.get_linestyle(), ln.get_color()) for ln in lines]
    assert len(lines) == 7 and len(set(styles)) == len(styles)
    at_32 = sorted(x for ln in lines for x in ln.get_xdata() if 24 < x < 43)  # nudged around batch 32
    assert len(at_32) == len(set(at_32)) == 7 and at_32[0] < 32 < at_32[-1]
    near = [ln for ln in lines if all(800 < y < 1000 for y in ln.get_ydata())]
    assert len(near) >= 3  # the lines this is for: several at the same ~850-930 MB
    plt.close(fig)


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_dodge_is_centred_and_bounded(n):
    offsets = [charts.dodge(i, n) for i in range(n)]
    assert sum(offsets) == pytest.approx(0)
    assert max(offsets) - min(offsets) == pytest.approx(charts.DODGE_OCTAVES if n > 1 else 0)
