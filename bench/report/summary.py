"""RUN_DIR/results.csv (every record, flat, for notebooks) and RUN_DIR/summary.md (tables to paste).

summary.md escapes every value it shows, as report.html does: a record's text (a name from another
machine: `<script>`, `<img onerror=...>`, a pipe or a line break) shows as written and can neither run
in a Markdown viewer nor break a table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from bench import atomic
from bench.report import among as others
from bench.report import headline as lead
from bench.report import machines, noise
from bench.report.cost import ABOUT, NO_PRICE, EnergySection
from bench.report.load import Run
from bench.report.numbers import number
from bench.report.recommend import not_compared_line, readable
from bench.report.tables import pruned_apart

# Columns the loader derives (not in the records): left out of results.csv.
_DERIVED = ("data", "pair", "failed")
# What Markdown reads as markup inside a table cell (emphasis, code, links, cells, strikethrough) is
# backslash-escaped (CommonMark); < > & become entities, so no HTML passes through. An underscore between
# two letters or digits is never emphasis and stays as it is (mnist_cnn).
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def to_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The records with nested values (lists, dicts) as JSON strings, derived columns dropped."""
    flat = df.drop(columns=[c for c in _DERIVED if c in df.columns])
    for col in flat.columns:
        if flat[col].map(lambda v: isinstance(v, (list, dict))).any():
            flat[col] = flat[col].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return flat


def write_csv(run: Run, folder: Path | None = None) -> Path:
    """Write results.csv into folder (default RUN_DIR) and return its path."""
    path = (folder or run.path) / "results.csv"
    atomic.write_text(path, to_csv_frame(run.df).to_csv(index=False), errors="backslashreplace")
    return path


def md_text(value: object) -> str:
    """Text shown as written in Markdown, on one line: HTML's < > & as entities, Markdown's punctuation
    backslash-escaped, line breaks as <br> (a table cell holds no newline)."""
    text = "".join(_ENTITIES.get(ch, ch) for ch in str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"\r\n|\r|\n", "<br>", text)


def write_markdown(run: Run, headline: pd.DataFrame, recs: pd.DataFrame, problems: pd.DataFrame,
                   energy: EnergySection | None = None, seed: list[str] | None = None,
                   plan: pd.DataFrame | None = None, among: others.Among | None = None,
                   folder: Path | None = None) -> Path:
    """Write summary.md into folder (default RUN_DIR): machine, the leading sentences, headline answers,
    this machine among others (``among``), recommendations, energy, the seed's tables (``seed``: that
    section's parts, Markdown already), skipped and failed cells, pruned cells, plan against actual."""
    done = int((run.df["status"] == "ok").sum())
    failed, pruned = pruned_apart(problems)
    parts = [
        f"# galaxybench run {md_text(run.path.name)}",
        f"Machine: {md_text(run.machine)}",
        f"Cells: {len(run.df)} recorded, {done} ok, {len(pruned)} pruned"
        + (f", {run.planned_cells} planned" if run.planned_cells else ""),
        *[md_text(s) for s in lead.sentences(run, among)],
        *[f"- note: {md_text(n)}" for n in [*noise.notes(run.df, run.env), *run.notes]],
        "## Headline answers",
        _md(headline),
        *_among_md(among),
        *_machines_md(run.df),
        "## Recommendations (gain over the student's setting: batch 32, float32, threads auto)",
        _md(readable(recs)),
        *filter(None, [not_compared_line(run.df)]),
        *(_energy_md(energy) if energy is not None else []),
        *(seed or []),
        "## Skipped and failed cells",
        _md(failed),
        "## Pruned cells (not run: predicted far over the per-cell budget; never ranked)",
        _md(pruned),
        *(["## Plan against actual", _md(plan)] if plan is not None and not plan.empty else []),
    ]
    path = (folder or run.path) / "summary.md"
    atomic.write_text(path, "\n\n".join(parts) + "\n", errors="backslashreplace")
    return path


def _machines_md(df: pd.DataFrame) -> list[str]:
    """The 'which machine for which pair' section of a several-machine run (bench run --cluster)."""
    table = machines.which_machine(df)
    return [] if table.empty else ["## Which machine for which pair", machines.ABOUT, _md(table)]


def _among_md(found: others.Among | None) -> list[str]:
    """'This machine among others': rank and ratios per pair, or why there are none."""
    if found is None:
        return []
    table = others.table(found)
    why = md_text(found.why_none or "nothing to compare")
    body = _md(table) if not table.empty else f"_No comparison: {why}._"
    return ["## This machine among others", others.ABOUT, body]


def _energy_md(energy: EnergySection) -> list[str]:
    """The energy and cost section's parts: per-cell energy (or why none), then the cost table."""
    parts = ["## Energy and cost", ABOUT]
    if energy.cells.empty:
        parts.append(md_text("No cell measured energy: " + "; ".join(energy.reasons or ["no ok cell"])))
    else:
        parts.append(_md(energy.cells))
    if energy.price is None:
        return [*parts, NO_PRICE]
    return [*parts, f"### {md_text(energy.cost_title)}", _md(energy.cost),
            *[f"- note: {md_text(n)}" for n in energy.notes]]


def _md(table: pd.DataFrame) -> str:
    """A pipe table with every header and value escaped (md_text), or a line saying there is nothing to
    show."""
    if table.empty:
        return "_none_"
    cleaned = table.astype(object).map(lambda v: md_text(_number(v)))
    cleaned.columns = [md_text(c) for c in cleaned.columns]
    return cleaned.to_markdown(index=False, missingval="", disable_numparse=True)


def _number(value: object) -> object:
    """A number as people write it (bench.report.numbers): 21,072 and 2,974 (not 2.107e+04), 43.5, 0.958."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""  # nothing measured
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return number(value)
