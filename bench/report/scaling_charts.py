"""The report's scaling chart: training images/s over replicas per distribution strategy, with the ideal
line from the single-replica reference, and the scaling efficiency (bench.results.scaling)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.report.chart import Chart, pair_label, plt, save_chart, slug

# Settings a scaling line holds fixed: everything but the strategy and the replica count.
SETTINGS = ["device", "backend", "precision", "batch_size", "threads", "inter_threads", "pipeline",
            "jit_compile"]
CAPTION = ("Training images/s (global images; bars: slowest to fastest repeat) over the replicas of each "
           "tf.distribute strategy at otherwise equal settings. The dashed line is ideal scaling: the "
           "single-replica cell (strategy none) times the replicas. Scaling efficiency = images/s / "
           "(replicas x single-replica images/s); 1 is perfect. Replicas that share the same cores (logical "
           "CPU devices, workers on one machine) measure the strategy's overhead, not a speedup.")


def scaling(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """One chart per pair and settings with distributed cells: img/s vs replicas, and the efficiency."""
    ok = df[(df["status"] == "ok") & (df["mode"] == "throughput") & df["train_img_s"].notna()]
    if not (ok["strategy"] != "none").any():
        return [Chart("scaling", "Scaling over replicas", CAPTION,
                      skipped="no ok mirrored or multiworker throughput cells in this run (give the strategy "
                              "axis none and mirrored, and replicas = 2)")]
    charts = []
    for key, rows in ok.groupby(["pair", *SETTINGS], sort=True, dropna=False):
        if (rows["strategy"] != "none").any():
            charts.append(_draw(rows, dict(zip(["pair", *SETTINGS], key, strict=True)), out_dir))
    return charts


def _draw(rows: pd.DataFrame, key: dict, out_dir: Path) -> Chart:
    """The two panels for one pair and settings."""
    fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(11, 4.2))
    reference = rows[rows["strategy"] == "none"]
    distributed = rows[rows["strategy"] != "none"]
    top = int(rows["replicas"].max())
    for strategy, line in distributed.groupby("strategy", sort=True):
        line = line.sort_values("replicas")
        low = (line["train_img_s"] - line["train_img_s_min"].fillna(line["train_img_s"])).clip(lower=0)
        high = (line["train_img_s_max"].fillna(line["train_img_s"]) - line["train_img_s"]).clip(lower=0)
        ax_t.errorbar(line["replicas"], line["train_img_s"], yerr=[low, high], marker="o", capsize=3,
                      label=strategy)
        eff = line[line["scaling_efficiency"].notna()]
        ax_e.plot(eff["replicas"], eff["scaling_efficiency"], marker="o", label=strategy)
        for x, y in zip(eff["replicas"], eff["scaling_efficiency"], strict=True):
            ax_e.annotate(f" {y:.2f}", (x, y), fontsize=8)
    if reference.empty:
        ax_e.text(0.5, 0.5, "no single-replica reference in this run:\nadd strategy = [\"none\", ...]",
                  ha="center", va="center", transform=ax_e.transAxes, fontsize=9)
    else:
        single = float(reference["train_img_s"].iloc[0])
        ax_t.plot([1], [single], "ks", label="none (1 replica)")
        ax_t.plot([1, top], [single, single * top], "k--", lw=1, label="ideal")
    ticks = sorted(int(r) for r in rows["replicas"].unique())
    ax_t.set(xlabel="replicas", ylabel="training throughput (global images/s)", title="training images/s")
    ax_e.axhline(1, color="k", ls="--", lw=1)
    ax_e.set(xlabel="replicas", ylabel="scaling efficiency (fraction of ideal)", title="scaling efficiency",
             ylim=(0, max(1.15, float(distributed["scaling_efficiency"].fillna(0).max()) * 1.1)))
    for ax in (ax_t, ax_e):
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    setting = (f"{key['device']} {key['precision']} batch {int(key['batch_size'])}/replica "
               f"threads {key['threads']}")
    title = f"Scaling over replicas: {pair_label(key['pair'], rows)}, {setting}"
    return save_chart(fig, out_dir, f"scaling_{slug(key['pair'] + '_' + setting)}", title, CAPTION)
