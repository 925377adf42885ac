"""Compare runs (often of different machines): the same cell_id side by side, with a noise rule.

Noise rule: a difference in a metric is flagged only when the two runs' timed repeats
(``train_img_s_runs``, ``infer_img_s_runs``) are distinguishable by an exact two-sided Mann-Whitney U
test at ALPHA. If both runs measured the same speed, every ordering of their repeats is equally
likely; with 3 repeats each the smallest attainable p is 2 / C(6, 3) = 0.1, reached only when the two
repeat ranges do not overlap at all. So with ALPHA = 0.1 and 3 repeats a flag means "no repeat of A
overlaps any repeat of B", and 2 repeats (p >= 0.33) can never flag. Metrics without repeats (memory,
accuracy) are shown but never flagged: their noise is not measured.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from bench.errors import UserError
from bench.report.estimate import setting_text
from bench.report.load import Run

ALPHA = 0.1

# metric -> (column of the per-repeat values or None, unit)
METRICS: dict[str, tuple[str | None, str]] = {
    "train_img_s": ("train_img_s_runs", "images/s"),
    "infer_img_s": ("infer_img_s_runs", "images/s"),
    "peak_rss_mb": (None, "MB"),
    "gpu_peak_mb": (None, "MB"),
    "test_accuracy": (None, "fraction"),
}

CONFIG = ["cell_id", "pair", "mode", "device", "batch_size", "precision", "threads", "pipeline"]


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """For people: one row per (run, cell), per metric the two values, 'ratio (low-high)' and verdict."""
    if table.empty:
        return table
    shown = table.assign(
        run=table["run"].str.split(":").str[0],
        ratio=[f"{r:.3g} ({lo:.3g}-{hi:.3g})" if lo == lo else f"{r:.3g}"
               for r, lo, hi in zip(table["ratio"], table["ratio_low"], table["ratio_high"], strict=True)],
    )
    keys = ["run", "pair", "mode", "device", "batch_size", "precision", "threads", "pipeline", "cell_id"]
    wide = shown.set_index([*keys, "metric"])[["a", "b", "ratio", "verdict"]].unstack("metric")
    wide = wide.swaplevel(axis=1)
    order = [(m, v) for m in METRICS for v in ("a", "b", "ratio", "verdict") if (m, v) in wide.columns]
    return wide[order].rename(columns={"a": "run A", "b": "this run", "ratio": "ratio (spread)"})


def run_labels(runs: list[Run]) -> list[str]:
    """'A: <folder> [<machine>]', ... so runs with equal folder names stay apart."""
    return [f"{chr(65 + i)}: {run.label}" for i, run in enumerate(runs)]


def compare(runs: list[Run], alpha: float = ALPHA) -> pd.DataFrame:
    """Long table: one row per (other run, common ok cell, metric) against the first run (the baseline)."""
    if len(runs) < 2:
        raise UserError("compare needs at least two run folders (or one run of several machines, "
                        "bench run --cluster): python -m bench compare RUN_A RUN_B")
    labels = run_labels(runs)
    base = runs[0].df[runs[0].df["status"] == "ok"].set_index("cell_id")
    rows = []
    for label, run in zip(labels[1:], runs[1:], strict=True):
        other = run.df[run.df["status"] == "ok"].set_index("cell_id")
        for cell_id in base.index.intersection(other.index):
            a, b = base.loc[cell_id], other.loc[cell_id]
            for metric, (runs_col, unit) in METRICS.items():
                if _number(a[metric]) is None or _number(b[metric]) is None:
                    continue
                rows.append(
                    {
                        "cell_id": cell_id,
                        **{k: a[k] for k in CONFIG[1:]},
                        "baseline": labels[0],
                        "run": label,
                        "metric": metric,
                        "unit": unit,
                        "a": a[metric],
                        "b": b[metric],
                        **_ratio(a, b, metric, runs_col, alpha),
                    }
                )
    columns = [
        *CONFIG,
        "baseline",
        "run",
        "metric",
        "unit",
        "a",
        "b",
        "ratio",
        "ratio_low",
        "ratio_high",
        "n_a",
        "n_b",
        "p_value",
        "verdict",
    ]
    return pd.DataFrame(rows, columns=columns)


def ratio_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per (run, metric): how many cells both runs measured and the median and range of their ratios;
    the one-line answer to "did the two runs measure the same speeds?"."""
    if table.empty:
        return pd.DataFrame()
    ratios = table.groupby(["run", "metric"], sort=False)["ratio"]
    return ratios.agg(cells="size", median_ratio="median", min_ratio="min", max_ratio="max").reset_index()


