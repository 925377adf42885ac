"""Machines side by side: each machine's best figures per pair, like for like, and its place among the
registry's machines (results/machines).

Like for like: a figure is compared only with figures of the same pair, precision and kind of data
(synthetic data of the real shape, or real). A machine known only from a report's wall times (the
seed's desktop) has derived rows of real data: compared with it, a measured row's ratio says so
(`ratio_basis`). The ratio is one of full-training speed: the other machine's full-training time over
this one's, per epoch (bench.report.estimate's estimate_s / epochs, validation included), so measured
estimates and a report's wall times compare on the same footing; without an estimate, training img/s.
Cells flagged `contended` (others used over half a core while they ran) are left out of a machine's
best figures unless asked for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from bench.errors import UserError
from bench.report.estimate import estimates, setting_text
from bench.report.load import load_run, to_frame
from bench.report.seed_reference import TRAIN_TIME_S
from bench.results.shared import (
    DerivedRow,
    SharedResult,
    default_label,
    library_versions,
    read_shared,
    registry_files,
)

J_PER_KWH = 3.6e6
LIKE = "like for like"
VS_DERIVED = "vs derived wall time"
BEST_COLUMNS = ["pair", "precision", "data", "machine", "derived", "device", "train_img_s", "setting",
                "compact_setting", "infer_img_s", "infer_setting", "epochs", "estimate_s", "memory_mb",
                "gpu_memory_mb", "j_per_img", "cost", "contended_left_out", "gap", "marks"]
SORTS = {"train": ("train_img_s", False), "infer": ("infer_img_s", False), "estimate": ("estimate_s", True),
         "ratio": ("ratio", False), "memory": ("memory_mb", True), "machine": ("machine", True)}
SEED_PAIRS = [f"{data}/{model}" for data, model in TRAIN_TIME_S]


@dataclass(frozen=True)
class Entry:
    """One machine: its label, its records as the reports' frame (empty for a derived machine), whether
    it is derived (with its rows), its library versions and env."""

    label: str
    df: pd.DataFrame
    derived: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    derived_rows: tuple[DerivedRow, ...] = ()
    env: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    note: str = ""
    price_per_kwh: float | None = None

    @property
    def newest_at(self) -> str | None:
        """When its last cell finished (ISO time), None for a derived machine."""
        if self.df.empty or "finished_at" not in self.df:
            return None
        times = [t for t in self.df["finished_at"] if isinstance(t, str)]
        return max(times) if times else None

    @property
    def drifting(self) -> bool:
        """True when the run's GEMM peaks at its start and end differ by more than 10% (env.json)."""
        flag = self.env.get("drifting")
        return any(flag.values()) if isinstance(flag, dict) else flag is True


def entry_from_run(run_dir: Path | str) -> Entry:
    """A run folder as an entry, labelled by its machine and folder name."""
    from bench.report.cost import load_price

    run = load_run(run_dir)
    label = f"{default_label(run.env)} ({run.path.name})" if run.env else run.path.name
    return Entry(label, run.df, False, library_versions(run.env), env=run.env, source=str(run.path),
                 price_per_kwh=load_price(run.path))


def entry_from_shared(result: SharedResult, source: str = "") -> Entry:
    """A shared result (validated by read_shared) as an entry."""
    df = to_frame(result.records, []) if result.records else pd.DataFrame()
    return Entry(result.label, df, result.derived, dict(result.versions), tuple(result.derived_rows),
                 result.env, source, result.note, result.price_per_kwh)


def entries_from(registry: Path, paths: list[Path]) -> tuple[list[Entry], list[str]]:
    """The registry's machines, then one per path given (a run folder or a shared file), labels made
    unique; and the notes their files carry."""
    entries = [entry_from_shared(read_shared(p), str(p)) for p in registry_files(registry)]
    for path in paths:
        if path.is_dir():
            entries.append(entry_from_run(path))
        elif path.is_file():
            entries.append(entry_from_shared(read_shared(path), str(path)))
        else:
            raise UserError(f"{path} is neither a run folder nor a file; give a folder made by `python -m "
                            "bench run` or a file made by `python -m bench share`")
    seen: Counter[str] = Counter()
    unique = []
    for entry in entries:
        seen[entry.label] += 1
        count = seen[entry.label]
        unique.append(entry if count == 1 else replace(entry, label=f"{entry.label} #{count}"))
    return unique, [f"{e.label}: {e.note}" for e in unique if e.note]


