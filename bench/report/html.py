"""RUN_DIR/report.html: one self-contained page (images as data URIs, inline CSS, no scripts).

Every piece of text from the run folder is HTML-escaped (html.escape / DataFrame.to_html).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from bench import atomic
from bench.report import among as others
from bench.report import headline as lead
from bench.report import machines, noise
from bench.report.chart import Chart
from bench.report.compare import side_by_side
from bench.report.cost import ABOUT, NO_PRICE, EnergySection
from bench.report.load import Run, flatten
from bench.report.numbers import number
from bench.report.recommend import not_compared_line, readable
from bench.report.tables import pruned_apart

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:1250px;
padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.machine{color:#555;margin-top:0} .note{background:#fff6d5;border-left:4px solid #e0b000;padding:.3rem .6rem}
figure{margin:1rem 0 2rem} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:.9rem} table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}
.skipped li{color:#666} .wide{overflow-x:auto} .lead p{margin:.35rem 0;font-size:1.05rem}
"""


def escape(text: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(text))


def table_html(df: pd.DataFrame, empty: str) -> str:
    """An escaped HTML table, or a line saying there is nothing to show."""
    if df.empty:
        return f"<p>{escape(empty)}</p>"
    body = df.to_html(index=False, escape=True, na_rep="", float_format=number, border=0)
    return f'<div class="wide">{body}</div>'


def _paragraph(text: str) -> str:
    """An escaped <p>, or nothing for empty text."""
    return f"<p>{escape(text)}</p>" if text else ""


def figure_html(chart: Chart) -> str:
    """A chart as an <figure> with its PNG embedded as a data URI."""
    data = base64.b64encode(Path(chart.png).read_bytes()).decode("ascii")
    return (
        f'<figure id="{escape(chart.name)}"><img alt="{escape(chart.title)}" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption><b>{escape(chart.title)}.</b> {escape(chart.caption)}</figcaption></figure>"
    )


def _charts_section(charts: list[Chart]) -> str:
    """Drawn charts first, then the list of charts skipped and why."""
    drawn = [figure_html(c) for c in charts if c.skipped is None]
    skipped = [
        f"<li><b>{escape(c.title)}</b>: not drawn, {escape(c.skipped)}</li>" for c in charts if c.skipped
    ]
    out = "".join(drawn) or "<p>No chart could be drawn: no cell has finished ok yet.</p>"
    if skipped:
        out += f'<h3>Charts not drawn</h3><ul class="skipped">{"".join(skipped)}</ul>'
    return out


def _per_class_section(tables: dict[str, pd.DataFrame]) -> str:
    """The seed-format per-class tables, one per real dataset."""
    if not tables:
        return "<p>No train cell on real data reported per-class metrics.</p>"
    out = []
    for data, table in tables.items():
        out.append(f"<h3>{escape(data)} (test split)</h3>")
        out.append(table.to_html(escape=True, na_rep="", float_format=lambda v: f"{v:.4f}", border=0))
    return "".join(out)


def _machines_html(run: Run) -> str:
    """The 'which machine for which pair' section of a several-machine run (bench run --cluster), else ''."""
    table = machines.which_machine(run.df)
    if table.empty:
        return ""
    return f"<h2>Which machine for which pair</h2><p>{escape(machines.ABOUT)}</p>{table_html(table, '')}"


def _among_html(found: others.Among | None) -> str:
    """'This machine among others': rank and ratios per pair, or why there are none."""
    if found is None:
        return ""
    why = f"No comparison: {found.why_none}." if found.why_none else "No comparison."
    return (f"<h2>This machine among others</h2><p>{escape(others.ABOUT)}</p>"
            f"{table_html(others.table(found), why)}")


