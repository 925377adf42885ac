"""The report's charts (matplotlib, Agg): each written as PNG and SVG, or skipped with a reason.

A chart whose data is absent is never drawn empty: it comes back as a Chart with ``skipped`` set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bench.report.backend_charts import backend_comparison
from bench.report.chart import Chart, log_if_spread, ok_rows, pair_label, plt, save_chart, slug
from bench.report.energy_charts import energy_per_image
from bench.report.estimate import SEED_MACHINE, STUDENT_DESKTOP, estimates, human_seconds
from bench.report.machines import machine_speed
from bench.report.numbers import number, ratio
from bench.report.scaling_charts import scaling as scaling_chart

RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def draw_all(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Every chart of the report for one run's DataFrame, into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts: list[Chart] = []
    for draw in CHARTS:
        charts.extend(draw(df, out_dir))
    return charts


def _batch_axis(ax: plt.Axes, batches: pd.Series) -> None:
    """Log-2 batch-size axis ticked at the measured batch sizes, labelled as plain numbers."""
    ax.set_xscale("log", base=2)
    ticks = sorted(int(b) for b in batches.dropna().unique())
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def throughput_vs_batch(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Per pair: train and inference images/s vs batch size, one line per device x precision."""
    caption = (
        "Median images/s over the timed repeats (bars: slowest to fastest repeat), best over the "
        "other settings (threads, pipeline, jit, backend, strategy) at each batch size."
    )
    ok = ok_rows(df, "throughput")
    ok = ok[ok["train_img_s"].notna() | ok["infer_img_s"].notna()]
    if ok.empty:
        return [Chart("throughput", "Throughput vs batch size", caption, skipped="no ok throughput cells")]
    charts, single = [], []
    for pair, rows in ok.groupby("pair", sort=True):
        if rows["batch_size"].nunique() < 2:
            single.append(f"{pair} (batch {int(rows['batch_size'].iloc[0])})")
            continue
        metrics = [m for m in ("train", "infer") if rows[f"{m}_img_s"].notna().any()]
        fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 4.2), squeeze=False)
        for ax, metric in zip(axes[0], metrics, strict=True):
            _throughput_lines(ax, rows, metric)
        title = f"Throughput vs batch size: {pair_label(pair, rows)}"
        charts.append(save_chart(fig, out_dir, f"throughput_{slug(pair)}", title, caption))
    if single:
        why = "one batch size measured for " + ", ".join(single) + " (see the throughput-per-pair chart)"
        charts.append(Chart("throughput_vs_batch", "Throughput vs batch size", caption, skipped=why))
    return charts


