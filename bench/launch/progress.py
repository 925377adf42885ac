"""The run's progress display (rich): a bar over the cells this run actually runs, and a time left that
counts down inside a long cell.

Time left = the rest of the current cell's prediction (its predicted seconds less the seconds it has run,
floored at 0) + the predictions of the cells after it. rich redraws the bar a few times a second, so the
countdown moves while a 200-s DenseNet121 cell runs; each finished cell refines the predictions after it.
Cells not run by this call (recorded earlier, skipped for missing data, skipped on this machine) are not on
the bar: one line before it says how many and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from bench.config.matrix import Planned
from bench.launch.datacheck import DATA_SKIP_PREFIX
from bench.launch.pruning import Planner
from bench.results import store


def duration_text(seconds: float) -> str:
    """A time left as people write it: 1 h 05 min, 12 min, 1 min (never '0 min' while time is left)."""
    minutes = round(seconds / 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{max(minutes, 1 if seconds > 0 else 0)} min"


def left_text(planner: Planner, cells: list[Planned]) -> str:
    """The predicted time of the cells still to run, as people write it (1 h 05 min, 12 min)."""
    seconds = [planner.predict(p.cell).seconds for p in cells if not p.skip_reason]
    known = sum(s for s in seconds if s is not None)
    unknown = sum(s is None for s in seconds)
    return duration_text(max(known, 1.0)) + (f" (+{unknown} cells unknown)" if unknown else "")


class Countdown:
    """The time left: the current cell's prediction less its elapsed time (floored at 0), plus the cells
    after it. clock is time.monotonic (a test passes its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.current_s: float | None = None
        self.after_s = 0.0
        self.unknown = 0
        self.started = clock()
        self.finished = False

    def start_cell(self, predicted_s: float | None, after_s: float, unknown: int) -> None:
        """A cell starts: its prediction (None: unknown, or it needs no time), and what follows it."""
        self.current_s, self.after_s, self.unknown = predicted_s, after_s, unknown
        self.started = self.clock()

    def left_s(self) -> float:
        """Seconds left now (0 once finished)."""
        if self.finished:
            return 0.0
        current = max((self.current_s or 0.0) - (self.clock() - self.started), 0.0)
        return current + self.after_s

    def text(self) -> str:
        """'12 min', '1 h 05 min (+2 cells unknown)', '0 min' at the end."""
        unknown = "" if self.finished or not self.unknown else f" (+{self.unknown} cells unknown)"
        return duration_text(self.left_s()) + unknown


class LeftColumn(ProgressColumn):
    """'left ~12 min', computed at every redraw from the countdown."""

    def __init__(self, countdown: Countdown) -> None:
        super().__init__()
        self.countdown = countdown

    def render(self, task: Any) -> Text:
        return Text(f"left ~{self.countdown.text()}")


def intro_line(run_dir: Path, cells: list[Planned], total: int) -> str:
    """What the bar counts and what it leaves out: 'running 25 cells; not on the bar: 100 of the matrix's
    125 cells (100 skipped for missing data)'."""
    runnable = sum(not p.skip_reason for p in cells)
    here = len(cells) - runnable
    parts = [f"{here} that cannot run here (recorded as skipped)"] if here else []
    mine = {p.cell.cell_id for p in cells}
    latest = {r["cell_id"]: r for r in store.read_records(run_dir) if r.get("cell_id") not in mine}
    data = sum(r.get("status") == "skipped" and (r.get("reason") or "").startswith(DATA_SKIP_PREFIX)
               for r in latest.values())
    if data:
        parts.append(f"{data} skipped for missing data (listed above)")
    earlier = len(latest) - data
    if earlier:
        parts.append(f"{earlier} recorded before (--resume)")
    line = f"running {runnable} cell{'s' * (runnable != 1)}"
    if parts:
        line += f"; not on the bar, of the matrix's {total}: " + ", ".join(parts)
    return line


class RunProgress:
    """The bar over the cells to run, with the countdown (planner given) or rich's own estimate."""

    def __init__(self, console: Console, planner: Planner | None, cells: list[Planned]) -> None:
        self.planner = planner
        self.countdown = Countdown()
        left: ProgressColumn = LeftColumn(self.countdown) if planner else TimeRemainingColumn()
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), left, console=console, transient=False,
                                 refresh_per_second=2)
        self.task = self.progress.add_task("starting", total=sum(not p.skip_reason for p in cells))

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    @property
    def console(self) -> Console:
        return self.progress.console

    def start_cell(self, p: Planned, predicted_s: float | None, after: list[Planned]) -> None:
        """Show the cell and restart the countdown from its prediction and those of the cells after it."""
        self.progress.update(self.task, description=p.cell.cell_id)
        if self.planner is None:
            return
        seconds = [self.planner.predict(q.cell).seconds for q in after if not q.skip_reason]
        known = sum(s for s in seconds if s is not None)
        self.countdown.start_cell(predicted_s, known, sum(s is None for s in seconds))

    def end_cell(self, p: Planned) -> None:
        """A cell ended: one step on the bar (a cell skipped here was never on it)."""
        if not p.skip_reason:
            self.progress.advance(self.task)

    def finish(self) -> None:
        """Nothing left: the bar says done and 0 min (not the estimate from before the last cell)."""
        self.countdown.finished = True
        self.progress.update(self.task, description="done")
        self.progress.refresh()
