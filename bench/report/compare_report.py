"""Build the compare output folder: compare.csv, compare charts and one self-contained compare.html."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from bench import atomic
from bench.errors import UserError
from bench.report import html
from bench.report.compare import ALPHA, best_settings, compare, hidden_differences, ratio_summary, run_labels
from bench.report.compare_charts import draw_compare
from bench.report.compare_text import summary_lines
from bench.report.load import Run, load_run
from bench.report.machines import by_machine


@dataclass(frozen=True)
class CompareResult:
    """What make_compare wrote, plus the verdict counts it printed."""

    labels: list[str]
    table: pd.DataFrame
    counts: pd.DataFrame
    ratios: pd.DataFrame
    best: pd.DataFrame
    html: Path
    csv: Path
    hidden: list[str] = field(default_factory=list)  # cells unmatched only for hidden settings (compare.py)
    alpha: float = ALPHA
    notes: list[str] = field(default_factory=list)  # each run's loader notes: lines set aside, partial runs

    def lines(self) -> list[str]:
        """The terminal summary (bench.report.compare_text), at most 100 columns wide."""
        return summary_lines(self.labels, self.table, self.best, self.hidden, self.alpha)


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Cells per (run, metric, verdict), and the median ratio of each group."""
    if table.empty:
        return pd.DataFrame()
    grouped = table.groupby(["run", "metric", "verdict"], sort=True)["ratio"]
    return grouped.agg(cells="size", median_ratio="median").reset_index()


def default_out(runs: list[Run]) -> Path:
    """A new folder of the comparison's own, beside the runs' default home (results/ or
    $BENCH_RESULTS_DIR): compare-<UTC time>-<RUN_A>-vs-<RUN_B>; never inside a run folder it reads."""
    from bench.results.paths import RESULTS_ROOT

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    names = "-vs-".join(r.path.resolve().name for r in runs[:2]) + ("-etc" if len(runs) > 2 else "")
    return RESULTS_ROOT / f"compare-{stamp}-{names}"[:200]


def check_out(out: Path) -> None:
    """UserError when --out is a file or a run folder (compare only reads run folders, never writes there)."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for compare.html, compare.csv and charts")
    if (out / "results.jsonl").exists():
        raise UserError(f"--out {out} is a run folder; compare writes only to a folder of its own, "
                        "give another --out")


def make_compare(run_dirs: list[Path], out: Path | None = None, alpha: float | None = None) -> CompareResult:
    """Load the runs, compare them with the first, write the outputs into out (default: a new folder,
    default_out)."""
    alpha = ALPHA if alpha is None else alpha
    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1 (got {alpha}); the default is {ALPHA}")
    runs = [r for d in run_dirs for r in by_machine(load_run(d))]  # a cluster run: one per machine
    out = Path(out) if out is not None else default_out(runs)
    check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    table = compare(runs, alpha)
    counts, ratios, best = verdict_counts(table), ratio_summary(table), best_settings(runs)
    charts = draw_compare(table, out / "charts")
    labels, hidden = run_labels(runs), hidden_differences(runs)
    notes = list(dict.fromkeys(f"{run.path.name}: {note}" for run in runs for note in run.notes))
    page = html.render_compare(runs, labels, charts, table, (counts, ratios, best), alpha,
                               notes=[*notes, *hidden])
    atomic.write_text(out / "compare.html", page)
    atomic.write_text(out / "compare.csv", table.to_csv(index=False))
    return CompareResult(labels, table, counts, ratios, best, out / "compare.html", out / "compare.csv",
                         hidden, alpha, notes)
