"""Earlier runs' wall times on this machine (results/*/results.jsonl), the first evidence a plan uses
for a cell that ran here before (bench.launch.pruning.Planner.history)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench.results import store


def earlier_wall_s(results_root: Path, hostname: str) -> dict[str, float]:
    """Median wall_s of each cell finished ok on this host, by cell_id."""
    by_id: dict[str, list[float]] = {}
    for env_path in sorted(results_root.glob(f"*/{store.ENV}")):
        try:
            if json.loads(env_path.read_text(encoding="utf-8")).get("hostname") != hostname:
                continue
        except (OSError, json.JSONDecodeError):
            continue
        for r in store.read_records(env_path.parent):
            if r.get("status") == "ok" and r.get("wall_s") is not None:
                by_id.setdefault(r["cell_id"], []).append(float(r["wall_s"]))
    return {k: statistics.median(v) for k, v in by_id.items()}
