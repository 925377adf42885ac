"""Build every report file of one run folder: charts/, report.html, summary.md and results.csv.

They are written into a staging folder inside the run folder and swapped in only once all are whole,
so a report that fails (a full disk, a bad record, a bug) leaves the previous report as it was, and a
half-made one is never there to pass for this run's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bench import atomic
from bench.report import among, charts, cost, html, plan_actual, recommend, seed_tables, summary, tables
from bench.report.load import Run, load_run

OUTPUTS = ("report.html", "summary.md", "results.csv")
CHARTS = "charts"
STAGING = ".report.staging"  # RUN_DIR/.report.staging.PID: the report being written


@dataclass(frozen=True)
class Report:
    """What make_report wrote, and the charts it drew or skipped."""

    run: Run
    html: Path
    markdown: Path
    csv: Path
    charts: list[charts.Chart]
    energy: cost.EnergySection | None = None
    placed: among.Among | None = None  # this machine among the registry's


def make_report(run_dir: Path | str, budget_s: float | None = None) -> Report:
    """Load RUN_DIR and write its report files next to results.jsonl (charts in RUN_DIR/charts), all or
    none; the energy cost uses the price kept in RUN_DIR/pricing.json, if any. An OSError names its
    file."""
    run = load_run(run_dir)
    run = dataclasses.replace(run, df=printable_frame(run.df), notes=[printable(n) for n in run.notes])
    charts_dir = run.path / CHARTS
    if charts_dir.is_file() and not charts_dir.is_symlink():  # someone's file: never replaced
        raise FileExistsError(errno.EEXIST, "a file where the charts folder goes", str(charts_dir))
    _remove_stale_staging(run.path)
    staging = run.path / f"{STAGING}.{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)  # a killed report of an earlier process with this pid
        staging.mkdir()
        staged = _write(run, staging, budget_s)
        _swap_in(staging, run.path)
    except OSError as exc:
        raise atomic.named(exc, staging) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _moved(staged, staging, run.path)


def printable(value: Any) -> Any:
    """value with every string that is not UTF-8 text (a lone surrogate: bytes of another encoding, from
    another machine's record) shown as its escape, \\udce9, since no chart, page or table can hold it;
    lists and dicts through."""
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    return value


def printable_frame(df: pd.DataFrame) -> pd.DataFrame:
    """df with printable() applied to the text columns that need it (the others, and their dtypes, kept)."""
    out = df
    for col in df.columns:
        if not (pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])):
            continue
        values = df[col].tolist()
        fixed = [printable(v) for v in values]
        if fixed != values:
            out = out.copy() if out is df else out
            out[col] = pd.Series(fixed, index=df.index, dtype=df[col].dtype)
    return out


def _write(run: Run, folder: Path, budget_s: float | None) -> Report:
    """Draw the charts, then write report.html, summary.md and results.csv, all into folder."""
    energy = cost.energy_section(run.df, cost.load_price(run.path))
    drawn = charts.draw_all(run.df, folder / CHARTS)
    head = tables.headline(run.df)
    recs = recommend.recommendations(run.df, budget_s)
    bad = tables.problems(run.df)
    seed = seed_tables.seed_section(run.df)
    plan = plan_actual.plan_actual(run.df)
    found = among.place_run(run.path)  # this machine among the registry's (results/machines)
    page = html.render(run, drawn, head, recs, bad, tables.per_class_tables(run.df), energy,
                       seed=seed_tables.to_html(seed), plan=plan, among=found)
    page_path = atomic.write_text(folder / "report.html", page, errors="backslashreplace")
    return Report(
        run,
        page_path,
        summary.write_markdown(run, head, recs, bad, energy, seed=seed_tables.to_markdown(seed), plan=plan,
                               among=found, folder=folder),
        summary.write_csv(run, folder=folder),
        drawn,
        energy,
        found,
    )


def _swap_in(staging: Path, run_dir: Path) -> None:
    """Move the staged charts folder and files into run_dir, replacing the old ones (renames in one
    folder: no free space needed, and no link followed: a link in their place is replaced itself)."""
    charts_dir, old = run_dir / CHARTS, staging / f"{CHARTS}.old"
    if charts_dir.is_symlink():
        charts_dir.unlink()
    elif charts_dir.exists():
        charts_dir.rename(old)  # removed with the staging folder
    (staging / CHARTS).rename(charts_dir)
    for name in OUTPUTS:
        atomic.replace(staging / name, run_dir / name)
    atomic.sync_folder(run_dir)


def _moved(report: Report, staging: Path, run_dir: Path) -> Report:
    """The report with its paths in run_dir instead of the staging folder."""

    def there(path: Path | None) -> Path | None:
        return None if path is None else run_dir / path.relative_to(staging)

    drawn = [dataclasses.replace(c, png=there(c.png), svg=there(c.svg)) for c in report.charts]
    return dataclasses.replace(report, html=there(report.html), markdown=there(report.markdown),
                               csv=there(report.csv), charts=drawn)


def _remove_stale_staging(run_dir: Path) -> None:
    """Remove staging folders that reports killed part way left behind (their process is gone)."""
    import psutil

    for path in run_dir.glob(f"{STAGING}.*"):
        pid = path.suffix.lstrip(".")
        if not path.is_symlink() and (not pid.isdigit() or not psutil.pid_exists(int(pid))):
            with contextlib.suppress(OSError):
                shutil.rmtree(path)
