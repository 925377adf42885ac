"""Matrix files (TOML) -> validated spec -> concrete cells, with the reasons some cannot run here.

A matrix is a preset name (bench/presets/NAME.toml) or a path. Layout (every key optional except
the pairs, which [axes] or each [[include]] must give)::

    name = "quick"                          # default: the file's stem
    description = "..."
    [axes]                                  # each value a scalar or a list; the cells are the product
    ...                                     # one line per axis: `python -m bench.config.axes`
    [throughput]  warmup_steps (at most), steps (at least, per repeat), repeats (>= 3),
                  min_time_s (each repeat at least, default 2), max_time_s (at most, default 20)
    [train]       epochs (N | "recipe"), target_accuracy, max_train_examples
    [budget]      budget_s, epochs, target_accuracy, max_train_examples
    [[exclude]]   cells of the [axes] product matching every key given (axis keys, or dataset/model)
    [[include]]   extra cell groups: axis keys and per-mode keys; missing axes come from [axes]

An expanded matrix (RUN_DIR/matrix.toml) has ``name``, ``source`` and ``[[cells]]`` tables instead.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config.axes import BACKEND_NAMES, BY_NAME, MATRIX_AXES, MODES, SETTINGS, Bounds
from bench.config.cell import Cell
from bench.config.devices import gpu_index
from bench.config.limits import (
    MAX_CELLS,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    check_shape,
    check_synthetic_name,
    check_synthetic_size,
)
from bench.errors import UserError

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"

# Everything below is derived from the axis table (bench.config.axes.AXES).
AXES_DEFAULTS: dict[str, Any] = {a.name: a.default for a in MATRIX_AXES if a.name != "pairs"}
AXES_KEYS = tuple(a.name for a in MATRIX_AXES)
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    mode: {a.name: default for a in SETTINGS for m, default in a.mode_defaults if m == mode} for mode in MODES
}
SINGLE_KEYS = tuple(a.name for a in MATRIX_AXES if a.single)  # one value per matrix, not a list
CELL_AXES = tuple(a.name for a in MATRIX_AXES if a.cell and a.name != "batch_size")  # checked per [[cells]]
SETTING_KEYS = tuple(sorted({k for d in MODE_DEFAULTS.values() for k in d}))
EXCLUDE_KEYS = ("dataset", "model", *AXES_KEYS[1:])
TOP_KEYS = ("name", "description", "axes", *MODES, "include", "exclude")
EXPANDED_KEYS = ("name", "description", "source", "cells")


@dataclass(frozen=True)
class Machine:
    """What the expansion needs to know about this computer."""

    logical_cores: int
    gpus: int = 0
    gpu_note: str = ""  # why there are none, e.g. "tensorflow-cpu build"
    backends: tuple[str, ...] = ("tensorflow",)  # Keras backends whose package is installed
    backend_gpus: dict[str, int] = field(default_factory=dict)  # GPUs each backend sees (default: gpus)


SMALLEST = Machine(logical_cores=1)  # what a matrix's size is counted on before the machine is known


@dataclass
class Planned:
    """A cell and, when it cannot run on this machine, why (it is then recorded as skipped)."""

    cell: Cell
    skip_reason: str | None = None


@dataclass
class MatrixSpec:
    """A parsed, validated matrix file."""

    name: str
    source: str
    description: str = ""
    groups: list[dict[str, list[Any]]] = field(default_factory=list)  # axis key -> values (+ settings)
    excludes: list[dict[str, list[Any]]] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # mode -> per-mode settings
    cells: list[Cell] | None = None  # set for an expanded matrix file


def resolve_path(name_or_path: str) -> Path:
    """A preset name (bench/presets/NAME.toml) or a TOML file path; UserError if neither exists."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise UserError(f"matrix file {path} not found; give a preset ({', '.join(presets())}) or a path")
        return path
    preset = PRESETS_DIR / f"{name_or_path}.toml"
    if not preset.is_file():
        known = ", ".join(presets())
        raise UserError(f"unknown matrix '{name_or_path}': use a preset ({known}) or a .toml path")
    return preset


