"""The one versioned schema of what a run folder holds and what travels between machines (pydantic v2):
`Record` (a line of results.jsonl), `Env` (env.json) and `MatrixValues` (matrix.toml's values).

Every field of bench.config.record.FIELDS is typed here; a cell's config fields take their types and ranges
from the axis table (bench.config.axes: Axis.type, Axis.bounds, Axis.check), so an axis is declared once.
Numbers are finite and in range, counts whole, strings bounded and valid Unicode, lists and objects shaped.
Unknown extra keys are kept (a newer galaxybench's fields) but never trusted: no reader acts on them, and
they only have to be plain, bounded JSON. bench.results.loader is the one place records are read through.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    model_validator,
)

from bench.config.axes import CELL_FIELDS, Axis
from bench.config.record import FIELDS, SCHEMA_VERSION, STATUSES

__all__ = ["DONE", "SCHEMA_VERSION", "Env", "LongInteger", "MatrixValues", "Record", "check_json", "config_of"]

DONE = STATUSES  # a cell whose latest record has one of these is finished; any other status is not
MAX_INT = 2**63 - 1  # counts and sizes: a 64-bit integer (a 5,000-digit one is refused, not parsed on)
MAX_NAME = 1_000  # ids, names, versions, paths
MAX_TEXT = 1_000_000  # reasons and log tails (30 log lines, however long a line is)
MAX_ITEMS = 100_000  # entries of any list or object (a memory timeline of a day at one sample a second)
MAX_DEPTH = 16  # nesting of lists and objects


def _unicode(text: str) -> str:
    """text unchanged when it is valid Unicode (UTF-8 encodable: no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("has a lone surrogate (not valid Unicode)") from None
    return text


Name = Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(_unicode)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_unicode)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(_unicode)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Positive = Annotated[int, Field(ge=1, le=MAX_INT)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]  # seconds, images/s, MB, joules, MHz
Above0 = Annotated[float, Field(gt=0, allow_inf_nan=False)]  # a measured peak
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Real = Annotated[float, Field(allow_inf_nan=False)]  # a loss, a temperature
Amounts = Annotated[list[Amount], Field(max_length=MAX_ITEMS)]
Names = Annotated[list[Name], Field(max_length=MAX_ITEMS)]
STRICT = ConfigDict(strict=True, extra="allow")


class _Open(BaseModel):
    """An object with the keys readers use typed; other keys kept, never trusted."""

    model_config = STRICT


class PerClass(_Open):
    """One class's row of per_class."""

    class_: Count | None = Field(default=None, alias="class")
    name: Name | None = None
    precision: Fraction | None = None
    recall: Fraction | None = None
    f1: Fraction | None = None
    support: Count | None = None


class BatchSearch(_Open):
    """How a "max" batch was found."""

    method: Text | None = None
    tries: Annotated[list[dict[Key, Any]], Field(max_length=MAX_ITEMS)] | None = None
    note: Text | None = None


Epoch = dict[Key, Real | None]
History = Annotated[list[Epoch], Field(max_length=MAX_ITEMS)] | dict[Key, Annotated[list[Real | None],
                                                                              Field(max_length=MAX_ITEMS)]]
Timeline = Annotated[list[Annotated[list[Real], Field(min_length=2, max_length=2)]],
                     Field(max_length=MAX_ITEMS)]
Matrix = Annotated[list[Annotated[list[Count], Field(max_length=10_000)]], Field(max_length=10_000)]

