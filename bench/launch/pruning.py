"""Predict each cell from what the run has measured so far, and prune, with the evidence named, a cell
predicted far over its budget (it would end as a `timeout` record that says nothing).

Evidence, best first: the same pair measured at this precision at another batch/thread count; the same
pair in float32 times this precision's slowdown measured on another pair; another model measured at the
same settings times the ratio of their FLOPs; the priors of bench.launch.predict. Cells run cheapest first, so
the small pairs' cells (and their precision slowdowns) are measured before the large pairs need them.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.config.cell import Cell
from bench.launch.predict import Prediction, Priors, data_of, prior_img_s, wall_s
from bench.report.numbers import number

PRUNE_FACTOR = 1.5  # "far over": even a prediction 1.5x too pessimistic would still time out


def _key(x: Any, *names: str) -> tuple:
    get = x.get if isinstance(x, dict) else lambda k: getattr(x, k)
    return tuple(str(get(n)) if n == "threads" else get(n) for n in names)


SAME_PAIR = ("model", "device", "backend", "strategy", "replicas", "jit_compile", "pipeline")
SAME_SETTINGS = ("device", "backend", "strategy", "replicas", "jit_compile", "pipeline", "batch_size",
                 "threads")


@dataclass
class Planner:
    """Predictions for a run's cells, sharpened by every record it observes."""

    priors: Priors
    peak_gflop_s: dict[str, float]
    cores: int
    examples: dict[str, int] = field(default_factory=dict)
    measured: list[dict[str, Any]] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # actual / predicted wall of finished cells
    history: dict[str, float] = field(default_factory=dict)  # cell_id -> median wall_s of earlier runs here
    tried: set[str] = field(default_factory=set)  # precisions whose first (evidence) cell has run

    def observe(self, record: dict[str, Any], predicted_s: float | None = None) -> None:
        """Learn from a finished cell: its speed (ok throughput cells) and how far off its prediction was."""
        if record.get("status") not in ("skipped", "pruned", None):
            self.tried.add(record.get("precision", "float32"))
        if record.get("status") == "ok" and record.get("mode") == "throughput" and record.get("train_img_s"):
            self.measured.append(record)
        if predicted_s and record.get("status") == "ok" and record.get("wall_s"):
            self.ratios.append(record["wall_s"] / predicted_s)

    @property
    def correction(self) -> float:
        """Median actual/predicted wall time of the finished cells (1 before any)."""
        return statistics.median(self.ratios) if self.ratios else 1.0

    def img_s(self, cell: Cell) -> tuple[float | None, str]:
        """Predicted training img/s of cell, and the evidence."""
        same = self._nearest([r for r in self.measured if _key(r, *SAME_PAIR) == _key(cell, *SAME_PAIR)
                              and data_of(r) == data_of(cell) and r["precision"] == cell.precision], cell)
        if same is not None:
            return same["train_img_s"], f"same pair: {same['cell_id']} ({same['train_img_s']:,.1f} img/s)"
        base, basis = self._float32_img_s(cell)
        if base is None or cell.precision == "float32":
            return base, basis
        factor, why = self.precision_speed(cell.precision)
        return base * factor, f"{basis}; x{number(factor)} for {cell.precision} ({why})"

    def _float32_img_s(self, cell: Cell) -> tuple[float | None, str]:
        """Float32 training img/s: the same pair measured, else another model by FLOPs ratio, else prior."""
        f32 = [r for r in self.measured if r["precision"] == "float32"]
        same = self._nearest([r for r in f32 if _key(r, *SAME_PAIR) == _key(cell, *SAME_PAIR)
                              and data_of(r) == data_of(cell)], cell)
        if same is not None:
            return same["train_img_s"], f"{same['cell_id']} float32 at {same['train_img_s']:,.1f} img/s"
        mine = self.priors.flops(cell.model, data_of(cell))
        alike = [r for r in f32 if _key(r, *SAME_SETTINGS) == _key(cell, *SAME_SETTINGS)
                 and r.get("train_flops_per_image") and r["model"] != cell.model]
        if mine and alike:
            other = max(alike, key=lambda r: r["train_flops_per_image"])  # the nearest in cost measured
            ratio = other["train_flops_per_image"] / mine
            return (other["train_img_s"] * ratio,
                    f"FLOPs ratio {number(ratio)} to {other['cell_id']} ({other['train_img_s']:,.1f} img/s)")
        return prior_img_s(dataclasses.replace(cell, precision="float32"), self.priors,
                           self.peak_gflop_s.get(cell.device), self.cores)

    def precision_speed(self, precision: str) -> tuple[float, str]:
        """This run's measured img/s ratio precision/float32 at identical settings (the cheapest pair's
        first), else the prior's."""
        pairs = []
        base = {(_key(r, *SAME_PAIR, *SAME_SETTINGS), data_of(r)): r for r in self.measured
                if r["precision"] == "float32"}
        for r in self.measured:
            if r["precision"] == precision:
                b = base.get((_key(r, *SAME_PAIR, *SAME_SETTINGS), data_of(r)))
                if b is not None:
                    pairs.append((r["train_img_s"] / b["train_img_s"], r["cell_id"], b["cell_id"]))
        if pairs:
            ratio = statistics.median(p[0] for p in pairs)
            return ratio, f"measured on {pairs[0][1]} vs {pairs[0][2]}" + (
                f" and {len(pairs) - 1} more" if len(pairs) > 1 else "")
        prior = self.priors.precision_speed.get(precision)
        return (prior, "prior from results/example") if prior else (1.0, "no measurement: assumed 1")

    @staticmethod
    def _nearest(records: list[dict[str, Any]], cell: Cell) -> dict[str, Any] | None:
        """The record nearest to cell in batch size (log scale), then in thread count."""
        if not records:
            return None

        def distance(r: dict[str, Any]) -> tuple[float, int]:
            other_threads = int(str(r["threads"]) != str(cell.threads))
            return abs(math.log(r["batch_size"] / cell.batch_size)), other_threads

        return min(records, key=distance)

    def predict(self, cell: Cell) -> Prediction:
        """Predicted wall seconds (with the run's correction so far) and training img/s of cell."""
        if not isinstance(cell.batch_size, int):
            return Prediction(None, None, f"batch_size {cell.batch_size!r} is found while the cell runs")
        if cell.cell_id in self.history:
            earlier = self.history[cell.cell_id]
            return Prediction(earlier, None, "this cell's median wall time in earlier runs on this host",
                              raw_seconds=earlier)
        img_s, basis = self.img_s(cell)
        if img_s is None or img_s <= 0:
            return Prediction(None, None, basis)
        scale = self.priors.fixed_scale(self.peak_gflop_s.get("cpu"))  # setup and tracing run on the CPU
        seconds = wall_s(cell, img_s, self.priors, self.examples, scale)
        if seconds is None:
            return Prediction(None, img_s, basis + "; training examples unknown")
        if self.ratios:
            basis += f"; x{self.correction:.2f} (actual/predicted of {len(self.ratios)} finished cells)"
        return Prediction(seconds * self.correction, img_s, basis, raw_seconds=seconds)

    def prune_reason(self, cell: Cell, budget_s: float | None = None) -> tuple[Prediction, str | None]:
        """The prediction, and why the cell is pruned (None: run it). A precision's first cell (on the
        cheapest pair, as cells run cheapest first) is the evidence for the rest: only its timeout
        prunes it."""
        p = self.predict(cell)
        budget = budget_s or cell.timeout_s
        if cell.precision not in self.tried:
            budget = max(budget, cell.timeout_s)
        if p.seconds is None or p.seconds <= PRUNE_FACTOR * budget:
            return p, None
        return p, (f"predicted {p.seconds:,.0f} s, over {PRUNE_FACTOR:g}x the {budget:,.0f} s budget "
                   f"per cell (training ~{number(p.img_s)} img/s); evidence: {p.basis}")


def cheapest_first(cells: list[Any], planner: Planner) -> list[Any]:
    """Planned cells ordered by predicted time (unknown last), file order among equals."""
    def cost(p: Any) -> float:
        s = planner.predict(p.cell).seconds
        return math.inf if s is None else s

    return sorted(cells, key=cost)
