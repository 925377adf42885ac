"""`batch_size = "max"`: the largest batch that trains on this device, found before the cell is measured.

GPU cells: grow the batch (x2) in child processes until one runs out of memory, then bisect between the
last that fit and the first that did not; every try is recorded. CPU cells (memory is the machine's RAM,
and running out of it can take the whole machine down): measure peak RSS at two batch sizes, fit
RSS = fixed + per_image x batch, and take the largest batch predicted to fit in RAM_FRACTION of RAM.
Either way the cell is then measured at that batch, and its record says how the batch was found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.config.devices import gpu_index

GROW_START = 32
GROW_CAP = 1 << 16  # no batch beyond 65,536 images is tried
BISECT_TOLERANCE = 1 / 16  # stop when the gap is under 1/16 of the batch that fit
RAM_FRACTION = 0.8  # CPU: the largest batch predicted to use at most 80% of RAM
CPU_PROBES = (16, 64)
MULTIPLE = 8  # a CPU batch is rounded down to a multiple of 8

Probe = Callable[[int], dict[str, Any]]  # runs a short training at a batch size; returns its record


@dataclass
class Search:
    """How the batch was found: the method, every try (batch, status, memory), and the answer."""

    method: str
    tries: list[dict[str, Any]] = field(default_factory=list)
    batch_size: int | None = None
    note: str = ""

    def fields(self) -> dict[str, Any]:
        """The record's batch_search field."""
        return {"batch_search": {"method": self.method, "tries": self.tries, "note": self.note}}

    def probe(self, run: Probe, batch: int) -> dict[str, Any]:
        record = run(batch)
        self.tries.append({"batch_size": batch, "status": record.get("status"),
                           "peak_rss_mb": record.get("peak_rss_mb"), "gpu_peak_mb": record.get("gpu_peak_mb"),
                           "wall_s": record.get("wall_s")})
        return record


def grow_and_bisect(run: Probe, start: int = GROW_START, cap: int = GROW_CAP) -> Search:
    """Double from start until a try fails with status oom (or cap), then bisect the gap."""
    search = Search("gpu: grow x2 until out of memory, then bisect")
    fit, failed = None, None
    batch = start
    while batch <= cap:
        status = search.probe(run, batch)["status"]
        if status == "oom":
            failed = batch
            break
        if status != "ok":
            search.note = f"batch {batch} ended {status} (not out of memory): search stopped"
            search.batch_size = fit
            return search
        fit, batch = batch, batch * 2
    if failed is None:
        search.note = f"every batch up to the cap of {cap:,} fit"
        search.batch_size = fit
        return search
    lo, hi = (fit or 0), failed
    while hi - lo > max(1, math.floor((lo or 1) * BISECT_TOLERANCE)):
        mid = (lo + hi) // 2
        if search.probe(run, mid)["status"] == "ok":
            lo = mid
        else:
            hi = mid
    search.batch_size = lo or None
    if not lo:
        search.note = f"every batch tried, down to {hi}, ran out of memory"
    return search


def fit_rss(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(fixed MB, MB per image) of the line through two (batch, peak RSS MB) points."""
    (b1, r1), (b2, r2) = points
    per_image = (r2 - r1) / (b2 - b1)
    return r1 - per_image * b1, per_image


def largest_fitting(fixed_mb: float, per_image_mb: float, ram_mb: float,
                    fraction: float = RAM_FRACTION, multiple: int = MULTIPLE) -> int | None:
    """The largest multiple of `multiple` whose predicted RSS is at most fraction x RAM."""
    budget = fraction * ram_mb - fixed_mb
    if budget <= 0:
        return None
    if per_image_mb <= 0:  # RSS did not grow with the batch: memory does not bound it
        return GROW_CAP
    batch = int(budget / per_image_mb) // multiple * multiple
    return min(batch, GROW_CAP) if batch >= multiple else None


def extrapolate_rss(run: Probe, ram_mb: float, probes: tuple[int, int] = CPU_PROBES) -> Search:
    """Measure peak RSS at two batches and take the largest predicted to fit in RAM_FRACTION of RAM."""
    search = Search(f"cpu: peak RSS at batches {probes[0]} and {probes[1]}, extrapolated to "
                    f"{RAM_FRACTION:.0%} of {ram_mb:,.0f} MB RAM")
    points = []
    for batch in probes:
        record = search.probe(run, batch)
        if record.get("status") != "ok" or not record.get("peak_rss_mb"):
            search.note = f"batch {batch} ended {record.get('status')} without a peak RSS: no extrapolation"
            return search
        points.append((batch, float(record["peak_rss_mb"])))
    fixed, per_image = fit_rss(points)
    search.batch_size = largest_fitting(fixed, per_image, ram_mb)
    search.note = f"RSS ~ {fixed:,.0f} MB + {per_image:.3g} MB x batch"
    return search


def probe_cell(cell: Any, batch: int) -> Any:
    """The cell as a short fit test at one batch size: throughput, no warm-up, one-step repeats."""
    import dataclasses

    return dataclasses.replace(cell, batch_size=batch, mode="throughput", warmup_steps=0, steps=1, repeats=3,
                               min_time_s=0.001, max_time_s=0.001, epochs=None, budget_s=None,
                               target_accuracy=None, max_train_examples=None)


def train_cap(cell: Any) -> int:
    """The largest batch the cell's training split can fill once (a larger one is an error)."""
    from bench.launch.predict import dataset_examples
    from datasets import paths
    from datasets.specs import split_counts

    if cell.dataset.startswith("synthetic:"):
        return min(GROW_CAP, split_counts(int(cell.dataset.rsplit(":", 1)[1]), None)["train"])
    known = dataset_examples({cell.dataset}, paths.data_dir(None)).get(cell.dataset)
    return min(GROW_CAP, known) if known else GROW_CAP


def run(cell: Any, run_dir: Any, env: dict[str, Any],
        run_cell: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Find the cell's largest batch (each try a child process through run_cell), then measure the cell
    at it; the record keeps the cell's id, says batch_size_requested = "max" and how it was found."""
    import dataclasses

    def probe(batch: int) -> dict[str, Any]:
        return run_cell(probe_cell(cell, batch), run_dir, env)

    cap = train_cap(cell)
    if gpu_index(cell.device) is not None:
        search = grow_and_bisect(probe, start=min(GROW_START, cap), cap=cap)
    else:
        ram_mb = float(env.get("ram_gb") or 0) * 1024
        search = extrapolate_rss(probe, ram_mb, probes=(min(CPU_PROBES[0], cap), min(CPU_PROBES[1], cap)))
        if search.batch_size is not None and search.batch_size > cap:
            search.note += f"; capped at the {cap:,} training images"
            search.batch_size = cap // MULTIPLE * MULTIPLE or cap
    if search.batch_size is None:
        record = {"cell_id": cell.cell_id, **cell.config(), "status": "error",
                  "reason": f"no batch size found: {search.note}", "wall_s": 0.0}
        return record | {"batch_size_requested": "max"} | search.fields()
    record = run_cell(dataclasses.replace(cell, batch_size=search.batch_size), run_dir, env)
    return record | {"cell_id": cell.cell_id, "batch_size_requested": "max"} | search.fields()
