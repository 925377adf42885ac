"""The leaderboard (bench.report.leaderboard) shown: rich tables for a 100-column terminal, a CSV, and one
self-contained HTML page with a log-scale bar chart per pair (the newest run highlighted)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench import atomic
from bench.report.estimate import human_seconds
from bench.report.leaderboard import VS_DERIVED
from bench.report.numbers import number

CSV_COLUMNS = ["pair", "precision", "data", "machine", "derived", "device", "train_img_s", "setting",
               "infer_img_s", "infer_setting", "epochs", "estimate_s", "memory_mb", "gpu_memory_mb",
               "j_per_img", "cost", "ratio", "ratio_basis", "contended_left_out", "newest", "gap", "marks"]
ABOUT = (
    "Best figures per machine and pair, like for like: the same pair, precision and kind of data "
    "(synthetic data of the real shape, or real). Full training: the estimate at the epochs in brackets "
    "(a derived machine: its own wall time). Ratio: the baseline's full-training time over this "
    "machine's, per epoch (2.0x: twice as fast); * marks a ratio against a derived machine's wall time on "
    "real data. Derived rows come from a report's wall times, not from measured cells. A machine "
    "without the pair shows a gap."
)


def ratio_text(row: pd.Series) -> str:
    """'2.31x', '0.36x*' (against derived wall times), '' without a ratio."""
    value = row.get("ratio")
    if value is None or value != value:
        return ""
    return f"{value:.2f}x" + ("*" if row.get("ratio_basis") == VS_DERIVED else "")


def full_training(row: pd.Series) -> str:
    """'3.1 h (50 ep)' from estimate_s and epochs."""
    seconds, epochs = row.get("estimate_s"), row.get("epochs")
    if seconds is None or seconds != seconds:
        return ""
    text = human_seconds(float(seconds))
    return f"{text} ({int(epochs)})" if epochs is not None and epochs == epochs else text


def marks_text(row: pd.Series) -> str:
    """The row's marks on one line."""
    marks = row.get("marks")
    return ", ".join(marks) if isinstance(marks, list) else ""


def data_text(row: pd.Series) -> str:
    """'synthetic', 'real', plus the precision when it is not float32."""
    if row.get("gap"):
        return ""
    precision = row.get("precision")
    extra = "" if precision == "float32" or not isinstance(precision, str) else f" {precision}"
    return f"{row.get('data')}{extra}"


def short_label(label: str, labels: list[str] | None = None) -> str:
    """A machine's label up to its first comma ('Intel Xeon (CI)'): the terminal's machine column, whose full
    labels are listed once under the tables; the whole label when another of `labels` starts the same."""
    short = label.split(", ")[0]
    clash = [x for x in labels or [] if x != label and x.split(", ")[0] == short]
    return label if clash else short


def terminal_tables(table: pd.DataFrame, baseline: str) -> list[Table]:
    """One rich table per pair: machine, data, training and inference img/s, full training, memory,
    ratio to the baseline, setting and marks (a gap as dashes)."""
    tables = []
    labels = [str(m) for m in dict.fromkeys(table["machine"])]
    for pair, rows in table.groupby("pair", sort=False):
        out = Table(title=Text(str(pair), style="bold"), title_justify="left", box=box.SIMPLE_HEAD,
                    padding=(0, 1), pad_edge=False)
        out.add_column("machine", min_width=20, max_width=28, overflow="fold")
        out.add_column("data")
        out.add_column("train/s", justify="right")
        out.add_column("infer/s", justify="right")
        out.add_column("full training", justify="right")
        out.add_column("mem MB", justify="right")
        out.add_column("vs base", justify="right")
        out.add_column("setting", min_width=8, overflow="fold")
        for _, row in rows.iterrows():
            label = ("> " if row.get("newest") else "") + short_label(str(row["machine"]), labels)
            if row.get("gap"):
                cells = [label, "", "-", "-", "-", "-", "", marks_text(row)]
            else:
                notes = ", ".join(x for x in (str(row.get("compact_setting") or ""), marks_text(row)) if x)
                cells = [label, data_text(row), number(row.get("train_img_s")),
                         number(row.get("infer_img_s")), full_training(row), number(row.get("memory_mb")),
                         ratio_text(row), notes]
            style = "dim" if row.get("gap") else "bold" if row.get("newest") else None
            out.add_row(*(Text(c) for c in cells), style=style)  # Text: no rich markup from a file's strings
        tables.append(out)
    return tables


