"""The seed's own results tables, rebuilt from a run's train cells with the seed's figures beside them.

Galaxy10: per-class precision / recall / F1 grouped by metric with Models 1-3 side by side, the macro
and weighted averages, and accuracy / training time / epochs per model; MNIST and CIFAR-10: accuracy,
training time and epochs. Every table has a "this run" and a "seed" row per entry. This run's figures
come from the most accurate ok train cell on real data per pair (never a synthetic one); a pair the
run did not train shows the seed's row only, and the section lists what is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from bench.report import seed_reference as ref
from bench.report.estimate import human_seconds

RUN, SEED = "this run", "seed"
SMALL_PAIRS = (("mnist", "mnist_cnn"), ("cifar10", "cifar_cnn"))
ABOUT = (
    "The seed's results tables (its report, Part 5 Results, and its MNIST and CIFAR-10 sections) with "
    "this run's figures beside them: per entry a 'this run' row and a 'seed' row. This run's figures "
    "come from the most accurate ok train cell on real data per model; the seed trained on an 8-core "
    "desktop CPU with the epochs shown."
)


@dataclass(frozen=True)
class SeedSection:
    """The seed tables of one run, which cell fed each model, and what the run lacks."""

    per_class: pd.DataFrame
    averages: pd.DataFrame
    galaxy: pd.DataFrame
    small: pd.DataFrame
    cells: dict[str, str] = field(default_factory=dict)  # "data/model" -> cell_id
    missing: list[str] = field(default_factory=list)


def seed_section(df: pd.DataFrame) -> SeedSection:
    """The seed tables for the run's records ``df`` (the report loader's frame)."""
    best = _best_cells(df)
    absent = [
        f"{data}/{model}{_model_label(model)}"
        for data, model in [*SMALL_PAIRS, *((ref.GALAXY_DATASET, m) for m in ref.GALAXY_MODELS)]
        if (data, model) not in best
    ]
    missing = [f"No ok train cell on real data in this run (the seed's figures only): {', '.join(absent)}."]
    galaxy = {m: best.get((ref.GALAXY_DATASET, m)) for m in ref.GALAXY_MODELS}
    trained = any(row is not None for row in galaxy.values())
    small_labels = {_small_label(d, m) for d, m in SMALL_PAIRS if (d, m) not in best}
    return SeedSection(
        per_class=_seed_only_unless(trained, per_class_table(galaxy)),
        averages=_seed_only_unless(trained, averages_table(galaxy)),
        galaxy=_seed_only_unless(trained, galaxy_table(galaxy)),
        small=_drop_run_rows(small_table(best), small_labels),
        cells={f"{d}/{m}": str(row["cell_id"]) for (d, m), row in best.items()},
        missing=missing if absent else [],
    )


def _seed_only_unless(trained: bool, table: pd.DataFrame) -> pd.DataFrame:
    """The table, or only its seed rows when the run trained none of its models."""
    return table if trained else table[table.index.get_level_values(1) == SEED]


def _drop_run_rows(table: pd.DataFrame, labels: set[str]) -> pd.DataFrame:
    """The table without the 'this run' rows of ``labels`` (entries the run did not train)."""
    keep = [not (label in labels and source == RUN) for label, source in table.index]
    return table[keep]


def _small_label(data: str, model: str) -> str:
    """'MNIST (mnist_cnn)'."""
    return f"{ref.DATASET_NAMES[data]} ({model})"


def _model_label(model: str) -> str:
    """' (Model 2)' for a seed galaxy model, '' otherwise."""
    return f" ({ref.GALAXY_MODELS[model]})" if model in ref.GALAXY_MODELS else ""


def _best_cells(df: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    """Per seed pair, its most accurate ok train/budget cell on real data."""
    if "test_accuracy" not in df.columns:
        return {}
    ok = df[(df["status"] == "ok") & ~df["synthetic"].astype(bool) & df["test_accuracy"].notna()]
    best = {}
    for (data, model), cells in ok.groupby(["data", "model"], sort=False):
        if (data, model) in ref.ACCURACY:
            best[(str(data), str(model))] = cells.loc[cells["test_accuracy"].astype(float).idxmax()]
    return best


def _columns() -> pd.MultiIndex:
    """(metric, Model N) columns in the seed's order: Precision, Recall, F1-Score, each Models 1-3."""
    return pd.MultiIndex.from_product([list(ref.METRICS.values()), list(ref.GALAXY_MODELS.values())])


def _class_value(row: pd.Series | None, index: int, metric: str) -> float:
    """A cell's per-class ``metric`` for class ``index``; NaN without the cell or the class."""
    if row is None or not isinstance(row.get("per_class"), list):
        return math.nan
    for entry in row["per_class"]:
        if int(entry.get("class", -1)) == index:
            return float(entry[metric])
    return math.nan


def per_class_table(galaxy: dict[str, pd.Series | None]) -> pd.DataFrame:
    """Galaxy types as rows (this run, then seed), (metric, model) columns."""
    rows = {}
    for i, name in enumerate(ref.GALAXY_CLASSES):
        rows[(name, RUN)] = [_class_value(galaxy[m], i, k) for k in ref.METRICS for m in ref.GALAXY_MODELS]
        rows[(name, SEED)] = [ref.GALAXY_PER_CLASS[k][m][i] for k in ref.METRICS for m in ref.GALAXY_MODELS]
    return _frame(rows, _columns(), "Galaxy Type")