def throughput_by_pair(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Best training and inference images/s of every pair on every device and precision, side by side."""
    caption = (
        "Best median images/s per pair, device and precision over the measured settings (whiskers: slowest "
        "to fastest repeat of that setting). Synthetic data of the real shape measures speed only."
    )
    ok = ok_rows(df, "throughput")
    ok = ok[ok["train_img_s"].notna()]
    if ok.empty:
        return [Chart("throughput_by_pair", "Throughput per pair", caption, skipped="no ok throughput cells")]
    best = ok.loc[ok.groupby(["pair", "device", "precision"])["train_img_s"].idxmax()].iloc[::-1]
    labels = _pair_names(best) + " " + best["device"] + " " + best["precision"] + _setup_suffix(best)
    labels = labels.to_list()
    metrics = [m for m in ("train", "infer") if best[f"{m}_img_s"].notna().any()]
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(6.5 * len(metrics), 0.5 * len(best) + 1.8), squeeze=False, sharey=True
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        col = f"{metric}_img_s"
        low = (best[col] - best[f"{col}_min"].fillna(best[col])).clip(lower=0)
        high = (best[f"{col}_max"].fillna(best[col]) - best[col]).clip(lower=0)
        y = np.arange(len(best))
        ax.barh(
            y, best[col], xerr=[low, high], capsize=3, color="tab:blue" if metric == "train" else "tab:green"
        )
        for yi, v in zip(y, best[col], strict=True):
            if v == v:
                ax.annotate(f" {number(v)}", (v, yi), va="bottom", fontsize=8)
        ax.set_yticks(y, labels, fontsize=8)
        log_if_spread(ax, best[col], "x")
        ax.set(
            xlabel=f"{'training' if metric == 'train' else 'inference'} throughput (images/s)",
            title="training" if metric == "train" else "inference",
        )
        ax.grid(True, axis="x", which="both", alpha=0.3)
    return [save_chart(fig, out_dir, "throughput_by_pair", "Throughput per pair", caption)]


def _setup_suffix(rows: pd.DataFrame) -> pd.Series:
    """' (torch)', ' (mirrored x2)' where a best setting is not single-process TensorFlow, else ''."""
    backend = rows["backend"].where(rows["backend"] != "tensorflow", "")
    strategy = rows["strategy"].where(rows["strategy"] == "none", rows["strategy"] + " x" +
                                      rows["replicas"].astype("Int64").astype(str)).replace("none", "")
    parts = (backend + " " + strategy).str.strip()
    return parts.where(parts == "", " (" + parts + ")")


def _pair_names(rows: pd.DataFrame) -> pd.Series:
    """Each row's pair, with ' (synthetic)' for synthetic data."""
    return rows["pair"] + rows["synthetic"].map({True: " (synthetic)", False: ""})


def _throughput_lines(ax: plt.Axes, rows: pd.DataFrame, metric: str) -> None:
    """One line per device x precision of metric_img_s vs batch size, with repeat ranges."""
    col = f"{metric}_img_s"
    data = rows[rows[col].notna()]
    for (device, precision), line in data.groupby(["device", "precision"], sort=True):
        best = line.loc[line.groupby("batch_size")[col].idxmax()].sort_values("batch_size")
        low = (best[col] - best[f"{col}_min"].fillna(best[col])).clip(lower=0)
        high = (best[f"{col}_max"].fillna(best[col]) - best[col]).clip(lower=0)
        ax.errorbar(
            best["batch_size"],
            best[col],
            yerr=[low, high],
            marker="o",
            capsize=3,
            label=f"{device} {precision}",
        )
    _batch_axis(ax, data["batch_size"])
    ax.set_xlabel("batch size (images)")
    ax.set_ylabel(f"{'training' if metric == 'train' else 'inference'} throughput (images/s)")
    ax.set_title("training" if metric == "train" else "inference")
    log_if_spread(ax, data[col])
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="device precision", fontsize=8)


