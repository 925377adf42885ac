"""'This machine among others': a run's place among the machines of the registry (results/machines), per
pair its rank and its ratio to each (bench.report.leaderboard.place), as a table, as terminal lines, and
what the registry's GPU machines change."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bench.errors import UserError
from bench.report.leaderboard import Entry, best_rows, entry_from_run, entry_from_shared, place
from bench.report.numbers import number
from bench.results.shared import REGISTRY, load_registry

ABOUT = ("Each ratio is this machine's full-training speed over that machine's (2.0x: twice as fast), like "
         "for like: the same pair, precision and kind of data (synthetic data of the real shape, or real). "
         "Against the student's desktop, the ratio is to her report's wall times (derived, not measured). "
         "The rank counts only measured machines; cells that ran beside other busy programs (contended) "
         "are left out, unless all of a pair's are (its rank then says contended: it may read low).")
DERIVED = " (derived from the report's wall times, not measured)"
KEY = ["pair", "precision", "data"]
FIXED = (*KEY, "train_img_s", "rank", "of", "basis", "contended")
CONTENDED = " (contended)"  # every training figure of the pair here ran beside other busy programs


@dataclass(frozen=True)
class Among:
    """The run's place: place()'s frame, the registry's entries, and why there is none when so."""

    placed: pd.DataFrame
    registry: list[Entry] = field(default_factory=list)
    why_none: str | None = None


def place_run(run_dir: Path | str, folder: Path | None = None) -> Among:
    """This run placed among the machines of `folder` (default: the registry, REGISTRY); a registry that
    cannot be read says why instead (a report is never lost to a bad shared file). A pair whose every
    training figure here ran beside other busy programs is placed with those figures, marked contended."""
    folder = REGISTRY if folder is None else folder
    try:
        registry = [entry_from_shared(r) for r in load_registry(folder)]
    except UserError as exc:
        return Among(pd.DataFrame(), why_none=f"the registry ({folder}) could not be read: {exc}")
    if not registry:
        return Among(pd.DataFrame(), why_none=f"the registry ({folder}) holds no machine")
    entry = entry_from_run(run_dir)
    clean = place(entry, registry)
    every = place(entry, registry, include_contended=True)
    have = set(clean[KEY].itertuples(index=False, name=None))
    only_contended = every[[k not in have for k in every[KEY].itertuples(index=False, name=None)]]
    placed = pd.concat([clean.assign(contended=False), only_contended.assign(contended=True)],
                       ignore_index=True)
    if placed.empty:
        return Among(placed, registry, "no pair of this run has an ok training figure to compare")
    return Among(placed.sort_values(KEY, kind="stable").reset_index(drop=True), registry)


def ratio_text(value: float) -> str:
    """'12x', '4.8x', '0.90x', '0.061x'; '' where that machine has no figure for the pair."""
    if value != value:
        return ""
    if value >= 10:
        return f"{value:,.0f}x"
    if value >= 1:
        return f"{value:.1f}x"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def table(found: Among) -> pd.DataFrame:
    """The report's table: pair and data, this machine's training img/s, rank, and a ratio per machine."""
    placed = found.placed
    if placed.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "pair": [_pair(r) for _, r in placed.iterrows()],
        "training images/s here": placed["train_img_s"].round(1),
        "rank": [_rank(r) for _, r in placed.iterrows()],
    })
    for label in [c for c in placed.columns if c not in FIXED]:
        out[f"vs {label}"] = placed[label].map(ratio_text)
    return out


def lines(found: Among) -> list[str]:
    """The terminal's lines: the machines numbered once, then per pair its rank and its ratio to each."""
    if found.placed.empty:
        return [f"This machine among others: none ({found.why_none})."] if found.why_none else []
    labels = [c for c in found.placed.columns if c not in FIXED]
    compared, alone = _compared(found.placed, labels)
    if compared.empty:
        return [f"This machine among others: no registry machine has {', '.join(alone)} like for like "
                "(`python -m bench machines` lists what each measured)."]
    derived = {e.label for e in found.registry if e.derived}
    pairs = [_pair(r) for _, r in compared.iterrows()]
    width = max(len("pair"), *map(len, pairs))
    out = ["This machine among others (full-training speed here over theirs, like for like):",
           *[f"  {i}: {label}{DERIVED if label in derived else ''}" for i, label in enumerate(labels, 1)],
           f"  {'pair':<{width}}  {'rank':<8}" + "".join(f"{i:>7}" for i in range(1, len(labels) + 1))]
    for pair, (_, row) in zip(pairs, compared.iterrows(), strict=True):
        ratios = "".join(f"{ratio_text(row[label]) or '-':>7}" for label in labels)
        out.append(f"  {pair:<{width}}  {_rank(row, mark=False):<8}{ratios}"
                   + (CONTENDED if row["contended"] else ""))
    if alone:
        out.append(f"  no registry machine has {', '.join(alone)} like for like")
    if compared["contended"].any():
        out.append("  (contended): every figure of that pair here ran beside other busy programs; it may "
                   "read low")
    return out


def _compared(placed: pd.DataFrame, labels: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """(the rows some registry machine has a ratio for, the names of the pairs none has)."""
    has = placed[labels].notna().any(axis=1) if labels else pd.Series(False, index=placed.index)
    return placed[has], [_pair(r) for _, r in placed[~has].iterrows()]


def _rank(row: pd.Series, mark: bool = True) -> str:
    """'2 of 3', with ' (contended)' when the pair's figures here all ran beside other busy programs."""
    return f"{int(row['rank'])} of {int(row['of'])}" + (CONTENDED if mark and row["contended"] else "")


def gpu_sentences(found: Among) -> list[str]:
    """What the registry's GPU machines change for the pairs this run measured; nothing without a GPU
    machine in the registry (no guess)."""
    out = []
    for entry in found.registry:
        best = best_rows(entry)
        gpu = best[~best["gap"].astype(bool) & best["device"].astype(str).str.startswith("gpu")]
        if gpu.empty or entry.label not in found.placed.columns:
            continue
        ratios = found.placed[entry.label].dropna()
        ratios = ratios[ratios > 0]
        if ratios.empty:
            continue
        speed = 1 / ratios  # that machine's full-training speed over this one's
        low, high = number(speed.min(), 2), number(speed.max(), 2)
        span = low if low == high else f"{low} to {high}"
        out.append(f"On the registry's GPU machine ({entry.label}), full trainings run {span} times as fast "
                   f"as here ({len(speed)} pair{'s' * (len(speed) != 1)} compared like for like).")
    return out


def _pair(row: pd.Series) -> str:
    """'galaxy10/densenet121 (synthetic data)', with the precision when it is not float32."""
    extra = [] if row["precision"] == "float32" else [str(row["precision"])]
    extra += ["synthetic data"] if row["data"] == "synthetic" else []
    return str(row["pair"]) + (f" ({', '.join(extra)})" if extra else "")
