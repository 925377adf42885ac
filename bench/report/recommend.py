"""Recommendations: per pair and objective, the best measured setting and its gain over the seed's default.

The seed's default setting is batch 32, float32, TensorFlow's default threads, no jit (on the same
device as the best setting). A ratio is shown only when that default was measured too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bench.report.estimate import setting_text


@dataclass(frozen=True)
class Objective:
    """What is optimised: a column, its direction, which cells count, and its unit."""

    name: str
    column: str
    higher_is_better: bool
    modes: tuple[str, ...]
    unit: str


OBJECTIVES = (
    Objective("fastest training", "train_img_s", True, ("throughput",), "images/s"),
    Objective("fastest inference", "infer_img_s", True, ("throughput",), "images/s"),
    Objective("least memory", "peak_rss_mb", False, ("throughput",), "MB peak RSS"),
    Objective("best accuracy within budget", "test_accuracy", True, ("train", "budget"), "test accuracy"),
)

COLUMNS = ["pair", "objective", "best_setting", "value", "unit", "default_value", "gain_over_default", "note"]


def recommendations(df: pd.DataFrame, budget_s: float | None = None) -> pd.DataFrame:
    """One row per (pair, objective) that has measurements; budget_s caps training time for accuracy."""
    rows = []
    ok = df[df["status"] == "ok"]
    for pair, cells in ok.groupby("pair", sort=True):
        for objective in OBJECTIVES:
            row = _best(cells, objective, budget_s)
            if row is not None:
                label = pair + (" (synthetic data)" if cells["synthetic"].all() else "")
                rows.append({"pair": label, **row})
    return pd.DataFrame(rows, columns=COLUMNS)


def _candidates(cells: pd.DataFrame, objective: Objective, budget_s: float | None) -> pd.DataFrame:
    """Cells that can answer the objective (real data only for accuracy; within the time budget)."""
    cand = cells[cells["mode"].isin(objective.modes) & cells[objective.column].notna()]
    if objective.column == "test_accuracy":
        cand = cand[~cand["synthetic"]]
        if budget_s is not None:
            spent = cand["budget_s"].where(cand["mode"] == "budget", cand["train_s"])
            cand = cand[spent <= budget_s]
    return cand


def _best(cells: pd.DataFrame, objective: Objective, budget_s: float | None) -> dict | None:
    """The best cell for objective and its gain over the default setting, as a table row."""
    cand = _candidates(cells, objective, budget_s)
    if cand.empty:
        return None
    values = cand[objective.column]
    best = cand.loc[values.idxmax() if objective.higher_is_better else values.idxmin()]
    default = default_cell(cand, best)
    note = "" if default is not None else "default setting (batch 32, float32, threads auto) not measured"
    if objective.column == "test_accuracy":
        spent = best["budget_s"] if best["mode"] == "budget" else best["train_s"]
        note = (
            f"trained {spent:.0f} s"
            + (f" (budget {budget_s:.0f} s)" if budget_s else "")
            + (f"; {note}" if note else "")
        )
    if objective.modes == ("throughput",) and caveat(best):
        note = "; ".join(n for n in (caveat(best), note) if n)
    gain = None
    if len(cand) == 1:  # the default compared with itself says nothing: no gain, and say why
        default, note = None, "; ".join(filter(None, [note if objective.column == "test_accuracy" else "",
                                                      "one setting measured: nothing to compare"]))
    if default is not None and default[objective.column]:
        a, b = best[objective.column], default[objective.column]
        gain = a / b if objective.higher_is_better else b / a
    return {
        "objective": objective.name,
        "best_setting": setting_text(best),
        "value": best[objective.column],
        "unit": objective.unit,
        "default_value": None if default is None else default[objective.column],
        "gain_over_default": gain,
        "note": note,
    }


def caveat(cell: pd.Series) -> str:
    """Why a throughput cell's figure is not sure: its repeats stayed > 10% apart, or its clock throttled."""
    notes = []
    if cell.get("unstable") == True:  # noqa: E712 (numpy or Python bool; NaN when absent)
        notes.append("unstable: repeats disagreed by more than 10% twice, so this ranking is not sure")
    if cell.get("throttled") == True:  # noqa: E712
        notes.append(f"throttled: {cell.get('throttle_reason')}")
    return "; ".join(notes)


def default_cell(cand: pd.DataFrame, best: pd.Series) -> pd.Series | None:
    """The seed's default setting among cand, on best's device and mode (memory pipeline preferred)."""
    is_default = (
        (cand["batch_size"] == 32)
        & (cand["precision"] == "float32")
        & (cand["threads"] == "auto")
        & (cand["jit_compile"] != True)  # noqa: E712 (null counts as not jit)
        & (cand["device"] == best["device"])
        & (cand["mode"] == best["mode"])
    )
    match = cand[is_default]
    if match.empty:
        return None
    memory = match[match["pipeline"] == "memory"]
    return (memory if not memory.empty else match).iloc[0]


def readable(recs: pd.DataFrame) -> pd.DataFrame:
    """Recommendations for people: spaced column names and gains written as '2.31x'."""
    gain = recs["gain_over_default"].map(lambda g: f"{g:.2f}x" if g is not None and g == g else "")
    return recs.assign(gain_over_default=gain).rename(columns=lambda c: c.replace("_", " "))