def thread_scaling(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Per pair: training speedup and parallel efficiency vs intra-op thread count."""
    caption = (
        "Speedup = images/s at N threads / images/s at the fewest threads measured; efficiency = "
        "speedup / (N / fewest). The dashed line is ideal linear scaling."
    )
    ok = ok_rows(df, "throughput")
    ok = ok[ok["threads"].str.isdigit() & ok["train_img_s"].notna()].copy()
    ok["n_threads"] = ok["threads"].astype(int)
    keys = ["device", "precision", "batch_size", "pipeline", "jit_compile", "strategy", "replicas", "backend"]
    charts = []
    for pair, rows in ok.groupby("pair", sort=True):
        series = [
            (k, g.groupby("n_threads")["train_img_s"].median())
            for k, g in rows.groupby(keys, sort=True, dropna=False)
            if g["n_threads"].nunique() >= 2
        ]
        if not series:
            continue
        fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(11, 4.2))
        top = 1
        for key, s in series:
            label = f"{key[0]} {key[1]} batch {int(key[2])}"
            base_n, base = s.index[0], s.iloc[0]
            speedup = s / base
            ax_s.plot(s.index, speedup, marker="o", label=label)
            ax_e.plot(s.index, speedup / (s.index / base_n), marker="o", label=label)
            top = max(top, s.index.max() / base_n)
        ax_s.plot([1, top], [1, top], "k--", lw=1, label="ideal")
        threads = sorted(rows["n_threads"].unique())
        for ax in (ax_s, ax_e):
            ax.set_xticks(threads, [str(t) for t in threads])
        ax_s.set(xlabel="intra-op threads", ylabel="speedup (x)", title="speedup")
        ax_e.axhline(1, color="k", ls="--", lw=1)
        ax_e.set(
            xlabel="intra-op threads",
            ylabel="parallel efficiency (fraction of ideal)",
            title="parallel efficiency",
            ylim=(0, 1.15),
        )
        for ax in (ax_s, ax_e):
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        charts.append(
            save_chart(
                fig,
                out_dir,
                f"threads_{slug(pair)}",
                f"Thread scaling (training): {pair_label(pair, rows)}",
                caption,
            )
        )
    if not charts:
        return [
            Chart(
                "threads",
                "Thread scaling",
                caption,
                skipped="no pair was measured at two or more explicit thread counts",
            )
        ]
    return charts


def mixed_precision(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Mixed-precision images/s over float32 at otherwise identical settings, per pair and device."""
    caption = (
        "Ratio of images/s with a mixed-precision policy over float32 with every other setting "
        "equal (median over matched cells; bars: range). Above 1 is a speedup, below 1 a slowdown."
    )
    ratios = _precision_ratios(ok_rows(df, "throughput"))
    if ratios.empty:
        return [
            Chart(
                "mixed_precision",
                "Mixed-precision speedup",
                caption,
                skipped="no mixed-precision cell has a float32 twin with the same settings",
            )
        ]
    metrics = [m for m in ("train", "infer") if ratios[m].notna().any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.5 * len(metrics), 4.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        stats = ratios.groupby(["group", "precision"])[metric].agg(["median", "min", "max"]).dropna()
        groups = list(dict.fromkeys(stats.index.get_level_values(0)))
        precisions = sorted(set(stats.index.get_level_values(1)))
        width = 0.8 / len(precisions)
        for j, prec in enumerate(precisions):
            part = stats.xs(prec, level="precision").reindex(groups)
            x = np.arange(len(groups)) + j * width
            err = [part["median"] - part["min"], part["max"] - part["median"]]
            bars = ax.bar(x, part["median"] - 1, width, bottom=1, label=prec)
            ax.errorbar(x, part["median"], yerr=err, fmt="o", color="black", capsize=3, ms=3)
            for xi, v in zip(x, part["median"], strict=True):
                if v == v:
                    ax.annotate(
                        ratio(v),
                        (xi + width / 2, v),
                        xytext=(3, 0),
                        textcoords="offset points",
                        ha="left",
                        va="center",
                        fontsize=8,
                        color=bars.patches[0].get_facecolor(),
                    )
        ax.axhline(1, color="k", lw=1)
        ax.set_yscale("log")
        low, high = min(stats["min"].min(), 1), max(stats["max"].max(), 1)
        ax.set_ylim(low / 1.6, high * 1.6)
        ticks = [t for t in RATIO_TICKS if low / 1.6 <= t <= high * 1.6]
        ax.set_yticks(ticks, [ratio(t) for t in ticks])
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_xlim(-0.6, max(len(groups), 2) - 0.4)
        ax.set_xticks(
            np.arange(len(groups)) + width * (len(precisions) - 1) / 2,
            groups,
            rotation=20,
            ha="right",
            fontsize=8,
        )
        ax.set_ylabel(f"{'training' if metric == 'train' else 'inference'} speed vs float32 (x, log)")
        ax.set_title("training" if metric == "train" else "inference")
        ax.legend(title="policy", fontsize=8)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    return [save_chart(fig, out_dir, "mixed_precision", "Mixed precision vs float32", caption)]


def _precision_ratios(ok: pd.DataFrame) -> pd.DataFrame:
    """Rows of (group 'pair on device', precision, train ratio, infer ratio) for matched cell twins."""
    keys = ["pair", "device", "batch_size", "threads", "pipeline", "jit_compile", "synthetic", "strategy",
            "replicas", "backend"]
    f32 = ok[ok["precision"] == "float32"]
    mixed = ok[ok["precision"] != "float32"]
    merged = mixed.merge(f32, on=keys, suffixes=("", "_f32"))
    return pd.DataFrame(
        {
            "group": merged["pair"] + " on " + merged["device"],
            "precision": merged["precision"],
            "train": merged["train_img_s"] / merged["train_img_s_f32"],
            "infer": merged["infer_img_s"] / merged["infer_img_s_f32"],
        }
    )


MEMORY_CAPTION = (
    "Peak resident memory of the cell's process (the kernel's high-water mark, VmHWM) and, with a "
    "GPU, peak memory TensorFlow allocated on it; highest over other settings at each batch size. "
    "Each line has its own marker, and lines are nudged sideways around each batch size so that "
    "lines at the same memory stay apart (the ticks mark the batch sizes)."
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
LINESTYLES = ("-", "--", ":", "-.")
DODGE_OCTAVES = 0.4  # total sideways spread of the lines around a batch size, in octaves (log2 units)


def memory_vs_batch(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Peak host memory (and GPU memory where measured) vs batch size, per pair, mode, device, precision."""
    drawn = memory_figure(df)
    if drawn is None:
        why = "no memory measurements"
        return [Chart("memory", "Peak memory vs batch size", MEMORY_CAPTION, skipped=why)]
    fig, gpu = drawn
    note = "" if gpu else " No GPU memory was measured in this run."
    return [save_chart(fig, out_dir, "memory", "Peak memory vs batch size", MEMORY_CAPTION + note)]


def memory_figure(df: pd.DataFrame) -> tuple[plt.Figure, bool] | None:
    """The memory chart's figure and whether it has a GPU panel (None when nothing was measured): one line
    per pair, mode, device and precision, each with its own marker and a small sideways offset, and one
    legend right of the panels, clear of every axis label."""
    ok = df[(df["status"] == "ok") & df["batch_size"].notna()]
    panels = [(c, t) for c, t in (("peak_rss_mb", "host (peak RSS)"), ("gpu_peak_mb", "GPU (peak allocated)"))
              if ok[c].notna().any()]
    if not panels:
        return None
    keys = ["pair", "synthetic", "mode", "device", "precision"]
    lines = sorted({tuple(k) for k in ok[keys].itertuples(index=False)}, key=str)
    legend_width = 4.5  # inches right of the panels for the legend
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels) + legend_width, 4.5), squeeze=False)
    handles: dict[str, object] = {}
    for ax, (col, title) in zip(axes[0], panels, strict=True):
        rows = ok[ok[col].notna()]
        for key, line in rows.groupby(keys, sort=True):
            k = lines.index(tuple(key))
            best = line.groupby("batch_size")[col].max()
            x = best.index.to_numpy(float) * 2 ** dodge(k, len(lines))
            label = f"{key[0]}{' (synthetic)' if key[1] else ''} {key[2]} {key[3]} {key[4]}"
            (handles[label],) = ax.plot(x, best.values, color=f"C{k % 10}", marker=MARKERS[k % len(MARKERS)],
                                        linestyle=LINESTYLES[(k // len(MARKERS)) % len(LINESTYLES)],
                                        markersize=6, alpha=0.85, label=label)
        _batch_axis(ax, rows["batch_size"])
        log_if_spread(ax, rows[col])
        if ax.get_yscale() == "linear":
            ax.set_ylim(bottom=0)
        ax.set(xlabel="batch size (images)", ylabel="peak memory (MB)", title=title)
        ax.grid(True, which="major", alpha=0.3)
    axes[0][-1].legend(handles.values(), handles.keys(), fontsize=7, title="pair, mode, device, precision",
                       title_fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return fig, "gpu_peak_mb" in dict(panels)


def dodge(k: int, n: int) -> float:
    """Line k of n's sideways offset in octaves: spread evenly over DODGE_OCTAVES, centred on zero."""
    if n < 2:
        return 0.0
    return (k - (n - 1) / 2) * DODGE_OCTAVES / (n - 1)


def accuracy_vs_time(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Test accuracy vs training wall time of train/budget cells, with each pair's Pareto front."""
    caption = (
        "Each point is one train or budget cell on real data. The line joins each pair's Pareto "
        "front: no other setting of that pair is both faster and more accurate."
    )
    rows = ok_rows(df, "train", "budget")
    rows = rows[~rows["synthetic"] & rows["test_accuracy"].notna() & rows["train_s"].notna()]
    if rows.empty:
        return [
            Chart(
                "accuracy_vs_time",
                "Accuracy vs training time",
                caption,
                skipped="no train/budget cell on real data has a test accuracy",
            )
        ]
    fig, ax = plt.subplots(figsize=(8, 5))
    for pair, group in rows.groupby("pair", sort=True):
        points = ax.scatter(group["train_s"], group["test_accuracy"], label=pair, alpha=0.8)
        for _, r in group.iterrows():
            ax.annotate(
                f"{r['mode']} b{int(r['batch_size'])} {r['precision']}",
                (r["train_s"], r["test_accuracy"]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color="dimgrey",
            )
        front = pareto_front(group["train_s"].to_numpy(float), group["test_accuracy"].to_numpy(float))
        ax.step(
            group["train_s"].to_numpy()[front],
            group["test_accuracy"].to_numpy()[front],
            where="post",
            color=points.get_facecolor()[0],
            lw=1.5,
        )
    log_if_spread(ax, rows["train_s"], "x")
    ax.set(xlabel="training wall time (s)", ylabel="test accuracy (fraction)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, title="pair (line: Pareto front)")
    return [save_chart(fig, out_dir, "accuracy_vs_time", "Accuracy vs training time", caption)]


def pareto_front(time_s: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both time (lower) and accuracy (higher), by time."""
    order = np.lexsort((-accuracy, time_s))
    front, best = [], -np.inf
    for i in order:
        if accuracy[i] > best:
            front.append(i)
            best = accuracy[i]
    return np.array(front, dtype=int)


def training_curves(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Per train cell: per-epoch loss (and accuracy, real data only) for training and validation."""
    caption = (
        "Per-epoch training and validation curves from the Keras history. Synthetic-data cells show "
        "loss only (no accuracy is reported for synthetic data)."
    )
    charts = []
    for _, row in ok_rows(df, "train", "budget").iterrows():
        history = _history_frame(row["history"])
        if history is None:
            continue
        panels = [p for p in ("loss", "accuracy") if p in history.columns]
        fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
        for ax, metric in zip(axes[0], panels, strict=True):
            epochs = np.arange(1, len(history) + 1)
            ax.plot(epochs, history[metric], marker="o", label="training")
            if f"val_{metric}" in history.columns:
                ax.plot(epochs, history[f"val_{metric}"], marker="s", label="validation")
            if row["best_epoch"] == row["best_epoch"]:
                ax.axvline(row["best_epoch"], color="grey", ls=":", label="restored epoch")
            unit = "(fraction)" if metric == "accuracy" else "(cross-entropy)"
            ax.set(xlabel="epoch", ylabel=f"{metric} {unit}", title=metric)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        pair = pair_label(row["pair"], row.to_frame().T)
        title = f"Training curves: {pair}, {_cell_text(row)}"
        charts.append(save_chart(fig, out_dir, f"curves_{slug(row['cell_id'])}", title, caption))
    if not charts:
        return [
            Chart("curves", "Training curves", caption, skipped="no ok train cell has a per-epoch history")
        ]
    return charts


def _cell_text(row: pd.Series) -> str:
    """'train cell, cpu, batch 32, float32' (tells a pair's train and budget cells apart in titles)."""
    has_budget = row["mode"] == "budget" and row["budget_s"] == row["budget_s"]
    budget = f" {number(row['budget_s'])} s" if has_budget else ""
    return f"{row['mode']}{budget} cell, {row['device']}, batch {int(row['batch_size'])}, {row['precision']}"


def _history_frame(history: object) -> pd.DataFrame | None:
    """The Keras history (list of per-epoch dicts, or dict of lists) as a DataFrame, or None if empty."""
    if isinstance(history, dict):
        history = pd.DataFrame(
            {k: pd.Series(v, dtype=float) for k, v in history.items() if isinstance(v, list)}
        )
    elif isinstance(history, list) and history:
        history = pd.DataFrame([h for h in history if isinstance(h, dict)])
    else:
        return None
    history = history.apply(pd.to_numeric, errors="coerce")
    keep = [c for c in ("loss", "accuracy", "val_loss", "val_accuracy") if c in history.columns]
    return history[keep] if keep and len(history) else None


def confusion_matrices(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Per train cell on real data: confusion matrix as counts and row-normalised, with class names."""
    caption = (
        "Rows are the true class, columns the predicted class, on the test split. Right: each row "
        "divided by its total, so the diagonal is each class's recall."
    )
    charts = []
    for _, row in ok_rows(df, "train", "budget").iterrows():
        counts = row["confusion_matrix"]
        if row["synthetic"] or not isinstance(counts, list) or not counts:
            continue
        cm = np.asarray(counts, dtype=float)
        names = _class_names(row, cm.shape[0])
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        size = max(5.0, 0.55 * len(names) + 2.5)
        fig, axes = plt.subplots(1, 2, figsize=(2 * size + 1, size))
        for ax, data, fmt, label in (
            (axes[0], cm, "{:.0f}", "images"),
            (axes[1], norm, "{:.2f}", "fraction of row"),
        ):
            image = ax.imshow(data, cmap="Blues")
            fig.colorbar(image, ax=ax, fraction=0.046, label=label)
            ticks = np.arange(len(names))
            ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize=8)
            ax.set_yticks(ticks, names, fontsize=8)
            ax.set(xlabel="predicted class", ylabel="true class")
            if len(names) <= 12:
                for (i, j), v in np.ndenumerate(data):
                    ax.text(
                        j,
                        i,
                        fmt.format(v),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > data.max() / 2 else "black",
                    )
        axes[0].set_title("counts")
        axes[1].set_title("row-normalised (recall on the diagonal)")
        title = f"Confusion matrix: {row['pair']}, {_cell_text(row)}"
        charts.append(save_chart(fig, out_dir, f"confusion_{slug(row['cell_id'])}", title, caption))
    if not charts:
        return [
            Chart(
                "confusion",
                "Confusion matrices",
                caption,
                skipped="no ok train cell on real data has a confusion matrix",
            )
        ]
    return charts


def _class_names(row: pd.Series, n: int) -> list[str]:
    """Class names from the record (class_names, else per_class names), else the class indices."""
    names = row.get("class_names")
    if isinstance(names, list) and len(names) == n:
        return [str(x) for x in names]
    per_class = row.get("per_class")
    if isinstance(per_class, list) and len(per_class) == n:
        return [str(p.get("name", p.get("class", i))) for i, p in enumerate(per_class)]
    return [str(i) for i in range(n)]


def peak_fraction(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Best achieved training GFLOP/s as a fraction of the device's measured float32 GEMM peak."""
    caption = (
        "Achieved training GFLOP/s (3 x forward FLOPs per image x images/s) over the float32 matrix-"
        "multiply peak measured on the same device; best setting per pair, device and precision. "
        "Mixed precision can exceed 1 where the hardware has faster low-precision units."
    )
    ok = ok_rows(df, "throughput").copy()
    ok["fraction"] = ok["peak_fraction"].fillna(ok["train_gflop_s"] / ok["peak_gflop_s"])
    ok = ok[ok["fraction"].notna()]
    if ok.empty:
        return [
            Chart(
                "peak_fraction",
                "Fraction of measured peak",
                caption,
                skipped="no cell has both achieved GFLOP/s and a measured peak",
            )
        ]
    best = ok.loc[ok.groupby(["pair", "device", "precision"])["fraction"].idxmax()].iloc[::-1]
    labels = _pair_names(best) + " " + best["device"] + " " + best["precision"]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(best) + 1.8))
    ax.barh(labels, best["fraction"] * 100)
    for y, (_, r) in enumerate(best.iterrows()):
        ax.annotate(
            f" {number(r['train_gflop_s'])} of {number(r['peak_gflop_s'])} GFLOP/s",
            (r["fraction"] * 100, y),
            va="center",
            fontsize=8,
        )
    ax.set(xlabel="achieved training GFLOP/s (% of measured float32 peak)")
    ax.set_xlim(0, max(100, best["fraction"].max() * 130))
    ax.grid(True, axis="x", alpha=0.3)
    return [
        save_chart(fig, out_dir, "peak_fraction", "Achieved GFLOP/s as a fraction of measured peak", caption)
    ]


def full_training_time(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Estimated full-training time per pair and device (bench.report.estimate), next to the student's own."""
    caption = (
        "Estimate = epochs x (full-epoch images / best measured training images/s + validation "
        "images / inference images/s), at the epochs the student trained the pair (DenseNet121: 38, stopped "
        "early) where she trained it, else the recipe's; excludes compile and loading. Hatched grey bars: "
        f"the student's own trainings on {STUDENT_DESKTOP}."
    )
    est, notes = estimates(df)
    if est.empty:
        why = "; ".join(notes) or "no ok cell measured training throughput"
        return [Chart("full_training", "Estimated full-training time", caption, skipped=why)]
    labels, values, colors, hatches = [], [], [], []
    for pair, group in est.groupby("pair", sort=True):
        seed = group["seed_s"].iloc[0]
        if seed == seed and seed is not None:
            labels.append(f"{pair} — {SEED_MACHINE}")
            values.append(seed)
            colors.append("lightgrey")
            hatches.append("//")
        for _, r in group.iterrows():
            synthetic = " (synthetic data)" if r["synthetic"] else ""
            labels.append(f"{pair} — {r['device']}, {int(r['epochs'])} epochs{synthetic}")
            values.append(r["estimate_s"])
            colors.append("tab:blue")
            hatches.append("")
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) + 1.8))
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=colors, hatch=hatches, edgecolor="black", linewidth=0.5)
    for yi, v in zip(y, values, strict=True):
        ax.annotate(f" {human_seconds(v)}", (v, yi), va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(min(values) / 2, max(values) * 4)
    ax.set(xlabel="full training time (s, log scale)")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    full_caption = caption + (" " + " ".join(notes) if notes else "")
    return [save_chart(fig, out_dir, "full_training", "Estimated full-training time", full_caption)]


def scaling(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Training images/s and scaling efficiency over replicas per strategy (report/scaling_charts.py)."""
    return scaling_chart(df, out_dir)


def backends(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Images/s per Keras backend and the ratio to TensorFlow (report/backend_charts.py)."""
    return backend_comparison(df, out_dir)


CHARTS: tuple[Callable[[pd.DataFrame, Path], list[Chart]], ...] = (
    full_training_time,
    machine_speed,
    throughput_by_pair,
    throughput_vs_batch,
    scaling,
    backends,
    mixed_precision,
    thread_scaling,
    memory_vs_batch,
    peak_fraction,
    energy_per_image,
    accuracy_vs_time,
    training_curves,
    confusion_matrices,
)
