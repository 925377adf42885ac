"""A matrix's plan, for `bench plan`: one row per cell in run order (written whole to a CSV file) and a
summary per pair and mode that fits an 80-column terminal.

Each runnable cell gets the planner's prediction (bench.launch.pruning) in run order, as a run would
make it: the first cell of each precision to run is its evidence, so a later one is predicted from it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.launch.pruning import Planner

RUN, NEEDS_DATA, PRUNED, SKIPPED = "run", "needs data", "pruned", "skipped"
FIELDS = ("order", "pair", "mode", "status", "predicted_s", "predicted", "cell_id", "reason", "basis")


def pair_of(cell: Any) -> str:
    """'dataset/model', with a synthetic stand-in named after the data set it stands for."""
    return f"{cell.stands_for or cell.dataset}/{cell.model}"


def plan_rows(ordered: list[Any], others: list[Any], planner: Planner, budget_s: float | None,
              needs_data: set[str]) -> list[dict[str, Any]]:
    """One row per cell: the runnable (and waiting-for-data) cells in run order with their predictions,
    then the cells skipped on this machine."""
    rows = []
    for i, p in enumerate(ordered, 1):
        prediction, reason = planner.prune_reason(p.cell, budget_s)
        if not reason:  # as in a run: the first cell of a precision to run is its evidence
            planner.tried.add(p.cell.precision)
        waiting = p.cell.cell_id in needs_data
        status = PRUNED if reason else NEEDS_DATA if waiting else RUN
        rows.append(_row(i, p.cell, status, prediction.seconds, reason or (p.skip_reason if waiting else ""),
                         prediction.basis))
    for i, p in enumerate(others, len(ordered) + 1):
        rows.append(_row(i, p.cell, SKIPPED, None, p.skip_reason or "", ""))
    return rows


def _row(order: int, cell: Any, status: str, seconds: float | None, reason: str,
         basis: str) -> dict[str, Any]:
    return {"order": order, "pair": pair_of(cell), "mode": cell.mode, "status": status,
            "predicted_s": None if seconds is None else round(seconds, 1),
            "predicted": "" if seconds is None else short_time(seconds), "cell_id": cell.cell_id,
            "reason": reason, "basis": basis}


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """The per-cell table as CSV (one row per cell, every reason and basis in full)."""
    from bench import atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, text.getvalue())
    return path


def short_time(seconds: float) -> str:
    """A duration in at most 7 characters: 45 s, 12 min, 3.5 h, 5.6 d."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def seconds_of(rows: Iterable[dict[str, Any]], status: str) -> tuple[int, float, int]:
    """Cells of a status, their predicted seconds in all, and how many have no prediction."""
    picked = [r for r in rows if r["status"] == status]
    known = [r["predicted_s"] for r in picked if r["predicted_s"] is not None]
    return len(picked), float(sum(known)), len(picked) - len(known)


def group_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per pair and mode: cells that run now and their time, cells waiting for data and their time,
    pruned and skipped cells; then the totals. At most 80 columns."""
    widths = (22, 10, 11, 11, 6, 7)
    out = [_line(("pair", "mode", "run now", "need data", "pruned", "skipped"), widths),
           _line(tuple("-" * w for w in widths), widths)]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["pair"], r["mode"]), []).append(r)
    for (pair, mode), part in sorted(groups.items()):
        out.append(_line((pair, mode, *_counts(part)), widths))
    out.append(_line(("all", "", *_counts(rows)), widths))
    return out


def _counts(rows: list[dict[str, Any]]) -> tuple[str, str, str, str]:
    """'24, 12 min' for run now and need data, then the pruned and skipped counts ('' for none)."""
    cells = []
    for status in (RUN, NEEDS_DATA):
        n, seconds, unknown = seconds_of(rows, status)
        cells.append("" if not n else f"{n}, {short_time(seconds)}{'+?' if unknown else ''}")
    for status in (PRUNED, SKIPPED):
        n = sum(r["status"] == status for r in rows)
        cells.append(str(n) if n else "")
    return cells[0], cells[1], cells[2], cells[3]


def _line(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """Cells padded to their widths (cut with '…'), the counts right-aligned."""
    out = []
    for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        text = cell if len(cell) <= width else cell[: width - 1] + "…"
        out.append(text.ljust(width) if i < 2 else text.rjust(width))
    return "  " + "  ".join(out).rstrip()