def best_rows(entry: Entry, include_contended: bool = False) -> pd.DataFrame:
    """The entry's best figures per (pair, precision, kind of data): BEST_COLUMNS, one row each."""
    rows = [_derived_row(entry, r) for r in entry.derived_rows]
    if not entry.df.empty:
        ok = entry.df[(entry.df["status"] == "ok") & (entry.df["mode"] == "throughput")
                      & entry.df["train_img_s"].notna()]
        for (pair, precision, synthetic), cells in ok.groupby(["pair", "precision", "synthetic"], sort=True):
            rows.append(_measured_row(entry, str(pair), str(precision), bool(synthetic), cells,
                                      include_contended))
    return pd.DataFrame(rows, columns=BEST_COLUMNS)


def _derived_row(entry: Entry, row: DerivedRow) -> dict[str, Any]:
    """A derived row: end-to-end training img/s and the wall time itself as the full training."""
    return {"pair": f"{row.data}/{row.model}", "precision": row.precision, "data": "real",
            "machine": entry.label, "derived": True, "device": row.device, "train_img_s": row.train_img_s,
            "setting": "whole model.fit, derived from the report's wall time", "compact_setting": "",
            "epochs": row.epochs, "estimate_s": row.train_s, "contended_left_out": 0, "gap": False,
            "marks": ["derived"]}


def _measured_row(entry: Entry, pair: str, precision: str, synthetic: bool, cells: pd.DataFrame,
                  include_contended: bool) -> dict[str, Any]:
    """The fastest training cell of a group, its full-training estimate, memory, energy and cost."""
    contended = cells["contended"].eq(True) if "contended" in cells else pd.Series(False, index=cells.index)
    kept = cells if include_contended else cells[~contended]
    row: dict[str, Any] = {"pair": pair, "precision": precision, "data": "synthetic" if synthetic else "real",
                           "machine": entry.label, "derived": False, "contended_left_out": 0 if
                           include_contended else int(contended.sum()), "gap": kept.empty, "marks": []}
    if include_contended and contended.any():
        row["marks"].append(f"{int(contended.sum())} contended included")
    elif contended.any():
        row["marks"].append(f"{int(contended.sum())} contended left out")
    if kept.empty:
        return row
    best = kept.loc[kept["train_img_s"].idxmax()]
    estimate, _ = estimates(kept[kept["device"] == best["device"]])
    infer = kept[kept["infer_img_s"].notna()]
    row |= {"device": best["device"], "train_img_s": float(best["train_img_s"]),
            "setting": setting_text(best), "compact_setting": compact_setting(best),
            "memory_mb": best.get("peak_rss_mb"), "gpu_memory_mb": best.get("gpu_peak_mb"),
            "j_per_img": best.get("train_j_per_img")}
    if not infer.empty:
        fastest = infer.loc[infer["infer_img_s"].idxmax()]
        row |= {"infer_img_s": float(fastest["infer_img_s"]), "infer_setting": setting_text(fastest)}
    if not estimate.empty:
        first = estimate.iloc[0]
        row |= {"epochs": int(first["epochs"]), "estimate_s": float(first["estimate_s"])}
        joules, examples = row["j_per_img"], first.get("examples")
        if entry.price_per_kwh and joules is not None and joules == joules and examples:
            row["cost"] = joules * first["epochs"] * examples / J_PER_KWH * entry.price_per_kwh
    return row


def compact_setting(row: pd.Series) -> str:
    """'cpu b128', 'gpu:0 b256 xla', 'cpu b32 t2 stream': the best cell's setting in a few characters."""
    batch = row["batch_size"]
    parts = [str(row["device"]), f"b{int(batch)}" if batch == batch and batch is not None else "b?"]
    if str(row.get("threads")) not in ("auto", "None", "nan"):
        parts.append(f"t{row['threads']}")
    if isinstance(row.get("strategy"), str) and row["strategy"] != "none":
        parts.append(f"{row['strategy']}x{int(row['replicas'])}")
    if row.get("jit_compile") is True:
        parts.append("xla")
    if isinstance(row.get("pipeline"), str) and row["pipeline"] != "memory":
        parts.append(row["pipeline"])
    if isinstance(row.get("backend"), str) and row["backend"] != "tensorflow":
        parts.append(row["backend"])
    return " ".join(parts)


def find_baseline(entries: list[Entry], wanted: str | None) -> Entry:
    """The entry whose label is `wanted` (exactly, else the only one containing it); without one, the
    derived seed's desktop, else the first entry. A label that matches none or several is a UserError."""
    if not entries:
        raise UserError("no machines to compare: the registry (results/machines) is empty and no run or "
                        "shared file was given")
    if wanted is None:
        return next((e for e in entries if e.derived), entries[0])
    exact = [e for e in entries if e.label == wanted]
    found = exact or [e for e in entries if wanted.lower() in e.label.lower()]
    if len(found) != 1:
        labels = "; ".join(e.label for e in entries)
        what = "matches none" if not found else f"matches {len(found)}"
        raise UserError(f"--baseline {wanted!r} {what} of the machines ({labels}); give one label or a "
                        "part only it has")
    return found[0]


