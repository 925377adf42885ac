"""The Keras-backend chart: per pair, training and inference images/s on each backend, and each
backend's ratio to TensorFlow at otherwise identical settings (same device, batch, precision, threads,
jit_compile, pipeline, ...). A record that names no backend ran on TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.config.record import CONFIG_FIELDS
from bench.report.chart import Chart, ok_rows, plt, save_chart, slug

REFERENCE = "tensorflow"
# Config fields that tell two cells' settings apart, besides the backend (run-only fields left out).
SETTING_KEYS = [k for k in CONFIG_FIELDS if k not in ("backend", "timeout_s", "oversubscribe")]
CAPTION = (
    "Median images/s over the timed repeats on each Keras backend; the label over each bar is its ratio "
    "to TensorFlow with every other setting equal (none where TensorFlow has no such cell). jit_compile "
    "means XLA on TensorFlow, jax.jit on JAX (false: op by op) and torch.compile on PyTorch."
)


def backend_table(df: pd.DataFrame) -> pd.DataFrame:
    """Ok throughput rows with their settings label and train/infer ratios to the TensorFlow twin."""
    ok = ok_rows(df, "throughput").copy()
    ok = ok[ok["train_img_s"].notna() | ok["infer_img_s"].notna()]
    ok["backend"] = ok["backend"].fillna(REFERENCE)
    if ok.empty:
        return ok.assign(settings=[], train_ratio=[], infer_ratio=[], label=[])
    ok["settings"] = [repr(values) for values in ok[SETTING_KEYS].map(str).itertuples(index=False)]
    ref = ok[ok["backend"] == REFERENCE].drop_duplicates("settings").set_index("settings")
    for metric in ("train", "infer"):
        twin = ok["settings"].map(ref[f"{metric}_img_s"])
        ok[f"{metric}_ratio"] = ok[f"{metric}_img_s"] / twin
    ok["label"] = ok.apply(_settings_label, axis=1)
    return ok


def _settings_label(row: pd.Series) -> str:
    """'cpu b32 float32 t1 jit memory': what the cells of one bar group share."""
    jit = "jit" if str(row["jit_compile"]) == "True" else "no-jit"
    batch = int(row["batch_size"])
    return f"{row['device']} b{batch} {row['precision']} t{row['threads']} {jit} {row['pipeline']}"


def backend_comparison(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """One chart per pair measured on two or more backends: grouped bars per setting, one per backend."""
    table = backend_table(df)
    pairs = [p for p, rows in table.groupby("pair", sort=True) if rows["backend"].nunique() >= 2]
    if not pairs:
        why = "no pair has ok throughput cells on two or more Keras backends"
        return [Chart("backends", "Keras backends compared", CAPTION, skipped=why)]
    return [_pair_chart(table[table["pair"] == pair], pair, out_dir) for pair in pairs]


def _pair_chart(rows: pd.DataFrame, pair: str, out_dir: Path) -> Chart:
    """Train and inference bars for one pair."""
    backends = sorted(rows["backend"].unique(), key=lambda b: (b != REFERENCE, b))
    labels = list(dict.fromkeys(rows["label"]))
    metrics = [m for m in ("train", "infer") if rows[f"{m}_img_s"].notna().any()]
    width_in = max(6.0, 1.1 * len(labels) * len(backends))
    fig, axes = plt.subplots(1, len(metrics), figsize=(width_in * len(metrics), 4.5), squeeze=False)
    width = 0.8 / len(backends)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for j, backend in enumerate(backends):
            columns = [f"{metric}_img_s", f"{metric}_ratio"]
            part = rows[rows["backend"] == backend].groupby("label")[columns].max().reindex(labels)
            x = np.arange(len(labels)) + j * width
            ax.bar(x, part[f"{metric}_img_s"], width, label=backend)
            for xi, v, r in zip(x, part[f"{metric}_img_s"], part[f"{metric}_ratio"], strict=True):
                if v == v and r == r:
                    ax.annotate(f"{r:.2f}x", (xi, v), xytext=(0, 2), textcoords="offset points", ha="center",
                                fontsize=8)
        ticks = np.arange(len(labels)) + width * (len(backends) - 1) / 2
        ax.set_xticks(ticks, labels, rotation=15, ha="right", fontsize=8)
        ax.set_ylabel(f"{'training' if metric == 'train' else 'inference'} images/s")
        ax.set_title(("training" if metric == "train" else "inference") + " (label: ratio to tensorflow)")
        ax.legend(title="backend", fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
    title = f"Keras backends: {pair}"
    return save_chart(fig, out_dir, f"backends_{slug(pair)}", title, CAPTION)