def print_terminal(table: pd.DataFrame, baseline: str, console: Console | None = None) -> None:
    """The tables, the machines' full labels, and the legend under them."""
    console = console or Console()
    for part in terminal_tables(table, baseline):
        console.print(part)
    labels = [str(m) for m in dict.fromkeys(table["machine"])]
    for label in labels:
        if short_label(label, labels) != label:
            console.print(f"{short_label(label, labels)}: {label}", highlight=False, markup=False)
    console.print(f"vs base: against {baseline}. {ABOUT} '>' marks the newest run.", highlight=False,
                  markup=False)


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """The leaderboard as CSV: raw numbers, marks joined with '; '."""
    out = table.reindex(columns=CSV_COLUMNS).copy()
    out["marks"] = out["marks"].map(lambda m: "; ".join(m) if isinstance(m, list) else "")
    return atomic.write_text(Path(path), out.to_csv(index=False))


def _chart_png(pair: str, rows: pd.DataFrame) -> str:
    """Log-scale horizontal bars of best training img/s per machine, newest highlighted, derived hatched;
    base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    rows = rows[rows["train_img_s"].notna() & (rows["train_img_s"] > 0)].iloc[::-1]
    labels = [f"{r['machine']} ({data_text(r)}{', derived' if r['derived'] else ''})"
              for _, r in rows.iterrows()]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.2))
    colors = ["#e07b00" if n else "#4c72b0" for n in rows["newest"]]
    bars = ax.barh(range(len(rows)), rows["train_img_s"].astype(float), color=colors)
    for bar, derived in zip(bars, rows["derived"], strict=True):
        if derived:
            bar.set_hatch("//")
            bar.set_alpha(0.55)
    for i, value in enumerate(rows["train_img_s"]):
        ax.text(float(value), i, f" {number(value)}", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlabel("best training images/s (log scale)")
    ax.set_title(pair, fontsize=10)
    ax.margins(x=0.25)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _html_table(rows: pd.DataFrame) -> str:
    """The pair's rows as an escaped HTML table."""
    head = ["machine", "data", "train img/s", "setting", "infer img/s", "full training", "memory MB",
            "J/img", "cost", "ratio", "marks"]
    body = []
    for _, row in rows.iterrows():
        cells = [row["machine"], data_text(row), number(row.get("train_img_s")), row.get("setting") or "",
                 number(row.get("infer_img_s")), full_training(row), number(row.get("memory_mb")),
                 number(row.get("j_per_img")), number(row.get("cost")), ratio_text(row), marks_text(row)]
        if row.get("gap"):
            cells[2:10] = ["-", "", "-", "-", "-", "", "", ""]
        style = ' class="newest"' if row.get("newest") else ""
        body.append(f"<tr{style}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><tr>{header}</tr>{''.join(body)}</table>"


STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5rem auto;padding:0 1rem;"
         "color:#222}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}"
         "th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:left}th{background:#f3f3f3}"
         "tr.newest td{background:#fff1de;font-weight:bold}img{max-width:100%}.note{color:#444}")


def write_html(table: pd.DataFrame, path: Path, baseline: str, notes: list[str]) -> Path:
    """One self-contained page: the legend, then per pair its chart and its table (every string escaped)."""
    parts = [f"<!doctype html><html><head><meta charset=\"utf-8\"><title>galaxybench machines</title>"
             f"<style>{STYLE}</style></head><body><h1>Machines</h1>",
             f"<p class=\"note\">Baseline: {html.escape(baseline)}. {html.escape(ABOUT)} The newest run is "
             "highlighted (orange bars); derived rows are hatched.</p>"]
    parts += [f"<p class=\"note\">{html.escape(n)}</p>" for n in notes]
    for pair, rows in table.groupby("pair", sort=False):
        parts.append(f"<h2>{html.escape(str(pair))}</h2>")
        if rows["train_img_s"].notna().any():
            parts.append(f'<img alt="{html.escape(str(pair))}" src="data:image/png;base64,'
                         f'{_chart_png(str(pair), rows)}">')
        parts.append(_html_table(rows))
    parts.append("</body></html>")
    return atomic.write_text(Path(path), "\n".join(parts) + "\n")