def leaderboard(entries: list[Entry], baseline: Entry | str | None = None,
                include_contended: bool = False) -> pd.DataFrame:
    """Every entry's best figures per pair, with the ratio to the baseline, marks, and a gap row for each
    machine without the pair (never a zero). Pairs in the seed's order, fastest training first."""
    base = baseline if isinstance(baseline, Entry) else find_baseline(entries, baseline)
    best = {e.label: best_rows(e, include_contended) for e in entries}
    frames = [df for df in best.values() if not df.empty]
    if not frames:
        return pd.DataFrame(columns=[*BEST_COLUMNS, "ratio", "ratio_basis", "newest"])
    table = pd.concat(frames, ignore_index=True)
    ratio = [ratio_to(row, best[base.label]) for _, row in table.iterrows()]
    table["ratio"] = [r for r, _ in ratio]
    table["ratio_basis"] = [b for _, b in ratio]
    table = pd.concat([table, _gaps(entries, table)], ignore_index=True)
    reference = _reference_versions(entries, base)
    newest = _newest(entries)
    for entry in entries:
        mine = table["machine"] == entry.label
        extra = _version_marks(entry, reference) + (["drifting"] if entry.drifting else [])
        table.loc[mine, "marks"] = pd.Series([list(m) + extra for m in table.loc[mine, "marks"]],
                                             index=table.index[mine], dtype=object)
    table["newest"] = table["machine"] == newest
    return sort_table(table, "train")


def ratio_to(row: pd.Series, other: pd.DataFrame) -> tuple[float, str]:
    """(other machine's full-training time / this row's, per epoch; basis), like for like; against a
    derived machine, the same pair and precision on its real data. (nan, "") without a match."""
    if other.empty or row.get("gap"):
        return float("nan"), ""
    same = other[(other["pair"] == row["pair"]) & (other["precision"] == row["precision"]) & ~other["gap"]]
    like = same[same["data"] == row["data"]]
    basis = LIKE
    if like.empty and not same.empty and (row["derived"] or same["derived"].all()):
        like, basis = same, VS_DERIVED  # a report's wall times are of real data: the only comparison there is
    elif not like.empty and like["derived"].iloc[0] != row["derived"]:
        basis = VS_DERIVED
    if like.empty:
        return float("nan"), ""
    match = like.iloc[0]
    if _has_estimate(row) and _has_estimate(match):
        mine, theirs = row["estimate_s"] / row["epochs"], match["estimate_s"] / match["epochs"]
        return float(theirs / mine), basis
    if basis == LIKE and row["train_img_s"] == row["train_img_s"] and match["train_img_s"]:
        return float(row["train_img_s"] / match["train_img_s"]), basis
    return float("nan"), ""


def _has_estimate(row: pd.Series) -> bool:
    """True when the row has a full-training time and its epochs."""
    values = (row.get("estimate_s"), row.get("epochs"))
    return all(v is not None and v == v and v > 0 for v in values)


def _gaps(entries: list[Entry], table: pd.DataFrame) -> pd.DataFrame:
    """A gap row for each (pair, machine) the machine has no figure for."""
    rows = []
    for pair in table["pair"].unique():
        have = set(table.loc[table["pair"] == pair, "machine"])
        rows += [{"pair": pair, "machine": e.label, "derived": e.derived, "gap": True,
                  "marks": ["no cell of this pair"], "contended_left_out": 0, "ratio_basis": ""}
                 for e in entries if e.label not in have]
    return pd.DataFrame(rows, columns=[*BEST_COLUMNS, "ratio", "ratio_basis"])


def _reference_versions(entries: list[Entry], base: Entry) -> dict[str, str]:
    """TensorFlow and Keras versions rows are compared with: the baseline's, else the most common."""
    out = {}
    for name in ("tensorflow", "keras"):
        if base.versions.get(name):
            out[name] = base.versions[name]
            continue
        seen = Counter(e.versions[name] for e in entries if e.versions.get(name))
        if seen:
            out[name] = seen.most_common(1)[0][0]
    return out


def _version_marks(entry: Entry, reference: dict[str, str]) -> list[str]:
    """'TF 2.16.1' / 'Keras 3.3.3' where the entry's version differs from the reference's."""
    names = {"tensorflow": "TF", "keras": "Keras"}
    return [f"{names[k]} {entry.versions[k]}" for k, v in reference.items()
            if entry.versions.get(k) and entry.versions[k] != v]