# The measurement fields' types (bench.config.record.MEASUREMENT_FIELDS; null is always allowed: absent
# measurements are null, never 0). tests/bench/results/test_schema.py checks every field has one.
MEASUREMENT_TYPES: dict[str, Any] = {
    "schema_version": Annotated[int, Field(ge=1, le=SCHEMA_VERSION)],
    "cell_id": Key,
    "status": Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_unicode)],
    "reason": Text, "log_tail": Text, "started_at": Name, "finished_at": Name, "wall_s": Amount,
    "batch_size_requested": Literal["max"], "batch_search": BatchSearch, "predicted_s": Amount,
    "prediction_basis": Text, "setup_s": Amount, "scenario_s": Amount, "synthetic": bool,
    "data_verified": bool, "dataset_path": Text,
    "input_shape": Annotated[list[Positive], Field(min_length=1, max_length=8)],
    "num_classes": Annotated[int, Field(ge=1, le=10_000)], "train_examples": Count,
    "full_epoch_examples": Count, "device_name": Name, "tf_version": Name, "keras_version": Name,
    "backend_version": Name, "input_feed": Name, "unavailable": dict[Key, Text], "worker_network": Text,
    "machine": Name, "machine_env_id": Name, "ray_node": Text, "placement": Name,
    "params": Count, "forward_flops_per_image": Amount, "train_flops_per_image": Amount,
    "compile_s": Amount, "train_img_s": Amount, "train_img_s_min": Amount, "train_img_s_max": Amount,
    "train_img_s_runs": Amounts, "train_repeat_steps": Annotated[list[Count], Field(max_length=MAX_ITEMS)],
    "train_warmup_steps_run": Count, "infer_img_s": Amount, "infer_img_s_min": Amount,
    "infer_img_s_max": Amount, "infer_img_s_runs": Amounts,
    "infer_repeat_steps": Annotated[list[Count], Field(max_length=MAX_ITEMS)], "train_cpu_cores": Amount,
    "infer_cpu_cores": Amount, "cached_train_cpu_cores": Amount, "infer_warmup_steps_run": Count,
    "step_ms_p50": Amount, "step_ms_p90": Amount, "step_ms_p99": Amount, "pipeline_img_s": Amount,
    "cached_train_img_s": Amount, "input_efficiency": Amount, "input_bound": bool, "unstable": bool,
    "unstable_runs": Annotated[list[Amounts], Field(max_length=100)], "train_img_s_remeasured_runs": Amounts,
    "cpu_mhz": Amount, "cpu_mhz_min": Amount, "cpu_mhz_max": Amount, "gpu_sm_mhz": Amount,
    "gpu_sm_mhz_min": Amount, "gpu_sm_mhz_max": Amount, "gpu_temp_c_max": Real, "gpu_throttle_reasons": Names,
    "throttled": bool, "throttle_reason": Text, "train_gflop_s": Amount, "peak_gflop_s": Amount,
    "peak_fraction": Amount, "global_batch_size": Positive, "per_replica_batch_size": Positive,
    "train_loop": Name, "worker_train_img_s": Amounts, "scaling_reference": Name,
    "scaling_efficiency": Amount,
    "energy_sources": Names, "energy_method": dict[Key, Text], "energy_window_s": Amount, "energy_j": Amount,
    "cpu_energy_j": Amount, "gpu_energy_j": Amount, "train_j_per_img": Amount, "train_img_per_kwh": Amount,
    "peak_rss_mb": Amount, "rss_timeline_mb": Timeline, "gpu_peak_mb": Amount, "gpu_nvml_used_mb": Amount,
    "epochs_run": Count, "epoch_s": Amounts, "history": History, "best_epoch": Positive, "train_s": Amount,
    "time_to_target_s": Amount, "test_accuracy": Fraction, "test_loss": Real, "macro_precision": Fraction,
    "macro_recall": Fraction, "macro_f1": Fraction, "weighted_precision": Fraction,
    "weighted_recall": Fraction,
    "weighted_f1": Fraction, "per_class": Annotated[list[PerClass], Field(max_length=10_000)],
    "confusion_matrix": Matrix, "class_names": Names,
    # the cell's neighbours on the machine (bench.launch.contention)
    "others_cpu_s": Amount, "others_cpu_cores": Amount, "contended": bool,
}


def _checked(axis: Axis) -> AfterValidator:
    """The axis's own check (bench.config.axes) on a value already of its type."""
    def check(value: Any) -> Any:
        if not axis.check(value):
            raise ValueError(f"not {axis.expected}" if axis.expected else "not a value this axis takes")
        return value
    return AfterValidator(check)


