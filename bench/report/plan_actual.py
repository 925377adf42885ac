"""Plan against actual: each cell's wall time predicted just before it ran next to the time it took.

The runner records ``predicted_s`` (bench.launch.pruning, refined by the cells already finished) on
every cell it starts; this table shows how far those predictions were off, per pair and mode.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["pair", "mode", "cells", "predicted min", "actual min", "actual / predicted",
           "median cell ratio", "cell ratio range"]


def plan_actual(df: pd.DataFrame) -> pd.DataFrame:
    """One row per pair and mode that ran, then one for all: cells, predicted and actual minutes,
    and actual/predicted as a total and per cell (median, min-max); empty when no cell has both."""
    if "predicted_s" not in df or "wall_s" not in df:
        return pd.DataFrame(columns=COLUMNS)
    ran = df[(df["status"] != "pruned") & df["predicted_s"].gt(0) & df["wall_s"].notna()]
    if ran.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = [_row(str(pair), str(mode), group) for (pair, mode), group in ran.groupby(["pair", "mode"])]
    return pd.DataFrame([*rows, _row("all", "", ran)], columns=COLUMNS)


def _row(pair: str, mode: str, cells: pd.DataFrame) -> list[object]:
    """The table row of one group of cells that ran."""
    ratio = cells["wall_s"] / cells["predicted_s"]
    total = cells["wall_s"].sum() / cells["predicted_s"].sum()
    return [pair, mode, len(cells), round(cells["predicted_s"].sum() / 60, 1),
            round(cells["wall_s"].sum() / 60, 1), f"{total:.2f}", f"{ratio.median():.2f}",
            f"{ratio.min():.2f}-{ratio.max():.2f}"]
