"""Which machine for which pair: a run of several machines (bench run --cluster) side by side, each
machine's best measured training and inference speed per pair and device, and the fastest of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from bench.errors import UserError
from bench.report.load import Run
from bench.results import loader

if TYPE_CHECKING:
    from bench.report.chart import Chart

ABOUT = ("Each machine's best throughput cell per pair and device (any batch, precision, threads), and the "
         "fastest machine with how many times its runner-up's speed. Each machine ran one cell at a time.")


def which_machine(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (pair, device) that at least two machines measured; empty for a one-machine run."""
    ok = df[(df["status"] == "ok") & (df["mode"] == "throughput") & df["machine"].notna()]
    if ok["machine"].nunique() < 2:
        return pd.DataFrame()
    rows = []
    for (pair, device), cells in ok.groupby(["pair", "device"], sort=True):
        if cells["machine"].nunique() < 2:
            continue
        row: dict[str, object] = {"pair": pair, "device": device}
        for col, name in (("train_img_s", "training"), ("infer_img_s", "inference")):
            best = cells.groupby("machine")[col].max().dropna().sort_values(ascending=False)
            for machine, value in best.sort_index().items():
                row[f"{machine} {name} img/s"] = round(float(value), 1)
            row[f"fastest for {name}"] = _fastest(best)
        rows.append(row)
    return pd.DataFrame(rows)


def _fastest(best: pd.Series) -> str:
    """'node-a (1.32x node-b)' from each machine's best speed, fastest first; '' with fewer than two."""
    if len(best) < 2:
        return ""
    return f"{best.index[0]} ({best.iloc[0] / best.iloc[1]:.2f}x {best.index[1]})"


def by_machine(run: Run) -> list[Run]:
    """A run of several machines as one Run per machine (its records, its env from RUN_DIR/envs), for
    `bench compare`; any other run as itself."""
    names = sorted(run.df["machine"].dropna().unique())
    if len(names) < 2:
        return [run]
    return [Run(run.path, run.df[run.df["machine"] == name].reset_index(drop=True),
                _machine_env(run, name), run.matrix_text, None, list(run.notes)) for name in names]


def _machine_env(run: Run, name: str) -> dict:
    """The machine's env.json from RUN_DIR/envs (written by bench run --cluster), {} when unreadable."""
    entry = run.env.get("cluster_machines", {}).get(name, {})
    path = run.path / str(entry.get("env") or f"envs/{name}.json")
    if not path.resolve().is_relative_to(run.path.resolve()):  # env.json names a file outside the run folder
        return {"hostname": name}
    try:
        env = loader.load_env_file(path, need_cores=False)
    except UserError:  # damaged: the machine is known by its name only
        return {"hostname": name}
    return env or {"hostname": name}


CHART_CAPTION = ("Each machine's best training and inference speed per pair and device (its fastest "
                 "throughput cell), from one run over several machines (bench run --cluster).")


def machine_speed(df: pd.DataFrame, out_dir: Path) -> list[Chart]:
    """Grouped bars: per pair and device, each machine's best training and inference img/s; none for a
    one-machine run."""
    import matplotlib.pyplot as plt
    import numpy as np

    from bench.report.chart import save_chart

    ok = df[(df["status"] == "ok") & (df["mode"] == "throughput") & df["machine"].notna()]
    if ok["machine"].nunique() < 2:
        return []
    best = ok.assign(row=ok["pair"] + " " + ok["device"]).groupby(["row", "machine"])[
        ["train_img_s", "infer_img_s"]].max().unstack("machine")
    rows, machines = list(best.index), sorted(ok["machine"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.5 * len(rows) * len(machines) + 1.8), sharey=True)
    height = 0.8 / len(machines)
    panels = (("train_img_s", "training"), ("infer_img_s", "inference"))
    for ax, (col, name) in zip(axes, panels, strict=True):
        for i, machine in enumerate(machines):
            ax.barh(np.arange(len(rows)) + i * height, best[(col, machine)].to_numpy(dtype=float), height,
                    label=machine)
        ax.set_xlabel(f"best {name} images/s")
        ax.set_yticks(np.arange(len(rows)) + 0.4 - height / 2, rows)
    axes[0].legend(title="machine")
    return [save_chart(fig, out_dir, "machines", "Which machine for which pair", CHART_CAPTION)]