def presets() -> list[str]:
    """Names of the shipped presets."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_matrix(name_or_path: str, overrides: Sequence[str] = ()) -> MatrixSpec:
    """Read and validate a matrix file, with ``--set AXIS=VALUE`` overrides applied; every unknown key
    or bad value is a UserError naming it."""
    path = resolve_path(name_or_path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{path} is {path.stat().st_size:,} bytes, over the {MAX_FILE_BYTES:,} a matrix "
                            "may have; split it into several matrices")
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise UserError(f"{path}: values nested too deeply to read (a matrix nests at most {MAX_DEPTH} "
                        "levels: [[include]] > table > list)") from None
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror or exc}); give a matrix .toml file") from None
    try:
        changed = apply_overrides(raw, overrides, str(path))
        return parse_matrix(changed, source=str(path), default_name=path.stem)
    except UserError as exc:
        if not overrides:
            raise
        raise UserError(f"{exc} (with --set {' --set '.join(overrides)})") from None


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str], source: str) -> dict[str, Any]:
    """``AXIS=VALUE`` pairs (VALUE in TOML, or a bare word) set in [axes] and in every [[include]]
    that names the axis, so the value holds for every cell: ``--matrix full --set data=synthetic``."""
    if not overrides:
        return raw
    if "cells" in raw:
        raise UserError(f"--set does not apply to {source}, an expanded run matrix; drop --set")
    out = {**raw, "include": [dict(inc) for inc in _table_list(raw.get("include", []), source)]}
    if "axes" in raw:
        out["axes"] = dict(_table(raw["axes"], f"{source} [axes]"))
    for item in overrides:
        key, sep, text = (part.strip() for part in item.partition("="))
        if not sep or key not in AXES_KEYS or not text:
            raise UserError(f"--set {item}: give AXIS=VALUE with AXIS one of {', '.join(AXES_KEYS)} "
                            "(e.g. --set data=synthetic)")
        value = _toml_value(text)
        if "axes" in out:
            out["axes"][key] = value
        for inc in out["include"]:
            if key in inc or "axes" not in out:
                inc[key] = value
    note = f"with --set {' --set '.join(overrides)}"
    out["description"] = f"{raw.get('description', '')} ({note})".lstrip()
    return out


def _toml_value(text: str) -> Any:
    """VALUE of --set as TOML (64, [32, 64], "x"), else the bare word itself (synthetic)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise UserError(f"--set value nested too deeply (a matrix nests at most {MAX_DEPTH} levels)") \
            from None


def parse_matrix(raw: dict[str, Any], *, source: str, default_name: str) -> MatrixSpec:
    """Validate a matrix dict (as tomllib returns it): its shape and size first (nesting, list lengths,
    text that is not UTF-8), then every key and value."""
    check_shape(raw, source)
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise UserError(f"{source}: name must be letters, digits, '_', '.', '-' (got {name!r})")
    if "cells" in raw:
        _check_keys(raw, EXPANDED_KEYS, source)
        cells = _parse_cells(raw["cells"], source)
        return MatrixSpec(name=name, source=str(raw.get("source", source)),
                          description=str(raw.get("description", "")), cells=cells)
    _check_keys(raw, TOP_KEYS, source)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise UserError(f"{source}: description must be a string")
    settings = {mode: _parse_settings(raw.get(mode, {}), mode, f"{source} [{mode}]") for mode in MODES}
    axes = _table(raw.get("axes", {}), f"{source} [axes]")
    _check_keys(axes, AXES_KEYS, f"{source} [axes]")
    groups = []
    if axes:
        groups.append(_parse_group(axes, {}, f"{source} [axes]"))
    base = groups[0] if groups else {}
    for i, inc in enumerate(_table_list(raw.get("include", []), f"{source} include")):
        where = f"{source} [[include]] #{i + 1}"
        _check_keys(inc, AXES_KEYS + SETTING_KEYS, where)
        groups.append(_parse_group(inc, base, where))
    if not groups:
        raise UserError(f"{source}: no cells: give [axes] with pairs, or [[include]] tables")
    excludes = []
    if raw.get("exclude") and not axes:
        raise UserError(f"{source}: [[exclude]] removes cells of the [axes] product; add [axes] or drop it")
    for i, exc in enumerate(_table_list(raw.get("exclude", []), f"{source} exclude")):
        where = f"{source} [[exclude]] #{i + 1}"
        _check_keys(exc, EXCLUDE_KEYS, where)
        if not exc:
            raise UserError(f"{where}: empty exclude would remove every cell; give keys to match")
        excludes.append({k: _as_list(v) for k, v in exc.items()})
    spec = MatrixSpec(name=name, source=source, description=description, groups=groups,
                      excludes=excludes, settings=settings)
    check_cell_count(spec)
    return spec


