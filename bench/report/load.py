"""Read a run folder (results.jsonl, env.json, matrix.toml) into one pandas DataFrame for the reports.

Every file is read through bench.results.loader (migrated, validated). Tolerant of what a live or
interrupted run, or another machine, leaves behind: a line that is not a valid record (left out, one note
naming its file, line and field), records missing fields, a cell recorded twice (resumed or retried: the
last record wins), no env.json yet or a damaged one (a note: the machine is unknown).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bench.config.record import ACCURACY_FIELDS, FIELDS, NUMERIC_FIELDS
from bench.errors import UserError
from bench.results import loader, store

FAILED_STATUSES = store.FAILED
SET_ASIDE_SHOWN = 10  # set-aside lines named one by one in the notes; the rest counted

# env.json keys that change between runs on one machine, left out of the machine fingerprint hash.
# Software versions and measured peaks are left out too: they change on the same hardware.
_VOLATILE_ENV_HINTS = (
    "time",
    "date",
    "_at",
    "uptime",
    "free",
    "available",
    "load",
    "version",
    "packages",
    "peak",
    "drifting",  # measured at the run's end: the same machine may drift one run and not the next
    "env.",
)


@dataclass
class Run:
    """One run folder as the reports see it."""

    path: Path
    df: pd.DataFrame
    env: dict
    matrix_text: str | None
    planned_cells: int | None
    notes: list[str] = field(default_factory=list)

    @property
    def machine(self) -> str:
        """Short human label of the machine, with a fingerprint hash that tells machines apart."""
        return machine_label(self.env)

    @property
    def label(self) -> str:
        """Run folder name and machine, as shown in compare tables and legends."""
        return f"{self.path.name} [{self.machine}]"


def load_run(run_dir: Path | str) -> Run:
    """Load RUN_DIR; a folder that is not a run folder is a UserError naming the fix."""
    path = Path(run_dir)
    results = path / store.RESULTS
    if not path.is_dir():
        raise UserError(f"{path} is not a folder; pass a run folder made by `python -m bench run --out DIR`")
    if not results.is_file():
        raise UserError(
            f"{path} has no results.jsonl; pass a run folder made by `python -m bench run` (results/<run>)"
        )
    notes: list[str] = []
    records = read_records(results, notes)
    env = _read_env(path / store.ENV, notes)
    matrix_text = _read_matrix(path / store.MATRIX, notes)
    df = to_frame(records, notes)
    planned = _planned_cells(matrix_text, notes)
    machines = env.get("cluster_machines")
    if planned is not None and isinstance(machines, dict) and (df["placement"] == "every-node").any():
        planned *= len(machines)  # bench run --cluster --placement every-node: every cell on every machine
    if planned is not None and len(df) < planned:
        missing = planned - len(df)
        notes.append(f"partial run: {missing} of {planned} planned cells have no record yet (running, or "
                     f"interrupted: `python -m bench run --resume --out {path}` finishes it)")
    return Run(path, df, env, matrix_text, planned, notes)


def read_records(results: Path, notes: list[str]) -> list[dict]:
    """The valid records of results.jsonl (bench.results.loader); each line set aside (not a JSON object,
    or a record that does not validate) is one note naming the file, line, field and why."""
    loaded = loader.load_records(results.parent)
    notes.extend(loaded.set_aside[:SET_ASIDE_SHOWN])
    if len(loaded.set_aside) > SET_ASIDE_SHOWN:
        notes.append(f"and {len(loaded.set_aside) - SET_ASIDE_SHOWN} more line(s) of {results} set aside")
    return loaded.records


def to_frame(records: list[dict], notes: list[str]) -> pd.DataFrame:
    """One row per cell (last record per cell_id), every FIELDS column present and no other (a key a
    record carries beyond FIELDS is kept in the record, never trusted by a report), plus derived columns."""
    df = pd.DataFrame.from_records([{k: v for k, v in r.items() if k in FIELDS} for r in records])
    missing = [name for name in FIELDS if name not in df.columns]
    df = pd.concat([df, pd.DataFrame(None, index=df.index, columns=missing, dtype=object)], axis=1)
    df = df.astype({name: "object" for name in FIELDS if df[name].isna().all()})
    df["cell_id"] = [c if isinstance(c, str) and c else f"row{i + 1}" for i, c in enumerate(df["cell_id"])]
    run_key = df["cell_id"] + ("@" + df["machine"].astype(str)).where(df["placement"] == "every-node", "")
    repeated = int(run_key.duplicated().sum())  # every-node: one run of each cell per machine
    if repeated:
        notes.append(f"{repeated} cell(s) recorded more than once (resumed/retried); the last record is used")
        df = df[~run_key.duplicated(keep="last")].reset_index(drop=True)
    unknown = df["status"].isna()
    if unknown.any():
        notes.append(f"{int(unknown.sum())} record(s) have no status; shown as 'unknown'")
        df.loc[unknown, "status"] = "unknown"
    for name in NUMERIC_FIELDS:
        df[name] = pd.to_numeric(df[name], errors="coerce")
    df["synthetic"] = df["synthetic"].fillna(df["dataset"].astype(str).str.startswith("synthetic:"))
    df["synthetic"] = df["synthetic"].astype(bool)
    df["threads"] = df["threads"].map(lambda t: "auto" if t is None or t != t else str(t))
    df = df.copy()  # one block per dtype again after the per-column conversions above (pandas' advice)
    df["data"] = df["stands_for"].where(df["synthetic"] & df["stands_for"].notna(), df["dataset"])
    df["pair"] = df["data"].astype(str) + "/" + df["model"].astype(str)
    df["failed"] = df["status"].isin(FAILED_STATUSES)
    _scrub_synthetic_accuracy(df, notes)
    return df


def _scrub_synthetic_accuracy(df: pd.DataFrame, notes: list[str]) -> None:
    """Blank accuracy fields on synthetic rows (they must never show an accuracy) and say if any had one."""
    synthetic = df["synthetic"]
    had = synthetic & df[list(ACCURACY_FIELDS)].notna().any(axis=1)
    if had.any():
        notes.append(f"{int(had.sum())} synthetic-data record(s) carried accuracy fields; not shown")
    for name in ACCURACY_FIELDS:
        df[name] = df[name].astype("object").where(~synthetic, None)
    df["history"] = [_loss_only(h) if s else h for h, s in zip(df["history"], synthetic, strict=True)]


def _loss_only(history: object) -> object:
    """A history with the accuracy entries removed (kept for loss curves of synthetic cells)."""
    if isinstance(history, list):
        return [{k: v for k, v in e.items() if "acc" not in k} for e in history if isinstance(e, dict)]
    if isinstance(history, dict):
        return {k: v for k, v in history.items() if "acc" not in k}
    return history


def _read_env(env_path: Path, notes: list[str]) -> dict:
    """env.json validated (bench.results.loader); missing or damaged is a note (the run may still be
    starting, or the file came from elsewhere)."""
    try:
        env = loader.load_env(env_path.parent, need_cores=False)
    except UserError as exc:
        notes.append(f"{exc}: the machine is unknown")
        return {}
    if env is None:
        notes.append("env.json is missing: the machine is unknown")
    return env or {}


def _read_matrix(matrix_path: Path, notes: list[str]) -> str | None:
    """matrix.toml's text; missing or not UTF-8 is a note (the report shows no matrix then)."""
    if not matrix_path.is_file():
        notes.append("matrix.toml is missing: the matrix that was run cannot be shown")
        return None
    try:
        return matrix_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        notes.append("matrix.toml is not UTF-8 text: the matrix that was run cannot be shown")
        return None


