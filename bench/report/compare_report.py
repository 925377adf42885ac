"""Build the compare output folder: compare.csv, compare charts and one self-contained compare.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.errors import UserError
from bench.report import html
from bench.report.compare import ALPHA, compare, run_labels
from bench.report.compare_charts import draw_compare
from bench.report.load import load_run


@dataclass(frozen=True)
class CompareResult:
    """What make_compare wrote, plus the verdict counts it printed."""

    labels: list[str]
    table: pd.DataFrame
    counts: pd.DataFrame
    html: Path
    csv: Path


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Cells per (run, metric, verdict), and the median ratio of each group."""
    if table.empty:
        return pd.DataFrame()
    grouped = table.groupby(["run", "metric", "verdict"], sort=True)["ratio"]
    return grouped.agg(cells="size", median_ratio="median").reset_index()


def make_compare(run_dirs: list[Path], out: Path | None = None, alpha: float | None = None) -> CompareResult:
    """Load the runs, compare them with the first, write the outputs into out (default RUN_A/compare)."""
    alpha = ALPHA if alpha is None else alpha
    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1 (got {alpha}); the default is {ALPHA}")
    runs = [load_run(d) for d in run_dirs]
    out = Path(out) if out is not None else runs[0].path / "compare"
    out.mkdir(parents=True, exist_ok=True)
    table = compare(runs, alpha)
    counts = verdict_counts(table)
    charts = draw_compare(table, out / "charts")
    labels = run_labels(runs)
    page = html.render_compare(runs, labels, charts, table, counts, alpha)
    (out / "compare.html").write_text(page, encoding="utf-8")
    table.to_csv(out / "compare.csv", index=False)
    return CompareResult(labels, table, counts, out / "compare.html", out / "compare.csv")