def _parse_group(table: dict[str, Any], base: dict[str, list[Any]], where: str) -> dict[str, list[Any]]:
    """Axis values of one group as lists, validated; missing axes from base, then defaults."""
    group: dict[str, list[Any]] = {}
    for key in AXES_KEYS:
        if key in table:
            values = _as_list(table[key]) if key != "pairs" or table[key] != "seed" else ["seed"]
            if not values:
                raise UserError(f"{where}: {key} is an empty list")
            for v in values:
                _check_axis_value(key, v, where)
            group[key] = values
        elif key in base:
            group[key] = base[key]
        elif key == "pairs":
            raise UserError(f"{where}: pairs is required (\"seed\" or [\"dataset/model\", ...])")
        else:
            group[key] = [AXES_DEFAULTS[key]]
    for key in SINGLE_KEYS:
        if len(group[key]) != 1:
            raise UserError(f"{where}: {key} takes one value, not a list")
    if "synthetic" in group["data"]:
        check_synthetic_size(group["pairs"], group["synthetic_examples"][0], where)
    overrides = {k: table[k] for k in SETTING_KEYS if k in table}
    for key, value in overrides.items():
        modes = [m for m in group["mode"] if key in MODE_DEFAULTS[m]]
        if not modes:
            raise UserError(f"{where}: {key} does not apply to mode {group['mode']}")
        _check_setting(key, value, where)
    group["_settings"] = [overrides]
    return group


def _check_axis_value(key: str, v: Any, where: str) -> None:
    """UserError naming the key when v is not a valid value of axis key (the axis table's check), or a
    pair names a model the registry lacks."""
    axis = BY_NAME[key]
    if not axis.check(v):
        raise UserError(f"{where}: {key} = {v!r} is not valid; expected {axis.expected}")
    if key == "pairs" and v != "seed":
        _check_model(v.rsplit("/", 1)[1], where)
        check_synthetic_name(v.rsplit("/", 1)[0], where)

def _parse_settings(table: Any, mode: str, where: str) -> dict[str, Any]:
    """Per-mode settings table merged over the mode's defaults."""
    table = _table(table, where)
    _check_keys(table, tuple(MODE_DEFAULTS[mode]), where)
    for key, value in table.items():
        _check_setting(key, value, where)
    return {**MODE_DEFAULTS[mode], **table}


def _check_setting(key: str, v: Any, where: str) -> None:
    """UserError naming the key when a per-mode setting value is bad (the axis table's check)."""
    axis = BY_NAME[key]
    if not axis.check(v):
        raise UserError(f"{where}: {key} = {v!r} is not valid; expected {axis.expected}")

def _check_model(model: str, where: str) -> None:
    """UserError naming where, when model is not in the registry (python -m bench models). Under the
    test hook BENCH_FAULT (bench/cell/faults.py) cells may name made-up models: their children fail on
    purpose."""
    from models.registry import MODELS

    if model not in MODELS and not os.environ.get("BENCH_FAULT"):
        raise UserError(f"{where}: unknown model {model!r}; known models: {', '.join(MODELS)}")