def axis_type(axis: Axis) -> Any:
    """The pydantic type of an axis's value, from its table entry: bounds (range, whole or not) and words
    ("auto", "max") where it has them, else its type and check."""
    nullable = "None" in axis.type
    if axis.bounds is not None:
        number = Annotated[int if axis.bounds.whole else float,
                           Field(**axis.bounds.field_kwargs(), allow_inf_nan=False)]
        kind: Any = number | Literal[axis.words] if axis.words else number  # type: ignore[valid-type]
    elif axis.type.startswith("bool"):
        kind = bool
    elif axis.type.startswith("str"):
        kind = Annotated[Key, _checked(axis)]
    else:
        raise TypeError(f"axis {axis.name}: no schema type for {axis.type!r} (give it bounds or a type)")
    return kind | None if nullable else kind


CONFIG_TYPES: dict[str, Any] = {axis.name: axis_type(axis) for axis in CELL_FIELDS}
# The axes a measured (ok) record must carry: every cell axis but the per-mode settings (null outside their
# mode), those added after the first runs (absent means their default: bench.results.loader.migrate) and
# those that describe how a cell ran rather than what it measured (timeout_s, oversubscribe).
MEASURED_NEEDS = tuple(a.name for a in CELL_FIELDS
                       if a.kind != "setting" and not a.backfill and a.in_id and "None" not in a.type)
BACKFILLED = {a.name: a.default for a in CELL_FIELDS if a.backfill}  # absent in records from before them


class _RecordChecks(_Open):
    """What one field's type cannot say: a measured record's config, the confusion matrix's shape."""

    @model_validator(mode="after")
    def _consistent(self) -> _RecordChecks:
        values = self.__dict__
        if values.get("status") == "ok":
            for name in MEASURED_NEEDS:
                if values.get(name) is None:
                    raise _FieldError(name, "is missing: a measured (ok) record carries its cell's config")
            if not isinstance(values.get("batch_size"), int):
                raise _FieldError("batch_size", f"is {values['batch_size']!r}: a measured (ok) record holds "
                                                "the batch it ran, a whole number")
        matrix, classes = values.get("confusion_matrix"), values.get("num_classes")
        if matrix is not None:
            if any(len(row) != len(matrix) for row in matrix):
                raise _FieldError("confusion_matrix", f"is not square ({len(matrix)} rows of "
                                                      f"{sorted({len(r) for r in matrix})} columns)")
            if classes is not None and len(matrix) != classes:
                raise _FieldError("confusion_matrix", f"has {len(matrix)} rows for num_classes {classes}")
        return self


class _FieldError(ValueError):
    """A cross-field check's failure, naming the field it blames."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field, self.why = field, why


def _record_fields() -> dict[str, Any]:
    """(type, default) of every field of FIELDS: config fields from the axes, measurements from the table;
    a field with neither (added to FIELDS without a type) takes any plain JSON value."""
    required = ("cell_id", "status")  # every record names its cell and how it ended: never null
    types = {**CONFIG_TYPES, **{k: v if k in required else v | None for k, v in MEASUREMENT_TYPES.items()}}
    return {name: (types.get(name, Any), ... if name in required else None) for name in FIELDS}


Record = create_model("Record", __base__=_RecordChecks, __doc__="One line of results.jsonl.",
                      **_record_fields())
UNTYPED = tuple(name for name in FIELDS if name not in CONFIG_TYPES and name not in MEASUREMENT_TYPES)


def config_of(record: dict[str, Any]) -> dict[str, Any]:
    """The cell config a record was run from: its config fields, with batch_size as the matrix asked for
    it ("max": the record holds the batch found), so Cell(**config_of(record)) has the record's cell_id."""
    config = {a.name: record[a.name] for a in CELL_FIELDS if a.name in record}
    if record.get("batch_size_requested") == "max":
        config["batch_size"] = "max"
    return config


class ClusterMachine(_Open):
    """One machine of a --cluster run, in its env.json's cluster_machines."""

    machine_env_id: Name | None = None
    cpu_model: Name | None = None
    logical_cores: Positive | None = None
    gpu_count: Count | None = None
    env: Text | None = None


