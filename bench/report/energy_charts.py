"""The energy chart: training joules per image and images per kWh of every metered cell.

pyplot comes from bench.report.chart, which chose the Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import EngFormatter

from bench.report.chart import Chart, log_if_spread, plt, save_chart
from bench.report.cost import energy_table, unavailable_reasons
from bench.report.numbers import number

CAPTION = (
    "Training energy per image of every cell with an energy source: RAPL counts the whole CPU package "
    "(every process on it, not only the cell) and NVML the whole GPU. Throughput cells are metered over "
    "their timed steps, train and budget cells over the whole fit (validation included)."
)


def energy_per_image(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Bars of train J/img and images/kWh per metered cell, or skipped with the records' reasons."""
    table = energy_table(df)
    if table.empty:
        why = "no cell measured energy: " + ("; ".join(unavailable_reasons(df)) or "no ok cell")
        return [Chart("energy", "Training energy per image", CAPTION, skipped=why)]
    table = table.iloc[::-1]
    labels = (table["pair"] + " " + table["mode"] + " — " + table["setting"]).to_list()
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(table) + 1.8), sharey=True)
    y = np.arange(len(table))
    count = EngFormatter(sep="")  # 18,000,000 images -> "18M"
    for ax, col, xlabel, color, text in (
        (axes[0], "J/img", "training energy per image (J, lower is better)", "tab:red", _joules),
        (axes[1], "images/kWh", "training images per kWh (higher is better)", "tab:green", count),
    ):
        ax.barh(y, table[col], color=color)
        for yi, v in zip(y, table[col], strict=True):
            ax.annotate(f" {text(v)}", (v, yi), va="center", fontsize=8)
        log_if_spread(ax, table[col], "x")
        ax.margins(x=0.15)  # room for the value labels
        if col == "images/kWh":
            ax.xaxis.set_major_formatter(count)
        ax.set_xlabel(xlabel)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    axes[0].set_yticks(y, labels, fontsize=8)
    return [save_chart(fig, out_dir, "energy", "Training energy per image", CAPTION)]


def _joules(value: float) -> str:
    """'0.0123 J' (bench.report.numbers)."""
    return f"{number(value)} J"