def _check_cell(config: dict[str, Any], where: str) -> None:
    """An expanded [[cells]] table's values checked as the [axes] and per-mode settings are (a hand-edited
    or generated matrix.toml gets no value the axes would refuse)."""
    for key in ("dataset", "model"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise UserError(f"{where}: {key} must be a non-empty string")
    check_synthetic_name(config["dataset"], where)
    for key in CELL_AXES:
        if key in config:
            _check_axis_value(key, config[key], where)
    batch = config.get("batch_size", 1)
    concrete = {"batch_size": 1 if batch == "max" else batch, "epochs": config.get("epochs") or 1}
    for key, value in concrete.items():  # expanded: "recipe" was resolved to a number ("max" runs as such)
        bounds: Bounds = BY_NAME[key].bounds
        if not bounds.holds(value):
            raise UserError(f"{where}: {key} = {value!r} is not valid; expected {bounds.text()}")
    if "all" in (config.get("device"), config.get("threads")):
        raise UserError(f'{where}: device/threads = "all" is an [axes] value; a cell names one')
    for key in SETTING_KEYS:
        if config.get(key) is not None:
            _check_setting(key, config[key], where)
    if config.get("stands_for") is not None and not isinstance(config["stands_for"], str):
        raise UserError(f"{where}: stands_for must be a dataset name")


def _parse_cells(cells: Any, source: str) -> list[Cell]:
    """Cells of an expanded matrix file, each value validated as the axes' are."""
    out = []
    tables = _table_list(cells, f"{source} cells")
    if len(tables) > MAX_CELLS:
        raise UserError(f"{source}: {len(tables):,} cells, over the cap of {MAX_CELLS:,}; split the matrix")
    for i, table in enumerate(tables):
        config = {k: v for k, v in table.items() if k not in ("cell_id", "skip_reason")}
        _check_cell(config, f"{source} [[cells]] #{i + 1}")
        try:
            cell = Cell(**config)
        except TypeError as exc:
            raise UserError(f"{source} [[cells]] #{i + 1}: {exc}") from None
        if "cell_id" in table and table["cell_id"] != cell.cell_id:
            raise UserError(f"{source} [[cells]] #{i + 1}: cell_id does not match its config (edited?)")
        out.append(cell)
    return out


def expand(spec: MatrixSpec, machine: Machine) -> list[Planned]:
    """Every cell of the matrix, in file order, each with its skip reason on this machine (or None); a
    UserError, before anything expands, when the product would exceed MAX_CELLS."""
    if spec.cells is None:
        check_cell_count(spec, machine)
    cells = spec.cells if spec.cells is not None else _expand_groups(spec, machine)
    seen: set[str] = set()
    planned = []
    for cell in cells:
        if cell.cell_id in seen:
            continue
        seen.add(cell.cell_id)
        planned.append(Planned(cell, skip_reason(cell, machine)))
    return planned


def check_cell_count(spec: MatrixSpec, machine: Machine = SMALLEST) -> None:
    """UserError when the groups' products hold more than MAX_CELLS cells on this machine (SMALLEST, at
    load: "all" threads and devices counted once, so no machine could run it), counted without making
    any cell."""
    count = product_size(spec, machine)
    if count > MAX_CELLS:
        where = "on this machine" if machine is not SMALLEST else "at least"
        raise UserError(f"{spec.source} expands to {count:,} cells {where}, over the cap of {MAX_CELLS:,}; "
                        "split it into several matrices or give fewer values per axis")


def product_size(spec: MatrixSpec, machine: Machine) -> int:
    """How many cells the groups' products hold before excludes and duplicates (an upper bound), counted
    without making any."""
    total = 0
    for group in spec.groups:
        size = 1
        for key, values in group.items():
            if key != "_settings":
                size *= len(_concrete(key, values, machine))
        total += size
    return total


def _expand_groups(spec: MatrixSpec, machine: Machine) -> list[Cell]:
    """The product of each group's axes, less the excluded combinations, as cells."""
    cells = []
    for index, group in enumerate(spec.groups):
        values = {k: _concrete(k, v, machine) for k, v in group.items() if k != "_settings"}
        keys = list(values)
        for combo in itertools.product(*(values[k] for k in keys)):
            point = dict(zip(keys, combo, strict=True))
            point["dataset"], point["model"] = point["pairs"].rsplit("/", 1)
            if index == 0 and any(_matches(rule, point) for rule in spec.excludes):
                continue
            cells.append(_to_cell(point, {**spec.settings[point["mode"]], **group["_settings"][0]}))
    return cells


def _concrete(key: str, values: list[Any], machine: Machine) -> list[Any]:
    """Expand the symbolic values: pairs "seed", threads "all", device "all"."""
    out: list[Any] = []
    for v in values:
        if key == "pairs" and v == "seed":
            from models.registry import SEED_PAIRS

            out += [f"{d}/{m}" for d, m in SEED_PAIRS]
        elif key == "threads" and v == "all":
            out += thread_ladder(machine.logical_cores)
        elif key == "device" and v == "all":
            out += ["cpu", *(f"gpu:{i}" for i in range(machine.gpus))]
        else:
            out.append(v)
    return list(dict.fromkeys(out))


def thread_ladder(cores: int) -> list[int]:
    """1, 2, 4, ... up to the logical cores, ending at the core count itself."""
    ladder = [1]
    while ladder[-1] * 2 < cores:
        ladder.append(ladder[-1] * 2)
    return ladder if cores == 1 else [*ladder, cores] if ladder[-1] != cores else ladder


def _matches(rule: dict[str, list[Any]], point: dict[str, Any]) -> bool:
    """True when every key of an exclude rule matches the point."""
    return all(point.get(k) in values for k, values in rule.items())


def _to_cell(point: dict[str, Any], settings: dict[str, Any]) -> Cell:
    """A concrete cell from one product point and the settings of its mode."""
    dataset, stands_for = point["dataset"], None
    if point["data"] == "synthetic":
        if dataset.startswith(("synthetic:", "h5:")):
            raise UserError(f"data = \"synthetic\" needs a named real dataset, not {dataset!r}")
        from datasets.specs import synthetic_name_for

        dataset, stands_for = synthetic_name_for(dataset, point["synthetic_examples"]), dataset
    batch = point["batch_size"]
    recipe = _recipe(point["model"]) if "recipe" in (batch, settings.get("epochs")) else None
    mode = point["mode"]
    wanted = MODE_DEFAULTS[mode]
    s = {k: v for k, v in settings.items() if k in wanted}
    if s.get("epochs") == "recipe":
        s["epochs"] = recipe.epochs
    if mode == "throughput" and s["min_time_s"] > s["max_time_s"]:
        raise UserError(f"min_time_s = {s['min_time_s']:g} exceeds max_time_s = {s['max_time_s']:g}; "
                        "a repeat cannot last longer than its cap")
    axes = {a.name: point[a.name] for a in MATRIX_AXES if a.cell}
    axes |= {"replicas": 1 if point["strategy"] == "none" else point["replicas"],
             "batch_size": recipe.batch_size if batch == "recipe" else batch,
             "timeout_s": float(point["timeout_s"])}
    return Cell(dataset=dataset, model=point["model"], stands_for=stands_for, **axes, **s)


def _recipe(model: str) -> Any:
    """The model's training recipe (models.recipe.Recipe)."""
    from models.registry import get_model

    return get_model(model).recipe


def skip_reason(cell: Cell, machine: Machine) -> str | None:
    """Why this cell cannot run on this machine, or None."""
    why = _backend_skip(cell, machine)
    if why:
        return why
    index = gpu_index(cell.device)
    if index is not None:
        gpus = machine.backend_gpus.get(cell.backend, machine.gpus)
        if index >= gpus:
            note = f" ({machine.gpu_note})" if machine.gpu_note else ""
            name = BACKEND_NAMES[cell.backend]
            return f"{cell.device} requested but {name} sees {gpus} GPU(s) on this machine{note}"
    why = _strategy_skip(cell, machine)
    if why:
        return why
    if cell.batch_size == "max" and cell.strategy != "none":
        return 'batch_size = "max" searches one process\'s batch; use it with strategy = "none"'
    for key in ("threads", "inter_threads"):
        n = getattr(cell, key)
        if isinstance(n, int) and n > machine.logical_cores and not cell.oversubscribe:
            return (f"{key}={n} exceeds the {machine.logical_cores} logical cores; "
                    "set oversubscribe = true in [axes] to run it anyway")
    if cell.pipeline != "memory":
        from datasets.api import pipeline_mode_available

        ok, why = pipeline_mode_available(cell.pipeline)
        if not ok:
            return f"pipeline {cell.pipeline} unavailable: {why}"
    return None


def _backend_skip(cell: Cell, machine: Machine) -> str | None:
    """Why the cell's Keras backend cannot run it here, or None."""
    if cell.backend not in machine.backends:
        file = "requirements.txt" if cell.backend == "tensorflow" else f"requirements-{cell.backend}.txt"
        return f"backend {cell.backend} is not installed here (python -m pip install -r {file})"
    if cell.backend != "tensorflow" and cell.strategy != "none":
        return f"strategy {cell.strategy} is TensorFlow's tf.distribute; run it with backend = \"tensorflow\""
    if "tensorflow" not in machine.backends and cell.pipeline != "numpy":
        return (f"pipeline {cell.pipeline} is a tf.data pipeline and TensorFlow is not installed here; "
                'use pipeline = "numpy" (h5py batches, no TensorFlow)')
    if cell.backend == "jax":
        return _jax_threads_skip(cell, machine)
    return None


def _jax_threads_skip(cell: Cell, machine: Machine) -> str | None:
    """Why a jax cell's thread settings cannot be honoured, or None (bench.cell.backends: threads = N pins
    the process to N cores, the only thread knob XLA's CPU client has)."""
    if cell.inter_threads != "auto":
        return 'jax has no inter-op thread setting; use inter_threads = "auto" with backend = "jax"'
    if cell.threads == "auto":
        return None
    if not hasattr(os, "sched_setaffinity"):
        return ("jax threads = N pins the process to N cores (os.sched_setaffinity), which this OS lacks; "
                'use threads = "auto" with backend = "jax"')
    if int(cell.threads) > machine.logical_cores:
        return (f"jax threads = {cell.threads} would pin the process to more cores than the "
                f"{machine.logical_cores} here (oversubscribe cannot apply to pinning)")
    return None


def _strategy_skip(cell: Cell, machine: Machine) -> str | None:
    """Why the cell's distribution strategy cannot run it here, or None."""
    first = gpu_index(cell.device)
    if cell.strategy == "mirrored" and first is not None:
        gpus = machine.backend_gpus.get("tensorflow", machine.gpus)
        if first + cell.replicas > gpus:
            return (f"mirrored over {cell.replicas} GPUs from {cell.device} needs gpu:{first}..gpu:"
                    f"{first + cell.replicas - 1}, but TensorFlow sees {gpus} GPU(s) here")
    why = _replicas_skip(cell, machine)
    if why:
        return why
    if cell.strategy == "multiworker":
        if cell.pipeline == "numpy":
            return ("multiworker distributes a tf.data pipeline (strategy.experimental_distribute_dataset); "
                    'pipeline = "numpy" is a keras PyDataset: use a tf.data mode')
        if cell.mode != "throughput":
            return ("multiworker runs throughput cells only: Keras's model.fit fails under "
                    "MultiWorkerMirroredStrategy (keras-team/keras#20585), so it uses a custom "
                    "strategy.run step")
        if cell.device != "cpu" and not os.environ.get("TF_CONFIG"):  # a user's cluster may use GPUs
            return ("multiworker on one machine starts its workers on the CPU; for GPUs use strategy = "
                    "\"mirrored\", or span machines with your own TF_CONFIG (docs/guide/distributed.md)")
    return None


def _replicas_skip(cell: Cell, machine: Machine) -> str | None:
    """Why the cell's replicas cannot share this machine's cores, or None: each multiworker replica is a
    worker process, each CPU mirrored replica a logical CPU device; more of them than logical cores only
    time-slice (oversubscribe = true runs them anyway). A skip, not an error: the same matrix may run on a
    machine with more cores, and a user's TF_CONFIG spreads the workers over several machines."""
    on_cpu = cell.strategy == "mirrored" and cell.device == "cpu"
    local = cell.strategy == "multiworker" and not os.environ.get("TF_CONFIG")
    if (on_cpu or local) and cell.replicas > machine.logical_cores and not cell.oversubscribe:
        return (f"replicas={cell.replicas} exceeds the {machine.logical_cores} logical cores; "
                "set oversubscribe = true in [axes] to run it anyway")
    return None


def _check_keys(table: dict[str, Any], allowed: Iterable[str], where: str) -> None:
    """UserError naming the first unknown key."""
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise UserError(f"{where}: unknown key {key!r} (known: {', '.join(allowed)})")


def _table(value: Any, where: str) -> dict[str, Any]:
    """value as a TOML table, or a UserError."""
    if not isinstance(value, dict):
        raise UserError(f"{where} must be a table")
    return value


def _table_list(value: Any, where: str) -> list[dict[str, Any]]:
    """value as an array of tables ([[...]]), or a UserError."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise UserError(f"{where} must be an array of tables ([[...]])")
    return value


def _as_list(value: Any) -> list[Any]:
    """A scalar as a one-element list; lists unchanged."""
    return list(value) if isinstance(value, list) else [value]
