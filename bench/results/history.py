"""Earlier runs' wall times on this machine (results/*/results.jsonl), the first evidence a plan uses
for a cell that ran here before (bench.launch.pruning.Planner.history)."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.errors import UserError
from bench.results import loader
from bench.results.paths import ENV


def earlier_wall_s(results_root: Path, hostname: str) -> dict[str, float]:
    """Median wall_s of each cell finished ok on this host, by cell_id (records and env.json read through
    bench.results.loader; a run folder whose env.json is damaged is not this host's)."""
    by_id: dict[str, list[float]] = {}
    for env_path in sorted(results_root.glob(f"*/{ENV}")):
        try:
            env = loader.load_env(env_path.parent, need_cores=False) or {}
        except UserError:
            continue
        if env.get("hostname") != hostname:
            continue
        try:
            records = loader.load_records(env_path.parent).records
        except UserError:  # an unreadable results.jsonl: that run is no evidence
            continue
        for r in records:
            if r["status"] == "ok" and r.get("wall_s") is not None:
                by_id.setdefault(r["cell_id"], []).append(float(r["wall_s"]))
    return {k: statistics.median(v) for k, v in by_id.items()}
