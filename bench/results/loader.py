"""The one way records, env.json and matrix.toml are read: migrated from older schema versions, validated
against bench.results.schema, and a record that does not validate set aside with one line naming the file,
the line, the field and why, while the rest of the file is used. Readers never rewrite or delete anything.

Report, compare, resume (to_run, latest_status), the planner's priors and history, machine_of and the
shared-result commands all read through here.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bench.config.axes import BY_NAME
from bench.errors import UserError
from bench.results import lines, scaling
from bench.results.paths import ENV, MATRIX, RESULTS
from bench.results.schema import (
    BACKFILLED,
    CONFIG_TYPES,
    DONE,
    SCHEMA_VERSION,
    Env,
    MatrixValues,
    Record,
    check_json,
)

SHOWN = 60  # characters of a bad value a set-aside line shows


class RecordError(ValueError):
    """A record (or env.json, or matrix.toml) that does not validate: the field to blame and why."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field} {why}")
        self.field, self.why = field, why


@dataclass
class Loaded:
    """A run folder's records: the validated, migrated ones in file order, and one line for each line set
    aside (file, line number, field, why)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """A record of an older schema version (1, or none: the first format) as the current version has it: the
    axes added after the first runs (backend, strategy, replicas), absent, ran at their defaults. A record
    of the current version gets those defaults too (absent means the default); a newer one is returned as
    it is (validate_record sets it aside)."""
    version = raw.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        return dict(raw)
    out = dict(raw)
    for name, default in BACKFILLED.items():
        if name not in out or (version < 2 and out[name] is None):
            out[name] = default
    out["schema_version"] = SCHEMA_VERSION
    return out


def validate_record(raw: Any) -> dict[str, Any]:
    """The record migrated to the current version and validated (its values unchanged; unknown keys kept);
    RecordError naming the field when it does not validate."""
    if not isinstance(raw, dict):
        raise RecordError("top level", f"is a {type(raw).__name__}, not a JSON object")
    version = raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise RecordError("schema_version", f"is {_shown(version)}: newer than this galaxybench reads "
                                            f"({SCHEMA_VERSION}); update galaxybench to read it")
    record = migrate(raw)
    _check_plain(record)
    _validate(Record, record)
    return record


def _check_plain(data: dict[str, Any]) -> None:
    """Every key, known or not, holds plain bounded JSON (bench.results.schema.check_json)."""
    for key, value in data.items():
        why = check_json(key) or check_json(value)
        if why:
            raise RecordError(_shown_key(key), why)


def _validate(model: type[BaseModel], data: dict[str, Any]) -> None:
    """model.model_validate(data), a RecordError naming the first field that fails."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, data) from None


def _first_error(exc: ValidationError, data: dict[str, Any]) -> RecordError:
    """The first failure of a validation as RecordError(field, why), in words people read."""
    error = exc.errors(include_url=False)[0]
    blamed = (error.get("ctx") or {}).get("error")
    if hasattr(blamed, "field"):  # a check across fields (bench.results.schema._FieldError)
        return RecordError(blamed.field, blamed.why)
    loc = error["loc"]
    name = str(loc[0]) if loc else "record"
    if error["type"] == "missing":
        return RecordError(name, "is missing")
    axis = BY_NAME.get(name) if name in CONFIG_TYPES else None
    if axis is not None and axis.expected:
        return RecordError(name, f"is {_shown(data.get(name))}, not {axis.expected}")
    where = _path(data.get(name), loc[1:])
    message = error["msg"].replace("Input should be", "should be").replace("Value error, ", "")
    inner = f"has {_shown(error['input'])} at {where}" if where else f"is {_shown(error['input'])}"
    return RecordError(name, f"{inner}: {message}")


def _path(value: Any, parts: tuple[Any, ...]) -> str:
    """Where in value a pydantic error location points ([2].loss), skipping the union members' tags."""
    where = ""
    for part in parts:
        if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            where, value = f"{where}[{part}]", value[part]
        elif isinstance(value, dict) and part in value:
            where, value = f"{where}.{part}" if where else f".{part}", value[part]
    return where


