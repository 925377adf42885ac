"""What `bench compare` prints: a summary that fits 80-100 columns, leading with the answer (how each run
stands against run A), the largest differences, and each run's fastest setting; every detail goes to
compare.csv and compare.html."""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from bench.report.compare import NOT_MEASURED, TOO_FEW
from bench.report.numbers import number, ratio

WIDTH = 100  # no line longer than this
TOP = 8  # differences listed in the terminal; the rest are in compare.csv
METRIC_NAMES = {"train_img_s": "train img/s", "infer_img_s": "infer img/s", "peak_rss_mb": "peak RSS MB",
                "gpu_peak_mb": "GPU peak MB", "test_accuracy": "accuracy"}


def summary_lines(labels: list[str], table: pd.DataFrame, best: pd.DataFrame, hidden: list[str],
                  alpha: float) -> list[str]:
    """The terminal summary of a comparison: runs, per metric how the runs stand, the largest differences
    beyond the noise, the fastest setting per pair, and what the verdicts mean."""
    lines = [_clip(label) for label in labels]
    if table.empty:
        lines.append("The runs share no ok cell (cells are matched on their cell_id).")
    for run, rows in table.groupby("run", sort=False):
        lines += ["", f"{run.split(':')[0]} against A: {rows['cell_id'].nunique()} cells measured ok in both "
                      "(ratio = this run / A)", *_metric_lines(rows)]
    lines += [part for line in hidden for part in _wrap(line).splitlines()]
    lines += _difference_lines(table)
    lines += _best_lines(best)
    if not table.empty:
        lines += ["", *_legend(alpha)]
    return lines


def _metric_lines(rows: pd.DataFrame) -> list[str]:
    """Per metric: cells, median ratio, ratio range, verdict counts."""
    header = _row(("metric", "cells", "median", "range", "verdicts"), (16, 5, 8, 14, 0), right=(1, 2))
    out = ["  " + header]
    order = {m: i for i, m in enumerate(METRIC_NAMES)}
    for metric, part in sorted(rows.groupby("metric", sort=False), key=lambda g: order.get(g[0], len(order))):
        verdicts = ", ".join(f"{n} {v}" for v, n in part["verdict"].value_counts().items())
        spread = f"{number(part['ratio'].min())}-{ratio(part['ratio'].max())}"
        name = METRIC_NAMES.get(metric, metric)
        cells = (name, str(len(part)), ratio(part["ratio"].median()), spread, verdicts)
        out.append(_clip("  " + _row(cells, (16, 5, 8, 14, 0), right=(1, 2))))
    return out


def _difference_lines(table: pd.DataFrame) -> list[str]:
    """The TOP differences beyond the noise, furthest from 1 first; far ratios that too few repeats could
    not test are listed too, as such."""
    flagged = table[table["verdict"].isin(["higher", "lower"])]
    untested = table[(table["verdict"] == TOO_FEW) & ((table["ratio"] < 0.8) | (table["ratio"] > 1.25))]
    several = table["run"].nunique() > 1
    widths = (3, 19, 24, 11, 7, 8, 6)[0 if several else 1:]
    right = tuple(i - (0 if several else 1) for i in (4, 5, 6))
    out = []
    for title, part in (("Largest differences beyond the noise", flagged),
                        ("Far from 1 but too few repeats to test", untested)):
        if part.empty:
            continue
        part = part.assign(far=part["ratio"].map(lambda r: abs(math.log(r)) if r and r == r else 0.0))
        part = part.sort_values("far", ascending=False)
        more = f"; all {len(part)} in compare.csv" if len(part) > TOP else ""
        header = ("run", "pair", "setting", "metric", "A", "this run", "ratio")[0 if several else 1:]
        out += ["", f"{title} (ratio = this run / A{more}):", "  " + _row(header, widths, right)]
        for _, r in part.head(TOP).iterrows():
            name = METRIC_NAMES.get(r["metric"], r["metric"])
            cells = (r["run"].split(":")[0], r["pair"], short_setting(r), name, number(r["a"]),
                     number(r["b"]), ratio(r["ratio"]))[0 if several else 1:]
            out.append(_clip("  " + _row(cells, widths, right)))
    return out


def _best_lines(best: pd.DataFrame) -> list[str]:
    """Each run's fastest training setting per pair, and how it stands against run A's."""
    if best.empty:
        return []
    widths = (20, 3, 24, 8, 0)
    out = ["", "Fastest training setting per pair:",
           "  " + _row(("pair", "run", "setting", "img/s", "against run A"), widths, right=(3,))]
    for _, r in best.iterrows():
        cells = (r["pair"], r["run"].split(":")[0], _compact(r["best_setting"]), number(r["train_img_s"]),
                 _standing(r))
        out.append(_clip("  " + _row(cells, widths, right=(3,))))
    return out


def _standing(row: pd.Series) -> str:
    """'same as A', 'A's best here: ok, rank 2 of 4, 0.95x the best', 'not measured in A', 'unstable'."""
    notes = ["unstable"] if row["unstable"] else []
    if row["same_as_A"] == "yes":
        notes.append("same as A")
    elif row["same_as_A"] == "no":
        notes.append(f"A's best here: {row['A_best_here']}")
    elif row["same_as_A"]:
        notes.append(str(row["same_as_A"]))
    return "; ".join(notes)


def _legend(alpha: float) -> list[str]:
    """What each verdict means, in a few lines."""
    text = (f"higher/lower: the repeats differ (exact Mann-Whitney U, p <= {number(alpha)}); within noise: "
            "each median lies in the other run's repeat range; not significant: the test could tell and did "
            "not; too few repeats: with this many repeats the test cannot flag anything, whatever the ratio; "
            f"{NOT_MEASURED}: no repeats (memory, accuracy).")
    return _wrap(text, 90).splitlines()


def short_setting(row: pd.Series) -> str:
    """'cpu b128 float32 t auto' (plus pipeline, backend, strategy and jit where not the default)."""
    parts = [str(row.get("device")), f"b{number(row.get('batch_size'))}", str(row.get("precision")),
             f"t {row.get('threads')}"]
    if row.get("pipeline") not in (None, "memory"):
        parts.append(str(row.get("pipeline")))
    return " ".join(parts)


def _compact(setting: str) -> str:
    """setting_text's 'cpu, batch 128, float32, threads auto, memory' as 'cpu b128 float32 t auto'."""
    parts = [p.strip() for p in setting.split(",")]
    out = []
    for p in parts:
        if p.startswith("batch "):
            out.append("b" + p.removeprefix("batch ").split(" ")[0])
        elif p.startswith("threads "):
            out.append("t " + p.removeprefix("threads "))
        elif p != "memory":
            out.append(p)
    return " ".join(out)


def _row(cells: tuple[str, ...], widths: tuple[int, ...], right: tuple[int, ...] = ()) -> str:
    """Cells padded (or cut with '…') to their widths, numbers right-aligned; width 0: as long as it is."""
    out = []
    for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        text = str(cell)
        if width and len(text) > width:
            text = text[: width - 1] + "…"
        out.append(text.rjust(width) if i in right else text.ljust(width))
    return "  ".join(out).rstrip()


def _clip(line: str) -> str:
    """A line cut to WIDTH characters."""
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def _wrap(text: str, width: int = WIDTH) -> str:
    """A long sentence wrapped at width, continuation lines indented."""
    return textwrap.fill(text, width, subsequent_indent="  ")
