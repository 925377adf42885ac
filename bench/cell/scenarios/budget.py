"""Budget: train for a wall-clock budget (budget_s), then evaluate: accuracy at a fixed time."""

from __future__ import annotations

from typing import Any

from bench.cell.scenarios.train import fit_and_evaluate
from bench.cell.scenarios.workload import Workload
from bench.cell.trackers.timing import BudgetStop
from bench.config.cell import Cell


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Fit until budget_s seconds have passed (or cell.epochs ran), then the test metrics."""
    return fit_and_evaluate(cell, work, [BudgetStop(float(cell.budget_s))], cell.epochs or 1000)