def _planned_cells(matrix_text: str | None, notes: list[str]) -> int | None:
    """Number of cells in matrix.toml when it lists them as [[cells]] tables, else None; a matrix.toml
    whose values do not validate (bench.results.schema.MatrixValues) is a note."""
    if not matrix_text:
        return None
    try:
        cells = loader.read_matrix_values(matrix_text).cells
    except loader.RecordError as exc:
        notes.append(f"matrix.toml: {exc}; its planned cells are not counted")
        return None
    return len(cells) if cells is not None else None


def flatten(env: dict, prefix: str = "") -> dict[str, str]:
    """env.json flattened to dotted keys and printable values (for tables)."""
    out: dict[str, str] = {}
    for key, value in env.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                out.update(flatten(item, f"{name}[{i}]."))
        else:
            out[name] = value if isinstance(value, str) else json.dumps(value)
    return out


def machine_label(env: dict) -> str:
    """'CPU model, GPU (fp 1a2b3c4d)' from env.json; the hash covers the stable fingerprint keys."""
    if not env:
        return "unknown machine"
    if isinstance(env.get("cluster_machines"), dict):  # bench run --cluster: each machine's env in envs/
        machines = env["cluster_machines"]
        return f"{len(machines)} machine(s) of a Ray cluster: " + "; ".join(
            f"{name} ({m.get('cpu_model')}, {m.get('logical_cores')} cores, "
            f"{m.get('gpu_count') or 'no'} GPU, env {m.get('machine_env_id')})"
            for name, m in sorted(machines.items()) if isinstance(m, dict))
    flat = flatten(env)
    stable = {k: v for k, v in flat.items() if not any(h in k.lower() for h in _VOLATILE_ENV_HINTS)}
    digest = hashlib.sha1(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:8]
    parts = [_first(flat, ("cpu_model", "cpu.model", "cpu.brand", "cpu", "processor"))]
    gpu = _first(flat, ("nvml_gpus[0].name", "tf_gpus[0].name", "gpus[0].name", "gpu_name", "gpu"))
    parts.append(gpu or "no GPU")
    host = _first(flat, ("hostname", "host", "node"))
    text = ", ".join(p for p in parts if p)
    return f"{text}{' on ' + host if host else ''} (fp {digest})"


def _first(flat: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The first non-empty value among keys (exact, then by suffix)."""
    for key in keys:
        for name, value in flat.items():
            if (name == key or name.endswith("." + key)) and value not in ("", "null", "[]"):
                return str(value).strip('"')
    return None
