"""Build every report file of one run folder: charts/, report.html, summary.md, results.csv."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.report import among, charts, cost, html, plan_actual, recommend, seed_tables, summary, tables
from bench.report.load import Run, load_run

OUTPUTS = ("report.html", "summary.md", "results.csv")


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
    """Load RUN_DIR and write its report files next to results.jsonl (charts in RUN_DIR/charts); the
    energy cost uses the price kept in RUN_DIR/pricing.json, if any."""
    run = load_run(run_dir)
    try:
        return _write(run, budget_s)
    except BaseException:  # a half-made report must not pass for this run's: remove the old outputs
        for name in OUTPUTS:
            (run.path / name).unlink(missing_ok=True)
        raise


def _write(run: Run, budget_s: float | None) -> Report:
    """Draw the charts, then write report.html, summary.md and results.csv (each atomically)."""
    energy = cost.energy_section(run.df, cost.load_price(run.path))
    drawn = charts.draw_all(run.df, run.path / "charts")
    head = tables.headline(run.df)
    recs = recommend.recommendations(run.df, budget_s)
    bad = tables.problems(run.df)
    seed = seed_tables.seed_section(run.df)
    plan = plan_actual.plan_actual(run.df)
    found = among.place_run(run.path)  # this machine among the registry's (results/machines)
    page = html.render(run, drawn, head, recs, bad, tables.per_class_tables(run.df), energy,
                       seed=seed_tables.to_html(seed), plan=plan, among=found)
    return Report(
        run,
        html.write_html(run, page),
        summary.write_markdown(run, head, recs, bad, energy, seed=seed_tables.to_markdown(seed), plan=plan,
                               among=found),
        summary.write_csv(run),
        drawn,
        energy,
        found,
    )