def _energy_html(energy: EnergySection | None) -> str:
    """The energy and cost section: per-cell energy (or why none), and the cost table with a price."""
    if energy is None:
        return ""
    none = "No cell measured energy: " + "; ".join(energy.reasons or ["no ok cell"])
    cells = table_html(energy.cells, none)
    if energy.price is None:
        cost = f"<p>{escape(NO_PRICE)}</p>"
    else:
        cost = f"<h3>{escape(energy.cost_title)}</h3>" + table_html(
            energy.cost, "No pair has a measured energy per image to price.")
        cost += "".join(f'<p class="note">{escape(n)}</p>' for n in energy.notes)
    return f"<h2>Energy and cost</h2><p>{escape(ABOUT)}</p>{cells}{cost}"


def _reproduce(run: Run) -> str:
    """How to run the same matrix again and rebuild this report."""
    versions = sorted(
        {f"TensorFlow {t}" for t in run.df["tf_version"].dropna()}
        | {f"Keras {k}" for k in run.df["keras_version"].dropna()}
    )
    cmds = (
        f"python -m bench run --matrix {run.path}/matrix.toml --out results/NEW_RUN\n"
        f"python -m bench report results/NEW_RUN\n"
        f"python -m bench compare {run.path} results/NEW_RUN"
    )
    matrix = (
        f"<details><summary>matrix.toml ({run.planned_cells or 'unknown number of'} cells)</summary>"
        f"<pre>{escape(run.matrix_text)}</pre></details>"
        if run.matrix_text
        else "<p>matrix.toml is missing.</p>"
    )
    return (
        f"<p>From the repository root, with the pinned requirements installed"
        f"{' (' + escape(', '.join(versions)) + ')' if versions else ''}:</p><pre>{escape(cmds)}</pre>"
        f"<p>The expanded matrix of this run (matrix.toml):</p>{matrix}"
    )


