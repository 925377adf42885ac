"""What every chart module shares: the Chart result, matplotlib on Agg, saving as PNG and SVG, and small
helpers. The chart modules (charts, backend_charts, scaling_charts, energy_charts, compare_charts) import
this one; none imports another, except bench.report.charts, which lists them all (CHARTS).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogFormatter, ScalarFormatter  # noqa: E402

from bench import atomic  # noqa: E402
from bench.report.numbers import number  # noqa: E402

DECADES_FOR_LOG = 20  # max/min ratio from which an axis goes logarithmic


@dataclass(frozen=True)
class Chart:
    """One chart: its files, or why it was not drawn."""

    name: str
    title: str
    caption: str
    png: Path | None = None
    svg: Path | None = None
    skipped: str | None = None


def slug(text: str) -> str:
    """A file-name-safe version of text."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def save_chart(fig: plt.Figure, out_dir: Path, name: str, title: str, caption: str) -> Chart:
    """Write fig as PNG and SVG, each atomically (drawn in memory, then bench.atomic: a full disk leaves
    no truncated chart, and the error names the file), and close it."""
    readable_axes(fig)
    fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.tight_layout()
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    try:
        for path, options in ((png, {"format": "png", "dpi": 100}), (svg, {"format": "svg"})):
            buffer = io.BytesIO()
            fig.savefig(buffer, bbox_inches="tight", **options)
            atomic.write_bytes(path, buffer.getvalue())
    finally:
        plt.close(fig)
    return Chart(name, title, caption, png, svg)


class PlainLogFormatter(LogFormatter):
    """A log axis's tick labels as people write numbers (1,000 and 0.01, not 10^3 and 10^-2)."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return number(x)


def readable_axes(fig: plt.Figure) -> None:
    """Every axis still on matplotlib's default number formatter labelled with bench.report.numbers
    (no 1e4 offsets, no 10^3); axes a chart formatted itself ('2x') are left alone."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            major, minor = axis.get_major_formatter(), axis.get_minor_formatter()
            if type(major) is ScalarFormatter:
                axis.set_major_formatter(FuncFormatter(lambda v, _: number(v)))
            for set_formatter, old in ((axis.set_major_formatter, major), (axis.set_minor_formatter, minor)):
                if isinstance(old, LogFormatter) and not isinstance(old, PlainLogFormatter):
                    set_formatter(PlainLogFormatter(old._base, old.labelOnlyBase, old.minor_thresholds))


def ok_rows(df: pd.DataFrame, *modes: str) -> pd.DataFrame:
    """The ok rows of the given modes."""
    return df[(df["status"] == "ok") & df["mode"].isin(modes)]


def log_if_spread(ax: plt.Axes, values: pd.Series | list[float], axis: str = "y") -> None:
    """Logarithmic axis when the positive values span more than DECADES_FOR_LOG x."""
    v = pd.Series(values, dtype=float).dropna()
    v = v[v > 0]
    if len(v) and v.max() / v.min() >= DECADES_FOR_LOG:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")


def pair_label(pair: str, rows: pd.DataFrame) -> str:
    """'galaxy10/densenet121' plus '(synthetic data)' when its cells ran on synthetic data."""
    if rows["synthetic"].all():
        return f"{pair} (synthetic data of the real shape)"
    return pair
