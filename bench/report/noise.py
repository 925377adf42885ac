"""The run's noise flags as the reports say them: cells that ran beside other busy programs (``contended``,
from each record) and a machine whose GEMM peak moved during the run (``drifting``, from env.json)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.peak import drifting


@dataclass(frozen=True)
class Drift:
    """env.json's GEMM peaks at the start and the end of the run, and whether they moved over 10%."""

    start: dict[str, float]
    end: dict[str, float]
    drifting: bool | None


def drift_of(env: dict[str, Any]) -> Drift | None:
    """The run's two peaks, None when the end peak was not measured (a short or older run); the flag is
    worked out again from the peaks (env.json may come from another machine)."""
    start, end = env.get("peak_gflop_s"), env.get("peak_gflop_s_end")
    if not isinstance(start, dict) or not isinstance(end, dict):
        return None
    return Drift(start, end, drifting(start, end))


def flag(value: Any) -> bool | None:
    """A record's true/false flag as a bool (numpy's too), None when absent or null."""
    return bool(value) if isinstance(value, bool | np.bool_) else None


def contended(df: pd.DataFrame) -> pd.DataFrame:
    """The cells flagged contended (other programs used more than half a core while they ran)."""
    if "contended" not in df.columns:
        return df.iloc[0:0]
    return df[df["contended"].map(lambda v: flag(v) is True)]


def measured(df: pd.DataFrame) -> int:
    """How many cells say whether they were contended (not null: the OS could tell)."""
    return int(df["contended"].map(lambda v: flag(v) is not None).sum()) if "contended" in df.columns else 0


def peaks_text(drift: Drift) -> str:
    """'the CPU: 212 GFLOP/s at the start, 107 at the end' for every device measured twice."""
    parts = [f"{device_words(d)}: {drift.start[d]:,.0f} GFLOP/s at the start, {drift.end[d]:,.0f} at the end"
             for d in sorted(drift.start.keys() & drift.end.keys())]
    return "; ".join(parts)


def device_words(device: str) -> str:
    """'the CPU', 'GPU 0'."""
    return "the CPU" if device == "cpu" else device.upper().replace(":", " ")


def notes(df: pd.DataFrame, env: dict[str, Any]) -> list[str]:
    """The report's warnings at the top: contended cells and a drifting run (nothing when neither)."""
    out = []
    busy = contended(df)
    if not busy.empty:
        most = busy["others_cpu_cores"].max()
        out.append(f"{len(busy):,} of {len(df):,} cells ran while other programs kept more than half a core "
                   f"busy (contended; up to {most:.1f} cores): their figures may read low. They are marked "
                   "(contended) in the tables.")
    drift = drift_of(env)
    if drift is not None and drift.drifting:
        out.append(f"The machine's speed changed during the run (drifting): GEMM peak on "
                   f"{peaks_text(drift)}. Cells from different parts of the run may not compare.")
    return out
