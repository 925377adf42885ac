"""Time estimates for a plan, from earlier runs' records on this machine (results/*/results.jsonl)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench import store
from bench.cell import Cell


def earlier_wall_s(results_root: Path, hostname: str) -> tuple[dict[str, float], dict[tuple, float]]:
    """Median wall_s of finished cells on this host: by cell_id, and by (model, data, mode, device, batch)."""
    by_id: dict[str, list[float]] = {}
    by_kind: dict[tuple, list[float]] = {}
    for env_path in sorted(results_root.glob(f"*/{store.ENV}")):
        try:
            if json.loads(env_path.read_text(encoding="utf-8")).get("hostname") != hostname:
                continue
        except (OSError, json.JSONDecodeError):
            continue
        for r in store.read_records(env_path.parent):
            if r.get("status") != "ok" or r.get("wall_s") is None:
                continue
            by_id.setdefault(r["cell_id"], []).append(float(r["wall_s"]))
            by_kind.setdefault(_kind(Cell.from_dict(r)), []).append(float(r["wall_s"]))
    median = statistics.median
    return ({k: median(v) for k, v in by_id.items()}, {k: median(v) for k, v in by_kind.items()})


def _kind(cell: Cell) -> tuple:
    """Cells alike enough that one's time predicts the other's."""
    data = cell.stands_for or cell.dataset.split(":")[0]
    return (cell.model, data, cell.mode, cell.device, cell.batch_size, cell.strategy, cell.replicas)


def estimate_s(cells: list[Cell], results_root: Path, hostname: str) -> tuple[float, int]:
    """(seconds for the cells that have an earlier comparable result, how many cells had none)."""
    by_id, by_kind = earlier_wall_s(results_root, hostname)
    total, unknown = 0.0, 0
    for cell in cells:
        t = by_id.get(cell.cell_id, by_kind.get(_kind(cell)))
        if t is None:
            unknown += 1
        else:
            total += t
    return total, unknown