def render(
    run: Run,
    charts: list[Chart],
    headline: pd.DataFrame,
    recs: pd.DataFrame,
    problems: pd.DataFrame,
    per_class: dict[str, pd.DataFrame],
    energy: EnergySection | None = None,
    seed: str = "",
    plan: pd.DataFrame | None = None,
    among: others.Among | None = None,
) -> str:
    """The whole report page as one HTML string; ``seed`` is the seed-tables section's HTML, ``plan``
    the plan-against-actual table (bench.report.plan_actual), ``among`` this machine's place among the
    registry's (bench.report.among)."""
    ok = int((run.df["status"] == "ok").sum())
    failed, pruned = pruned_apart(problems)
    planned = f" of {run.planned_cells} planned" if run.planned_cells else ""
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in [*noise.notes(run.df, run.env), *run.notes])
    sentences = "".join(f"<p>{escape(s)}</p>" for s in lead.sentences(run, among))
    env = pd.DataFrame(list(flatten(run.env).items()), columns=["key", "value"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>galaxybench report: {escape(run.path.name)}</title><style>{STYLE}</style></head><body>
<h1>galaxybench report: {escape(run.path.name)}</h1>
<p class="machine">Machine: {escape(run.machine)}. Cells: {len(run.df)} recorded{escape(planned)}, {ok} ok,
{int(run.df["failed"].sum())} failed, {int((run.df["status"] == "skipped").sum())} skipped,
{int((run.df["status"] == "pruned").sum())} pruned.</p>
<div class="lead">{sentences}</div>
{notes}
<h2>Headline answers</h2>{table_html(headline, "No cell has finished ok yet.")}
{_among_html(among)}
{_machines_html(run)}
<h2>Charts</h2>{_charts_section(charts)}
<h2>Recommendations</h2>
<p>Best measured setting per pair and objective; gain = how many times better than the student's setting
(batch 32, float32, default threads) on the same device, where that setting was measured; two
settings whose repeat ranges overlap are a tie. Only pairs with two or more settings measured appear.</p>
{table_html(readable(recs), "No recommendation: no pair has two settings measured to compare.")}
{_paragraph(not_compared_line(run.df))}
{_energy_html(energy)}
<h2>Per-class precision, recall and F1</h2>{_per_class_section(per_class)}
{seed}
<h2>Skipped and failed cells</h2>{table_html(failed,
                                            "None: every recorded cell is ok.")}
<h2>Pruned cells</h2>
<p>Not run: predicted far over the per-cell budget from what this run had measured (the reason gives
the prediction and its evidence). They are never ranked; <code>run --no-prune</code> runs them.</p>
{table_html(pruned, "None: no cell was pruned.")}
<h2>Plan against actual</h2>
<p>Each cell's wall time predicted just before it ran (from the cells already measured, else from
priors) against the time it took.</p>
{table_html(plan if plan is not None else pd.DataFrame(), "No cell has a prediction and a wall time.")}
<h2>Machine fingerprint (env.json)</h2>{table_html(env, "env.json is missing.")}
<h2>How to reproduce</h2>{_reproduce(run)}
</body></html>
"""


def _side_by_side_html(table: pd.DataFrame) -> str:
    """The compare table with one row per run and cell and the metrics side by side."""
    if table.empty:
        return "<p>The runs share no ok cell.</p>"
    wide = side_by_side(table).to_html(escape=True, na_rep="", float_format=number, border=0)
    return f'<div class="wide">{wide}</div>'


def render_compare(
    runs: list[Run],
    labels: list[str],
    charts: list[Chart],
    table: pd.DataFrame,
    summaries: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    alpha: float,
    notes: list[str] | tuple[str, ...] = (),
) -> str:
    """The compare page: runs and machines, notes (cells unmatched for hidden settings), verdict counts,
    ratio summary, each run's best setting per pair, charts, then the full side-by-side table."""
    counts, ratios, best = summaries
    run_rows = pd.DataFrame(
        {
            "run": labels,
            "folder": [str(r.path) for r in runs],
            "cells": [len(r.df) for r in runs],
            "ok": [int((r.df["status"] == "ok").sum()) for r in runs],
            "pruned": [int((r.df["status"] == "pruned").sum()) for r in runs],
        }
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>galaxybench compare</title><style>{STYLE}</style></head><body>
<h1>galaxybench compare</h1>{table_html(run_rows, "")}
{"".join(f'<p class="note">{escape(n)}</p>' for n in notes)}
<p>Each run is compared with run A on the cells both measured ok (same cell_id). A difference is flagged
(higher/lower) only when an exact two-sided Mann-Whitney U test on the two runs' timed repeats gives
p &le; {number(alpha)}; with 3 repeats each that means the repeat ranges do not overlap. Otherwise: "too few
repeats" when the test cannot flag anything with so few repeats (2 each), however far the ratio is from 1;
"within noise" when each run's median lies in the other's repeat range; "not significant" when the test
could tell and did not. Metrics without repeats are shown but never flagged ("noise not measured").</p>
<h2>Verdicts</h2>{table_html(counts, "The runs share no ok cell.")}
<h2>Ratios</h2><p>Per metric, the ratio (this run / run A) over the cells both measured.</p>
{table_html(ratios, "The runs share no ok cell.")}
<h2>Best training setting per pair</h2><p>Each run's fastest training cell per pair; same_as_A says
whether it is run A's, and A_best_here where run A's fastest cell stands in this run (pruned, or its
rank and speed). A run that pruned cells should never have pruned the other run's fastest; an unstable
best (repeats over 10% apart twice) can swap places with a close second by noise alone.</p>
{table_html(best, "No run measured training throughput.")}
<h2>Charts</h2>{_charts_section(charts)}
<h2>Side by side</h2>{_side_by_side_html(table)}
<p>The same rows, with every field, are in compare.csv next to this page.</p>
</body></html>
"""


def write_html(run: Run, page: str) -> Path:
    """Write RUN_DIR/report.html and return its path."""
    path = run.path / "report.html"
    atomic.write_text(path, page)
    return path
