"""One `bench run` into one run folder: what a run on this machine and a run over a Ray cluster share.

`bench run`'s options are unpacked once (bench.commands.run) into a typed, frozen RunOptions; a
RunSession holds the run folder and does the parts both kinds of run need around their cells: the lock,
the refusal of a started folder without --resume, the saved price, the torn lines set aside, SIGTERM
handled like Ctrl-C, the partial report of an interrupted run, and the end (counts, report, exit status).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import UserError
from bench.launch.workers import NOT_RECORDED
from bench.results import store

# Outcomes a cell can end in that still answer the question (a measurement, or a reason it was not run).
MEASURED_OUTCOMES = ("ok", "oom", "timeout", "nan", "pruned", "skipped", NOT_RECORDED)
RAN_WITHOUT_FIGURES = ("oom", "timeout", "nan")  # the cell's process ran and measured no throughput
EXIT_STATUS_HELP = (
    "exit status: 0 when every cell this command ran ended in a measured outcome (ok, oom, timeout, nan, "
    "pruned or skipped) and at least one that ran is ok (or none needed a process); 1 when a cell ended "
    "in error or could not be run (a cluster's machines lost), or every cell that ran ended "
    "oom/timeout/nan; 2 for a bad input (nothing run); 130 when interrupted by Ctrl-C or SIGTERM (the "
    "partial report is written, unless --no-report)")


@dataclass(frozen=True)
class RunOptions:
    """`bench run`'s command-line options, unpacked and checked once (bench.commands.run.options)."""

    matrix: str | None = None
    overrides: tuple[str, ...] = ()
    out: Path | None = None
    resume: bool = False  # --resume, or implied by --retry failed
    retry_failed: bool = False
    download: bool = False
    skip_missing: bool = False
    prune: bool = True
    cell_budget_s: float | None = None
    report: bool = True
    price_per_kwh: float | None = None
    expose_workers: bool = False
    cluster: str | None = None  # `ray` or ray://HOST:PORT, as typed
    placement: str | None = None


@dataclass(frozen=True)
class Ending:
    """How a run's cells ended: the exit status and the sentence that explains it."""

    status: int
    why: str


def ending(counts: dict[str, int], retry_command: str) -> Ending:
    """The exit status of a run whose cells ended as counts says (EXIT_STATUS_HELP states the rule)."""
    errors = counts.get("error", 0)
    unstarted = sum(n for s, n in counts.items() if s not in MEASURED_OUTCOMES and s != "error")
    if errors or unstarted:
        parts = [f"{errors:,} cell(s) ended in error"] if errors else []
        parts += [f"{unstarted:,} cell(s) could not be run"] if unstarted else []
        why = "their records' reason and log_tail say why; " if errors else ""
        return Ending(1, f"{' and '.join(parts)}; {why}`{retry_command}` runs them again")
    failed = sum(counts.get(s, 0) for s in RAN_WITHOUT_FIGURES)
    if failed and not counts.get("ok"):
        return Ending(1, f"no cell that ran measured anything ({_counts_text(counts)}); the records' "
                         "reasons say why")
    return Ending(0, "every cell ended in a measured outcome")


def _counts_text(counts: dict[str, int]) -> str:
    """{"ok": 3, "error": 1} -> "1 error, 3 ok"."""
    return ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())) or "no cell run"


def raise_interrupt(signum: int, frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C: stop the current cell (or probe), keep the folder resumable."""
    raise KeyboardInterrupt


@dataclass(frozen=True)
class RunSession:
    """One run of cells into run_dir under the given options (local or on a Ray cluster)."""

    options: RunOptions
    run_dir: Path

    def command(self, *flags: str) -> str:
        """The `bench run` command that continues this run folder with the given flags."""
        cluster = f" --cluster {self.options.cluster}" if self.options.cluster else ""
        return f"python -m bench run {' '.join(flags)} --out {self.run_dir}{cluster}"

    def run(self, cells: Callable[[], dict[str, int]]) -> int:
        """Run cells() (it returns a count per status) inside the session; returns the exit status. SIGTERM
        is Ctrl-C from the first step on (an environment probe included); an interrupted run writes its
        partial report, says so, and re-raises KeyboardInterrupt."""
        previous = signal.signal(signal.SIGTERM, raise_interrupt)
        try:
            counts = self._locked(cells)
        except KeyboardInterrupt:
            self._interrupted()
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
        return self.finish(counts)

    def _locked(self, cells: Callable[[], dict[str, int]]) -> dict[str, int]:
        """Under RUN_DIR's lock: refuse a started folder without --resume, keep the price, set torn lines
        aside, then cells()."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with store.RunLock(self.run_dir):
            if not self.options.resume and (self.run_dir / store.RESULTS).exists():
                raise UserError(f"{self.run_dir} has results already; add --resume to continue it, "
                                "or use another --out")
            if self.options.price_per_kwh is not None:
                from bench.report.cost import save_price

                save_price(self.run_dir, self.options.price_per_kwh)
            note = store.set_aside(self.run_dir)
            if note:
                print(f"note: {note}")
            return cells()

    def _interrupted(self) -> None:
        """After Ctrl-C / SIGTERM: the partial report of the cells recorded so far, and how to go on."""
        finished = len(store.read_records(self.run_dir)) if self.run_dir.is_dir() else 0
        report = f"python -m bench report {self.run_dir}"
        if not finished:
            print("interrupted before any cell was recorded: no report")
        elif not self.options.report:
            print(f"interrupted after {finished:,} record(s); `{report}` writes their partial report")
        else:
            try:
                html = self._report()
            except Exception as exc:  # the interrupt is what the user must hear about, not this
                print(f"interrupted after {finished:,} record(s); their partial report failed "
                      f"({type(exc).__name__}: {exc}); `{report}` makes it")
            else:
                print(f"interrupted: partial report of the {finished:,} record(s) so far: {html} "
                      f"(`{report}` remakes it)")
        print(f"resume with: {self.command('--resume')}", flush=True)

    def finish(self, counts: dict[str, int]) -> int:
        """The end of a run: what the cells ended in, the report, and the exit status as the last line."""
        print(f"finished: {_counts_text(counts)}  ({self.run_dir})")
        if self.options.report:
            lines, html = self._summary_and_report()
            print("\n".join(lines))
            print(f"report: {html}")
        else:
            from bench.report.headline import end_of_run_lines

            print("\n".join(end_of_run_lines(self.run_dir)))
        end = ending(counts, self.command("--retry", "failed"))
        print(f"exit status {end.status}: {end.why}")
        return end.status

    def _report(self) -> Path:
        """Write report.html (and its charts, summary.md, results.csv) for the records so far."""
        from bench.report.make import make_report

        return make_report(self.run_dir).html

    def _summary_and_report(self) -> tuple[list[str], Path]:
        """Write the report, and the plain sentences that lead it with this machine's place among the
        registry's (bench.report.headline), for the terminal."""
        from bench.report.headline import terminal_lines
        from bench.report.make import make_report

        report = make_report(self.run_dir)
        return terminal_lines(report.run, report.placed), report.html
