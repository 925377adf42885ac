"""The report's tables: headline answers, not-ok cells, and the per-class table in the seed's format."""

from __future__ import annotations

import math

import pandas as pd

from bench.report.estimate import estimate_text, estimates, setting_text

METRICS = ("precision", "recall", "f1", "support")


def headline(df: pd.DataFrame) -> pd.DataFrame:
    """Per pair and device (and machine, when several ran: bench run --cluster): fastest training/inference
    settings, full-training estimate, accuracy, memory."""
    machines = sorted(df.loc[df["status"] == "ok", "machine"].dropna().unique())
    if len(machines) < 2:
        return _headline(df)
    parts = [_headline(df[df["machine"] == m]).assign(machine=m) for m in machines]
    table = pd.concat(parts, ignore_index=True).sort_values(["pair", "device", "machine"], kind="stable")
    return table[["pair", "device", "machine", *table.columns[2:-1]]].reset_index(drop=True)


def _headline(df: pd.DataFrame) -> pd.DataFrame:
    """headline's table for one machine's records."""
    ok = df[df["status"] == "ok"]
    est = estimates(df)[0].set_index(["pair", "device"])
    rows = []
    for (pair, device), cells in ok.groupby(["pair", "device"], sort=True):
        row = {"pair": pair + (" (synthetic data)" if cells["synthetic"].all() else ""), "device": device}
        for col, name in (("train_img_s", "training"), ("infer_img_s", "inference")):
            has = cells[(cells["mode"] == "throughput") & cells[col].notna()]
            best = has.loc[has[col].idxmax()] if not has.empty else None
            row[f"best {name} images/s"] = math.nan if best is None else float(best[col])
            row[f"{name} setting"] = "" if best is None else setting_text(best) + _unsure(best)
        key = (pair, device)
        row["full training (est.)"] = (estimate_text(est.loc[key, "estimate_s"], int(est.loc[key, "epochs"]))
                                       if key in est.index else "n/a")
        real = cells[~cells["synthetic"] & cells["test_accuracy"].notna()]
        row["best test accuracy"] = math.nan if real.empty else round(float(real["test_accuracy"].max()), 4)
        row["peak RSS MB (min-max)"] = _range(cells["peak_rss_mb"])
        row["GPU peak MB (max)"] = cells["gpu_peak_mb"].max()
        rows.append(row)
    return pd.DataFrame(rows)


def _unsure(cell: pd.Series) -> str:
    """' (unstable)' / ' (throttled)' / ' (contended)' after a setting whose figure is not sure."""
    marks = [m for m in ("unstable", "throttled", "contended") if cell.get(m) == True]  # noqa: E712 (NaN: absent)
    return f" ({', '.join(marks)})" if marks else ""


def _range(values: pd.Series) -> str:
    """'min-max' of the non-null values, with thousands separators (7,788-7,790), or ''."""
    v = values.dropna()
    return "" if v.empty else f"{v.min():,.0f}-{v.max():,.0f}"


def problems(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell that is not ok, with its status and reason."""
    bad = df[df["status"] != "ok"]
    cols = [
        "cell_id",
        "status",
        "pair",
        "mode",
        "device",
        "batch_size",
        "precision",
        "threads",
        "pipeline",
        *(["machine"] if df["machine"].notna().any() else []),  # bench run --cluster
        *(["contended"] if df["contended"].notna().any() else []),  # others used > half a core meanwhile
        "reason",
    ]
    bad = bad[cols].astype(object).assign(batch_size=bad["batch_size"].astype("Int64").astype(object))
    if "contended" in bad.columns:
        bad["contended"] = bad["contended"].map(lambda v: "yes" if v == True else "")  # noqa: E712
    return bad.where(bad.notna(), "").astype(str).reset_index(drop=True)


def pruned_apart(problems: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The problems table split into (skipped and failed cells, pruned cells): reports list them apart."""
    pruned = problems["status"] == "pruned"
    return problems[~pruned], problems[pruned]


def per_class_tables(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per real dataset: classes as rows, (model, metric) as columns, plus macro and weighted averages.

    Each model's column is its most accurate ok train/budget cell (the cell's id is in the caption).
    """
    cells = df[(df["status"] == "ok") & ~df["synthetic"] & df["per_class"].map(lambda v: isinstance(v, list))]
    cells = cells[cells["test_accuracy"].notna()]
    tables = {}
    for data, group in cells.groupby("data", sort=True):
        best = group.loc[group.groupby("model")["test_accuracy"].idxmax()]
        parts = {f"{r['model']} ({r['cell_id']})": _one_model(r) for _, r in best.iterrows()}
        tables[str(data)] = pd.concat(parts, axis=1)
    return tables


def _one_model(row: pd.Series) -> pd.DataFrame:
    """One cell's per-class metrics with macro and weighted average rows (the seed's layout)."""
    table = pd.DataFrame(row["per_class"])
    names = table["name"] if "name" in table.columns else table["class"]
    table = table.set_axis(names.astype(str).to_list()).reindex(columns=list(METRICS))
    support = table["support"].sum()
    table.loc["macro avg"] = [row["macro_precision"], row["macro_recall"], row["macro_f1"], support]
    table.loc["weighted avg"] = [
        row["weighted_precision"],
        row["weighted_recall"],
        row["weighted_f1"],
        support,
    ]
    return table.rename(columns={"f1": "f1-score"})