def _shown(value: Any) -> str:
    """A bad value, short: its repr cut to SHOWN characters (a huge integer by its length)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {len(str(value)) if value.bit_length() < 10_000 else 'thousands of'} digits"
    text = repr(value) if not isinstance(value, str) or len(value) < 4 * SHOWN else repr(value[:SHOWN])
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _shown_key(key: str) -> str:
    """A key as a set-aside line names it (a bad key itself shown escaped)."""
    return key if check_json(key) == "" and len(key) <= SHOWN else ascii(key[:SHOWN])


def load_records(run_dir: Path | str) -> Loaded:
    """RUN_DIR/results.jsonl's records, validated and migrated; a line that is not a valid record set aside
    with one line saying why. Scaling efficiency is derived here (bench.results.scaling.fill), once."""
    path = Path(run_dir) / RESULTS
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Loaded()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    return from_lines(lines.split(data), str(path))


def from_lines(numbered: Iterable[lines.Line], source: str) -> Loaded:
    """Loaded from the numbered lines of a results.jsonl (source names it in the set-aside lines)."""
    loaded = Loaded()
    for line in numbered:
        if line.value is None:
            loaded.set_aside.append(f"{source} line {line.number}: {line.why}; not a record")
            continue
        try:
            loaded.records.append(validate_record(line.value))
        except RecordError as exc:
            loaded.set_aside.append(f"{source} line {line.number}: {exc}; set aside")
    loaded.records = scaling.fill(loaded.records)
    return loaded


def load(records: Iterable[Any], source: str) -> Loaded:
    """Loaded from records already parsed (a shared result's list): numbered from 1, as lines are."""
    return from_lines((lines.Line(i, b"", r if isinstance(r, dict) else None, "not a JSON object")
                       for i, r in enumerate(records, 1)), source)


def latest_status(records: list[dict[str, Any]]) -> dict[str, str]:
    """cell_id -> status of its latest record (a retried cell's later record wins)."""
    return {r["cell_id"]: r["status"] for r in records}


def is_done(status: str | None) -> bool:
    """Whether a cell whose latest record has this status is finished: an unknown (newer) status is not."""
    return status in DONE


def migrate_env(raw: dict[str, Any]) -> dict[str, Any]:
    """An env.json from before the backend axis as today's: packages (TensorFlow only), backend_gpus and
    gpu_count (TensorFlow's GPUs)."""
    env = dict(raw)
    tf_gpus = env.get("tf_gpus")
    count = len(tf_gpus) if isinstance(tf_gpus, list) else 0
    if "packages" not in env and "cluster_machines" not in env:  # before the backend axis: TensorFlow only
        env["packages"] = {"tensorflow": env.get("tf_version") or "installed"}
    env.setdefault("backend_gpus", {"tensorflow": count})
    env.setdefault("gpu_count", count)
    return env


def validate_env(raw: Any) -> dict[str, Any]:
    """env.json's object migrated and validated; RecordError naming the field when it does not validate."""
    if not isinstance(raw, dict):
        raise RecordError("top level", f"is a {type(raw).__name__}, not a JSON object")
    env = migrate_env(raw)
    _check_plain(env)
    _validate(Env, env)
    return env


def load_env(run_dir: Path | str, need_cores: bool = True) -> dict[str, Any] | None:
    """RUN_DIR/env.json validated, None when absent; damaged (or, with need_cores, without a logical_cores
    count: the runner's) is a UserError in one line naming the file and the fix."""
    path = Path(run_dir) / ENV
    fix = ("delete it to collect this machine's environment again (only if the run continues on the "
           "machine that started it)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UserError(f"{path} is damaged ({_one_line(exc)}); {fix}") from None
    try:
        env = validate_env(raw)
    except RecordError as exc:
        raise UserError(f"{path} is damaged ({exc}); {fix}") from None
    if need_cores and env.get("logical_cores") is None:
        raise UserError(f"{path} is incomplete (no logical_cores count); {fix}")
    return env


def read_matrix_values(text: str) -> MatrixValues:
    """matrix.toml's text validated (RecordError naming the field; tomllib's error as the field 'toml')."""
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise RecordError("toml", f"is not valid TOML ({_one_line(exc)})") from None
    _check_plain(raw)
    try:
        return MatrixValues.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc, raw) from None


def load_matrix_values(run_dir: Path | str) -> MatrixValues | None:
    """RUN_DIR/matrix.toml validated, None when absent; RecordError when it is damaged."""
    path = Path(run_dir) / MATRIX
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(MATRIX, f"cannot be read ({_one_line(exc)})") from None
    return read_matrix_values(text)


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split())[:200]
