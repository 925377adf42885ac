"""Charts of one run (machine) against another, from bench.report.compare's table."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from bench.report.chart import Chart, plt, save_chart, slug
from bench.report.numbers import ratio

SPEED_METRICS = {"train_img_s": "training images/s", "infer_img_s": "inference images/s"}
VERDICT_COLORS = {
    "higher": "tab:green",
    "lower": "tab:red",
    "within noise": "tab:grey",
    "not significant": "tab:orange",
    "too few repeats": "tab:purple",
    "noise not measured": "tab:olive",
}


def draw_compare(table: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Per compared run: a B-vs-A scatter and a ratio chart of the throughput metrics, or why not."""
    out_dir.mkdir(parents=True, exist_ok=True)
    speed = table[table["metric"].isin(SPEED_METRICS) & (table["mode"] == "throughput")]
    if speed.empty:
        return [
            Chart(
                "compare",
                "Throughput of one run against another",
                "",
                skipped="the runs share no ok cell with a throughput measurement",
            )
        ]
    charts = []
    for run, rows in speed.groupby("run", sort=True):
        letter = slug(run.split(":")[0])
        charts.append(_scatter(rows, out_dir, f"compare_{letter}_scatter"))
        charts.append(_ratios(rows, out_dir, f"compare_{letter}_ratios"))
    return charts


def _legend_handles(ax: plt.Axes, verdicts: pd.Series) -> None:
    """A legend of the verdict colours present."""
    for verdict in dict.fromkeys(verdicts):
        ax.scatter([], [], color=VERDICT_COLORS[verdict], label=verdict)
    ax.legend(fontsize=8, title="verdict (noise rule)", title_fontsize=8)


def _scatter(rows: pd.DataFrame, out_dir: Path, name: str) -> Chart:
    """Each common cell as a point (x: baseline, y: other run), log-log, with the y = x line."""
    metrics = [m for m in SPEED_METRICS if (rows["metric"] == m).any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 5.2), squeeze=False)
    base, other = rows["baseline"].iloc[0], rows["run"].iloc[0]
    for ax, metric in zip(axes[0], metrics, strict=True):
        part = rows[rows["metric"] == metric]
        ax.scatter(part["a"], part["b"], c=part["verdict"].map(VERDICT_COLORS), zorder=3)
        lo, hi = min(part["a"].min(), part["b"].min()) / 1.5, max(part["a"].max(), part["b"].max()) * 1.5
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set(
            xscale="log",
            yscale="log",
            xlim=(lo, hi),
            ylim=(lo, hi),
            title=SPEED_METRICS[metric],
            xlabel=f"{_wrap(base)}\n{SPEED_METRICS[metric]}",
            ylabel=f"{_wrap(other)}\n{SPEED_METRICS[metric]}",
        )
        ax.grid(True, which="both", alpha=0.3)
        _legend_handles(ax, part["verdict"])
    caption = (
        "One point per cell measured ok in both runs (same cell_id). Above the dashed line the "
        "second run is faster. Green/red: a difference beyond the repeats' noise; grey: within it; orange: "
        "not significant; purple: too few repeats to test (bench.report.compare)."
    )
    return save_chart(fig, out_dir, name, "Throughput, one run against another", caption)


def _ratios(rows: pd.DataFrame, out_dir: Path, name: str) -> Chart:
    """Ratio other/baseline per cell with its spread over the repeats, log scale, 1 = same."""
    metrics = [m for m in SPEED_METRICS if (rows["metric"] == m).any()]
    n = max((rows["metric"] == m).sum() for m in metrics)
    fig, axes = plt.subplots(1, len(metrics), figsize=(7 * len(metrics), 0.32 * n + 2.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        part = rows[rows["metric"] == metric].sort_values(["pair", "device", "batch_size"])
        labels = (
            part["pair"]
            + " "
            + part["device"]
            + " b"
            + part["batch_size"].astype("Int64").astype(str)
            + " "
            + part["precision"]
            + " threads "
            + part["threads"].astype(str)
        )
        y = np.arange(len(part))
        low = (part["ratio"] - part["ratio_low"]).fillna(0).clip(lower=0)
        high = (part["ratio_high"] - part["ratio"]).fillna(0).clip(lower=0)
        ax.barh(
            y,
            part["ratio"] - 1,
            left=1,
            xerr=[low, high],
            color=part["verdict"].map(VERDICT_COLORS),
            capsize=2,
        )
        ax.set_yticks(y, labels, fontsize=7)
        ax.axvline(1, color="k", lw=1)
        spread = pd.concat([part["ratio_low"], part["ratio_high"], part["ratio"]]).dropna()
        if spread.max() / spread.min() >= 4:
            ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: ratio(v)))
        ax.xaxis.set_minor_formatter(FuncFormatter(_minor_ratio_label))
        ax.set(xlabel=f"{SPEED_METRICS[metric]}: second run / baseline (x)", title=SPEED_METRICS[metric])
        ax.grid(True, axis="x", which="both", alpha=0.3)
        _legend_handles(ax, part["verdict"])
    caption = (
        f"Baseline: {rows['baseline'].iloc[0]}. Second run: {rows['run'].iloc[0]}. Bars: ratio of "
        "medians; whiskers: slowest-to-fastest repeat ratio range."
    )
    return save_chart(fig, out_dir, name, "Speed ratio per cell", caption)


def _minor_ratio_label(value: float, _pos: int) -> str:
    """Minor log ticks labelled only at 2 and 5 times a power of ten (0.2x, 0.5x, 2x, 5x)."""
    text = ratio(value)
    return text if text.lstrip("0.")[:1] in ("2", "5") else ""


def _wrap(label: str, width: int = 55) -> str:
    """A long run label broken into lines of at most width characters for an axis label."""
    return textwrap.fill(label, width)