def _newest(entries: list[Entry]) -> str | None:
    """The label of the entry whose last cell finished last; None when no one entry did."""
    timed = sorted(((e.newest_at, e.label) for e in entries if e.newest_at), reverse=True)
    if not timed or len(timed) > 1 and timed[0][0] == timed[1][0]:
        return None
    return timed[0][1]


def filter_table(table: pd.DataFrame, pairs: list[str] | None, device: str | None) -> pd.DataFrame:
    """Only the pairs named (whole, or dataset or model alone) and figures of one kind of device ("cpu",
    "gpu"); a machine left without a figure for a pair shows a gap."""
    if pairs:
        def wanted(pair: str) -> bool:
            return any(p == pair or p in pair.split("/") for p in pairs)

        kept = table[table["pair"].map(wanted)]
        if kept.empty:
            known = ", ".join(sorted(table["pair"].unique()))
            raise UserError(f"--pair {' '.join(pairs)} matches no pair of the machines; they have {known}")
        table = kept
    if device is None:
        return table
    measured = table[~table["gap"].astype(bool) & table["device"].astype(str).str.startswith(device)]
    machines = table.drop_duplicates("machine")[["machine", "derived"]]
    gaps = []
    for pair in table["pair"].unique():
        have = set(measured.loc[measured["pair"] == pair, "machine"])
        gaps += [{"pair": pair, "machine": m, "derived": d, "gap": True, "newest": False,
                  "marks": [f"no {device} figure for this pair"], "ratio_basis": ""}
                 for m, d in machines.itertuples(index=False) if m not in have]
    return pd.concat([measured, pd.DataFrame(gaps, columns=table.columns)], ignore_index=True)


def sort_table(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Pairs in the seed's order then by name; within a pair by `by` (SORTS), gaps last."""
    column, ascending = SORTS[by]
    order = {pair: i for i, pair in enumerate(SEED_PAIRS)}
    keyed = table.assign(_pair=table["pair"].map(lambda p: (order.get(p, len(order)), p)),
                         _gap=table["gap"].astype(bool))
    keyed = keyed.sort_values(by=column, ascending=ascending, na_position="last", kind="stable")
    keyed = keyed.sort_values(by=["_pair", "_gap"], kind="stable")
    return keyed.drop(columns=["_pair", "_gap"]).reset_index(drop=True)


def same_run(a: Entry, b: Entry) -> bool:
    """True when two measured entries hold the same run (each cell finished at the same moment with the same
    figures): a registry file shared from the run being placed is not a machine to compare it with."""
    same = ["cell_id", "finished_at", "wall_s", "train_img_s"]

    def cells(e: Entry) -> set[tuple[Any, ...]]:
        if e.derived or e.df.empty or not set(same) <= set(e.df.columns):
            return set()
        return set(e.df[same].astype(str).itertuples(index=False, name=None))

    mine = cells(a)
    return bool(mine) and mine == cells(b)


def place(entry: Entry, registry: list[Entry], include_contended: bool = False) -> pd.DataFrame:
    """Per (pair, precision, kind of data) this machine measured: its training img/s, its rank among the
    registry's machines with a like-for-like figure (`rank` of `of`, derived machines not ranked), and one
    column per registry machine (its label) holding this machine's full-training speed over that one's
    (2.0: twice as fast; NaN: that machine has no figure for the pair). `basis` says when a ratio is
    against a derived machine's wall time."""
    mine = best_rows(entry, include_contended)
    mine = mine[~mine["gap"].astype(bool) & ~mine["derived"].astype(bool)]
    others = [e for e in registry if e.label != entry.label and not same_run(e, entry)]
    theirs = {e.label: best_rows(e, include_contended) for e in others}
    rows = []
    for _, row in mine.iterrows():
        out: dict[str, Any] = {"pair": row["pair"], "precision": row["precision"], "data": row["data"],
                               "train_img_s": row["train_img_s"]}
        faster, compared, derived_vs = 0, 0, []
        for label, best in theirs.items():
            ratio, basis = ratio_to(row, best)
            out[label] = ratio
            like = best[(best["pair"] == row["pair"]) & (best["precision"] == row["precision"])
                        & (best["data"] == row["data"]) & ~best["gap"].astype(bool)
                        & ~best["derived"].astype(bool)]
            if not like.empty:
                compared += 1
                faster += int(like["train_img_s"].max() > row["train_img_s"])
            if basis == VS_DERIVED:
                derived_vs.append(label)
        basis = f"against the wall times of {', '.join(derived_vs)} (derived)" if derived_vs else LIKE
        out |= {"rank": faster + 1, "of": compared + 1, "basis": basis}
        rows.append(out)
    fixed = ["pair", "precision", "data", "train_img_s", "rank", "of", "basis"]
    return pd.DataFrame(rows, columns=[*fixed, *theirs])