def averages_table(galaxy: dict[str, pd.Series | None]) -> pd.DataFrame:
    """Macro and weighted averages as rows (this run, then seed), (metric, model) columns."""
    rows = {}
    for avg in ("macro", "weighted"):
        label = f"{avg.capitalize()} Average"
        rows[(label, RUN)] = [
            math.nan if galaxy[m] is None else float(galaxy[m].get(f"{avg}_{k}", math.nan))
            for k in ref.METRICS
            for m in ref.GALAXY_MODELS
        ]
        rows[(label, SEED)] = [ref.GALAXY_AVERAGES[avg][k][m] for k in ref.METRICS for m in ref.GALAXY_MODELS]
    return _frame(rows, _columns(), "Average")


def galaxy_table(galaxy: dict[str, pd.Series | None]) -> pd.DataFrame:
    """Accuracy, training time and epochs as rows (this run, then seed), Models 1-3 as columns."""
    pairs = [(ref.GALAXY_DATASET, m) for m in ref.GALAXY_MODELS]
    rows = {}
    for label, ours, seed in _summary_measures():
        rows[(label, RUN)] = [ours(galaxy[m]) for m in ref.GALAXY_MODELS]
        rows[(label, SEED)] = [seed(p) for p in pairs]
    return _frame(rows, pd.Index(list(ref.GALAXY_MODELS.values())), "Measure")


def small_table(best: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    """MNIST and CIFAR-10 as rows (this run, then seed), accuracy / training time / epochs as columns."""
    rows = {}
    for data, model in SMALL_PAIRS:
        label = _small_label(data, model)
        rows[(label, RUN)] = [ours(best.get((data, model))) for _, ours, _ in _summary_measures()]
        rows[(label, SEED)] = [seed((data, model)) for _, _, seed in _summary_measures()]
    return _frame(rows, pd.Index([label for label, _, _ in _summary_measures()]), "Dataset (model)")


def _summary_measures() -> list[tuple[str, object, object]]:
    """(row label, this run's value from a cell or None, the seed's value from a pair), as text."""
    return [
        ("Accuracy", lambda r: _fmt(r, "test_accuracy", "{:.2f}"), lambda p: f"{ref.ACCURACY[p]:.2f}"),
        ("Training Time", lambda r: "" if r is None else human_seconds(_num(r, "train_s")),
         lambda p: human_seconds(ref.TRAIN_TIME_S[p])),
        ("Epochs", lambda r: _fmt(r, "epochs_run", "{:.0f}"), lambda p: str(ref.EPOCHS[p])),
    ]


def _num(row: pd.Series, key: str) -> float:
    """The row's ``key`` as a float, NaN when absent."""
    value = row.get(key)
    return math.nan if value is None or value != value else float(value)


def _fmt(row: pd.Series | None, key: str, spec: str) -> str:
    """The row's ``key`` formatted, or '' without the cell or the value."""
    if row is None:
        return ""
    value = _num(row, key)
    return "" if math.isnan(value) else spec.format(value)


def _frame(rows: dict[tuple[str, str], list], columns: pd.Index, name: str) -> pd.DataFrame:
    """A frame with a (label, this run/seed) row index."""
    index = pd.MultiIndex.from_tuples(list(rows), names=[name, "source"])
    return pd.DataFrame(list(rows.values()), index=index, columns=columns)


def to_html(section: SeedSection) -> str:
    """The section's HTML: the four tables, the cells used, and what is missing."""
    from bench.report.html import escape

    def table(df: pd.DataFrame) -> str:
        body = df.to_html(escape=True, na_rep="", float_format=lambda v: f"{v:.2f}", border=0)
        return f'<div class="wide">{body}</div>'

    used = "".join(f"<li>{escape(p)}: {escape(c)}</li>" for p, c in section.cells.items())
    missing = "".join(f'<p class="note">{escape(m)}</p>' for m in section.missing)
    return (
        f"<h2>The seed's tables, side by side</h2><p>{escape(ABOUT)}</p>{missing}"
        f"<h3>Galaxy10 DECaLS: precision, recall and F1 per galaxy type</h3>{table(section.per_class)}"
        f"<h3>Galaxy10 DECaLS: macro and weighted averages</h3>{table(section.averages)}"
        f"<h3>Galaxy10 DECaLS: accuracy and training time</h3>{table(section.galaxy)}"
        f"<h3>MNIST and CIFAR-10: accuracy and training time</h3>{table(section.small)}"
        + (f"<p>Cells used:</p><ul>{used}</ul>" if used else "")
    )


def to_markdown(section: SeedSection) -> list[str]:
    """The section's summary.md parts: heading, notes, the four tables as pipe tables."""
    from bench.report.summary import md_text  # record text (cell ids) escaped like the rest of summary.md

    used = [f"- {md_text(p)}: {md_text(c)}" for p, c in section.cells.items()]
    return [
        "## The seed's tables, side by side",
        ABOUT,
        *[f"- missing: {md_text(m)}" for m in section.missing],
        "### Galaxy10 DECaLS: precision, recall and F1 per galaxy type",
        _md(section.per_class),
        "### Galaxy10 DECaLS: macro and weighted averages",
        _md(section.averages),
        "### Galaxy10 DECaLS: accuracy and training time",
        _md(section.galaxy),
        "### MNIST and CIFAR-10: accuracy and training time",
        _md(section.small),
        *(["Cells used:", "\n".join(used)] if used else []),
    ]


def _md(df: pd.DataFrame) -> str:
    """A pipe table: index levels as leading columns, column levels joined ('Precision Model 1')."""
    flat = df.copy()
    flat.columns = [" ".join(c) if isinstance(c, tuple) else str(c) for c in flat.columns]
    flat = flat.reset_index()
    cleaned = flat.astype(object).where(flat.notna(), None)
    return cleaned.to_markdown(index=False, floatfmt=".2f", missingval="")
