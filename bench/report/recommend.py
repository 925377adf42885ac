"""Recommendations: per pair and objective, the best measured setting and its gain over the seed's default,
only where a pair has two or more settings measured for that objective (one setting has nothing to beat).

The seed's default setting is batch 32, float32, TensorFlow's default threads, no jit (on the same
device as the best setting). A ratio is shown only when that default was measured too. Two settings
whose repeat ranges (``train_img_s_min``..``train_img_s_max``) overlap are a tie: the repeats cannot tell
them apart. Metrics without repeats (memory, accuracy) have no measured noise; for them a difference
under TIE_WITHOUT_REPEATS is called a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bench.report.estimate import setting_text
from bench.report.numbers import number, ratio

TIE_WITHOUT_REPEATS = 0.02  # relative difference under which two single measurements are called a tie


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

COLUMNS = ["pair", "objective", "best_setting", "value", "unit", "default_value", "gain_over_default",
           "tie_with_default", "note"]


def recommendations(df: pd.DataFrame, budget_s: float | None = None) -> pd.DataFrame:
    """One row per (pair, objective) with two or more measured settings to compare; budget_s caps
    training time for accuracy."""
    rows = []
    ok = df[df["status"] == "ok"]
    for pair, cells in ok.groupby("pair", sort=True):
        for objective in OBJECTIVES:
            row = _best(cells, objective, budget_s)
            if row is not None:
                rows.append({"pair": _pair_label(pair, cells), **row})
    return pd.DataFrame(rows, columns=COLUMNS)


def not_compared(df: pd.DataFrame, budget_s: float | None = None) -> list[str]:
    """The pairs with measurements but no recommendation: one setting measured for every objective."""
    ok = df[df["status"] == "ok"]
    out = []
    for pair, cells in ok.groupby("pair", sort=True):
        sizes = [len(_candidates(cells, o, budget_s)) for o in OBJECTIVES]
        if max(sizes) == 1:
            out.append(_pair_label(pair, cells))
    return out


def not_compared_line(df: pd.DataFrame, budget_s: float | None = None) -> str:
    """One sentence naming the pairs left out of the recommendations, or '' when none is."""
    pairs = not_compared(df, budget_s)
    if not pairs:
        return ""
    return ("One setting measured, so nothing to recommend between settings (see the headline table): "
            + ", ".join(pairs) + ".")


def _pair_label(pair: str, cells: pd.DataFrame) -> str:
    """'galaxy10/densenet121 (synthetic data)' when every cell of the pair ran on synthetic data."""
    return pair + (" (synthetic data)" if cells["synthetic"].all() else "")


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
    """The best cell for objective, its gain over the default setting and its ties, as a table row; None
    when fewer than two settings were measured (nothing to compare)."""
    cand = _candidates(cells, objective, budget_s)
    if len(cand) < 2:
        return None
    values = cand[objective.column]
    best = cand.loc[values.idxmax() if objective.higher_is_better else values.idxmin()]
    default = default_cell(cand, best)
    gain, tie = None, None
    if default is not None and default[objective.column]:
        a, b = best[objective.column], default[objective.column]
        gain = a / b if objective.higher_is_better else b / a
        tie = None if default.name == best.name else tied(best, default, objective.column)
    return {
        "objective": objective.name,
        "best_setting": setting_text(best),
        "value": best[objective.column],
        "unit": objective.unit,
        "default_value": None if default is None else default[objective.column],
        "gain_over_default": gain,
        "tie_with_default": tie,
        "note": _note(cand, best, default, objective, budget_s),
    }


def _note(cand: pd.DataFrame, best: pd.Series, default: pd.Series | None, objective: Objective,
          budget_s: float | None) -> str:
    """Why the row needs care: training time spent, unsure figures, ties, an unmeasured default."""
    notes = []
    if objective.column == "test_accuracy":
        spent = best["budget_s"] if best["mode"] == "budget" else best["train_s"]
        notes.append(f"trained {number(spent)} s" + (f" (budget {number(budget_s)} s)" if budget_s else ""))
    if objective.modes == ("throughput",):
        notes.append(caveat(best))
    if default is None:
        notes.append("default setting (batch 32, float32, threads auto) not measured")
    elif default.name == best.name:
        notes.append("the default setting is the best measured")
    elif tied(best, default, objective.column):
        notes.append(_tie_text(objective.column, "the default"))
    others = [i for i in cand.index if i not in (best.name, None if default is None else default.name)
              and tied(best, cand.loc[i], objective.column)]
    if others:
        many = len(others) > 1
        notes.append(_tie_text(objective.column, f"{len(others)} other setting{'s' * many}", many))
    return "; ".join(n for n in notes if n)


def _tie_text(column: str, who: str, many: bool = False) -> str:
    """'the default ties with it (repeat ranges overlap)', or '(within 2%, noise not measured)' for a
    metric without repeats."""
    if _has_spread(column):
        why = "repeat ranges overlap"
    else:
        why = f"within {TIE_WITHOUT_REPEATS:.0%}, noise not measured"
    return f"{who} {'tie' if many else 'ties'} with it ({why})"


def _has_spread(column: str) -> bool:
    return column in ("train_img_s", "infer_img_s")


def tied(a: pd.Series, b: pd.Series, column: str) -> bool:
    """True when the repeats cannot tell a and b apart: their min..max ranges of column overlap (metrics
    with repeats), else their values differ by less than TIE_WITHOUT_REPEATS."""
    if _has_spread(column):
        low_a, high_a = _range(a, column)
        low_b, high_b = _range(b, column)
        return low_a <= high_b and low_b <= high_a
    x, y = float(a[column]), float(b[column])
    return abs(x - y) <= TIE_WITHOUT_REPEATS * max(abs(x), abs(y))


def _range(cell: pd.Series, column: str) -> tuple[float, float]:
    """The slowest and fastest repeat of column (the median itself when the record has no range)."""
    value = float(cell[column])
    low, high = cell.get(f"{column}_min"), cell.get(f"{column}_max")
    low = value if low is None or low != low else float(low)
    high = value if high is None or high != high else float(high)
    return min(low, value), max(high, value)


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
    """Recommendations for people: spaced column names, numbers as people write them, and gains written
    as '2.31x' (or '1.02x, a tie' when the repeats cannot tell the two settings apart)."""
    pairs = zip(recs["gain_over_default"], recs["tie_with_default"], strict=True)
    gain = [_gain_text(g, t) for g, t in pairs]
    shown = recs.assign(value=recs["value"].map(number), default_value=recs["default_value"].map(number),
                        gain_over_default=gain)
    return shown.drop(columns="tie_with_default").rename(columns=lambda c: c.replace("_", " "))


def _gain_text(gain: object, tie: object) -> str:
    """'1.44x', '1.02x, a tie', or '' when there is no default to compare with."""
    if gain is None or gain != gain:
        return ""
    return ratio(gain) + (", a tie" if tie is True else "")