def best_settings(runs: list[Run]) -> pd.DataFrame:
    """Per pair and run, the fastest training cell, whether it is run A's, and where run A's fastest cell
    stands in this run (its status, and its rank and speed when measured): the questions to ask when one
    run pruned cells the other measured."""
    labels = run_labels(runs)
    fastest = [_fastest(run.df) for run in runs]
    rows = []
    for label, run, best in zip(labels, runs, fastest, strict=True):
        for pair, cell in best.items():
            a_best = fastest[0].get(pair)
            rows.append({
                "pair": pair, "run": label, "best_setting": setting_text(cell),
                "train_img_s": cell["train_img_s"],
                "unstable": cell.get("unstable") == True,  # noqa: E712 (NaN when absent)
                "same_as_A": "" if label == labels[0] else "not measured in A" if a_best is None
                else "yes" if cell["cell_id"] == a_best["cell_id"] else "no",
                "A_best_here": "" if label == labels[0] or a_best is None else _standing(run.df, a_best),
            })
    columns = ["pair", "run", "best_setting", "train_img_s", "unstable", "same_as_A", "A_best_here"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["pair", "run"], kind="stable").reset_index(drop=True)


def _ranked(df: pd.DataFrame) -> pd.DataFrame:
    """The ok throughput cells with a training speed, fastest first."""
    ok = df[(df["status"] == "ok") & (df["mode"] == "throughput") & df["train_img_s"].notna()]
    return ok.sort_values("train_img_s", ascending=False, kind="stable")


def _fastest(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Per pair, its fastest training cell."""
    return {pair: cells.iloc[0] for pair, cells in _ranked(df).groupby("pair", sort=True)}


def _standing(df: pd.DataFrame, cell: pd.Series) -> str:
    """Where another run's cell stands here: 'pruned', 'absent', or 'ok, rank 2 of 24, 0.97x the best'."""
    mine = df[df["cell_id"] == cell["cell_id"]]
    if mine.empty:
        return "absent"
    if mine.iloc[0]["status"] != "ok":
        return str(mine.iloc[0]["status"])
    ranked = _ranked(df[df["pair"] == cell["pair"]])
    if cell["cell_id"] not in set(ranked["cell_id"]):  # same id, other pair or mode here (a foreign record)
        return "ok, not ranked here (this run's record of the cell is not a throughput speed of the pair)"
    rank = list(ranked["cell_id"]).index(cell["cell_id"]) + 1
    share = mine.iloc[0]["train_img_s"] / ranked.iloc[0]["train_img_s"]
    return f"ok, rank {rank} of {len(ranked)}, {share:.2f}x the best"


def _number(value: object) -> float | None:
    """value as a float, or None when missing."""
    return None if value is None or value != value else float(value)


def repeats(row: pd.Series, runs_col: str | None) -> list[float]:
    """The per-repeat values of a metric (empty when the record has none)."""
    values = row.get(runs_col) if runs_col else None
    if not isinstance(values, list):
        return []
    return [float(v) for v in values if v is not None and v == v]


def _ratio(a: pd.Series, b: pd.Series, metric: str, runs_col: str | None, alpha: float) -> dict:
    """b/a, its spread (min b / max a .. max b / min a over the repeats) and the noise verdict."""
    ra, rb = repeats(a, runs_col), repeats(b, runs_col)
    ratio = float(b[metric]) / float(a[metric]) if float(a[metric]) else math.nan
    out = {
        "ratio": ratio,
        "ratio_low": math.nan,
        "ratio_high": math.nan,
        "n_a": len(ra),
        "n_b": len(rb),
        "p_value": math.nan,
    }
    if len(ra) < 2 or len(rb) < 2:
        out["verdict"] = "noise not measured"
        return out
    out["ratio_low"], out["ratio_high"] = min(rb) / max(ra), max(rb) / min(ra)
    p = float(mannwhitneyu(ra, rb, alternative="two-sided", method="exact").pvalue)
    out["p_value"] = p
    if p > alpha:
        out["verdict"] = "within noise"
    else:
        out["verdict"] = "higher" if np.median(rb) > np.median(ra) else "lower"
    return out
