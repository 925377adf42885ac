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
    LongInteger,
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
        raise RecordError("top level", f"is {_kind(raw)}, not a JSON object")
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


# Where each kind holds a cell's config: a record at its top level, matrix.toml two places into cells[i].
CONFIG_DEPTH = {"Record": 0, "MatrixValues": 2}


def _validate(model: type[BaseModel], data: dict[str, Any]) -> None:
    """model.model_validate(data), a RecordError naming the first field that fails."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, data, CONFIG_DEPTH.get(model.__name__, -1)) from None


def _first_error(exc: ValidationError, data: dict[str, Any], config_depth: int) -> RecordError:
    """The first failure of a validation as RecordError(field, why), in words people read; a cell config
    value (at config_depth: how many places below the top level the kind holds its cells' config) is
    named with its axis's expected values."""
    error = exc.errors(include_url=False)[0]
    blamed = (error.get("ctx") or {}).get("error")
    if hasattr(blamed, "field"):  # a check across fields (bench.results.schema._FieldError)
        return RecordError(blamed.field, blamed.why)
    loc = error["loc"]
    name = str(loc[0]) if loc else "top level"
    if error["type"] == "missing":
        walked = _path(data.get(name) if loc else data, loc[1:])[1]
        return RecordError(_joined(name, [*walked, loc[-1]] if len(loc) > 1 else walked), "is missing")
    value, walked = _path(data.get(name) if loc else data, loc[1:])
    key = walked[-1] if walked else name
    axis = BY_NAME.get(key) if len(walked) == config_depth and key in CONFIG_TYPES else None
    if axis is not None and axis.expected:  # a cell's config value
        return RecordError(_joined(name, walked), f"is {_shown(value)}, not {axis.expected}")
    message = error["msg"].replace("Input should be", "should be").replace("Value error, ", "")
    where = _joined("", walked)
    inner = f"has {_shown(error['input'])} at {where}" if where else f"is {_shown(error['input'])}"
    return RecordError(name, f"{inner}: {message}")


def _path(value: Any, parts: tuple[Any, ...]) -> tuple[Any, list[Any]]:
    """(the value a pydantic error location points at, the list indexes and keys walked to it), skipping
    the union members' tags ('constrained-int') that name no place in the data."""
    walked: list[Any] = []
    for part in parts:
        if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            walked, value = [*walked, part], value[part]
        elif isinstance(value, dict) and part in value:
            walked, value = [*walked, part], value[part]
    return value, walked


def _joined(name: str, walked: list[Any]) -> str:
    """name and the places walked, as people write a path: cells[0].batch_size."""
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in walked)
    return f"{name}{where}" if name else where


def _shown(value: Any) -> str:
    """A bad value, short: its repr cut to SHOWN characters (a huge integer by its length)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {len(str(value)) if value.bit_length() < 10_000 else 'thousands of'} digits"
    text = repr(value) if not isinstance(value, str) or len(value) < 4 * SHOWN else repr(value[:SHOWN])
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _kind(value: Any) -> str:
    """What a JSON value is, in words: a list, a str, an integer of 5,000 digits."""
    return repr(value) if isinstance(value, LongInteger) else f"a {type(value).__name__}"


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
        raise RecordError("top level", f"is {_kind(raw)}, not a JSON object")
    env = migrate_env(raw)
    _check_plain(env)
    _validate(Env, env)
    return env


def validate_machine_env(raw: Any) -> dict[str, Any]:
    """validate_env, and a logical_cores count (what expanding a matrix and checking a shared file need);
    RecordError naming the field otherwise."""
    env = validate_env(raw)
    if env.get("logical_cores") is None:
        raise RecordError("logical_cores", "is missing")
    return env


def load_env(run_dir: Path | str, need_cores: bool = True) -> dict[str, Any] | None:
    """RUN_DIR/env.json validated, None when absent; damaged (or, with need_cores, without a logical_cores
    count: the runner's) is a UserError in one line naming the file and the fix."""
    return load_env_file(Path(run_dir) / ENV, need_cores)


def load_env_file(path: Path, need_cores: bool = True) -> dict[str, Any] | None:
    """An env.json anywhere (a --cluster run's envs/MACHINE.json too), as load_env reads RUN_DIR's."""
    fix = ("delete it to collect this machine's environment again (only if the run continues on the "
           "machine that started it)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), parse_int=LongInteger.parse)
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
    _validate(MatrixValues, raw)
    return MatrixValues.model_validate(raw)


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