PEAKS = dict[Key, Above0]


class Env(_Open):
    """env.json: the fields its readers use (the runner's machine, the planner, the reports' machine label);
    every other key the probe writes is kept as it is."""

    logical_cores: Annotated[int, Field(ge=1, le=1 << 20)] | None = None
    physical_cores: Annotated[int, Field(ge=1, le=1 << 20)] | None = None
    hostname: Name | None = None
    cpu_model: Name | None = None
    ram_gb: Amount | None = None
    packages: dict[Key, Name | None] | None = None
    tf_version: Name | None = None
    tf_gpus: Annotated[list[dict[Key, Any]], Field(max_length=4096)] | None = None
    nvml_gpus: Annotated[list[dict[Key, Any]], Field(max_length=4096)] | None = None
    backend_gpus: dict[Key, Count] | None = None
    gpu_count: Count | None = None
    gpu_note: Text | None = None
    peak_gflop_s: PEAKS | None = None
    peak_gflop_s_end: PEAKS | None = None
    drifting: bool | dict[Key, bool] | None = None
    peak_end_unavailable: Text | None = None
    cluster_machines: dict[Key, ClusterMachine] | None = None
    machine_env_id: Name | None = None


MatrixCell = create_model("MatrixCell", __base__=_Open, __doc__="One [[cells]] table of matrix.toml.",
                          cell_id=(Key, ...), skip_reason=(Text | None, None),
                          **{name: (kind, None) for name, kind in CONFIG_TYPES.items()})


class MatrixValues(_Open):
    """RUN_DIR/matrix.toml, the expanded matrix a run used (bench.config.expanded)."""

    name: Name | None = None
    source: Text | None = None
    description: Text | None = None
    cells: Annotated[list[MatrixCell], Field(max_length=1_000_000)] | None = None  # type: ignore[valid-type]


class LongInteger:
    """An integer literal too long to be a count (json.loads' parse_int in bench.results.lines keeps its
    length instead of converting it: Python refuses past 4,300 digits, and a 4,000-digit one is slow)."""

    DIGITS = 100  # far past any 64-bit count

    def __init__(self, literal: str) -> None:
        self.digits = len(literal.lstrip("-"))

    @classmethod
    def parse(cls, literal: str) -> int | LongInteger:
        """json.loads' parse_int: an int, or a LongInteger past DIGITS digits."""
        return cls(literal) if len(literal) > cls.DIGITS else int(literal)

    def __repr__(self) -> str:
        return f"an integer of {self.digits:,} digits"


def check_json(value: Any, depth: int = 0) -> str:
    """"" when value is plain, bounded JSON (finite numbers, 64-bit integers, valid Unicode strings of at
    most MAX_TEXT characters, at most MAX_ITEMS entries, MAX_DEPTH levels), else why not: the guard every
    key passes, extra keys included, before the schema types the known ones."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return "" if -MAX_INT <= value <= MAX_INT else f"is an integer of {_digits(value)} digits"
    if isinstance(value, float):
        return "" if math.isfinite(value) else f"is {value!r}, not a finite number"
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return f"is a string of {len(value):,} characters (at most {MAX_TEXT:,})"
        return "" if _valid(value) else "has a lone surrogate (not valid Unicode)"
    if isinstance(value, LongInteger):
        return f"is {value!r}"
    if not isinstance(value, list | dict):
        return f"is a {type(value).__name__}, not JSON"
    if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
        return f"nests deeper than {MAX_DEPTH} levels" if depth >= MAX_DEPTH else \
            f"has {len(value):,} entries (at most {MAX_ITEMS:,})"
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        why = check_json(key, depth + 1) if isinstance(key, str) else ""
        why = why or check_json(item, depth + 1)
        if why:
            return why
    return ""


def _valid(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _digits(value: int) -> str:
    """How many digits a huge integer has, without converting it to text (Python refuses past 4,300)."""
    return f"about {int(abs(value).bit_length() * math.log10(2)) + 1:,}"
