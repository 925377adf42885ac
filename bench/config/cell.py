"""One benchmark cell: a frozen, hashable configuration with a stable id (the unit the runner runs).

Its fields are the cell axes of bench.config.axes.AXES (dataset and model first, so Cell("digits",
"mnist_cnn") reads as before), in the record's order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from bench.config.axes import BY_NAME, CELL_FIELDS, REQUIRED

# Throughput's time box (bench.cell.trackers.timing.TimeBox): the matrix defaults.
TIME_BOX_DEFAULTS = {"min_time_s": BY_NAME["min_time_s"].mode_defaults[0][1],
                     "max_time_s": BY_NAME["max_time_s"].mode_defaults[0][1]}


class _CellConfig:
    """Cell's behaviour; its fields come from the axis table (see Cell below)."""

    def config(self) -> dict[str, Any]:
        """The configuration as a plain dict in CONFIG_FIELDS order (what a record carries)."""
        return {a.name: getattr(self, a.name) for a in CELL_FIELDS}

    @property
    def slug(self) -> str:
        """A readable summary: dataset-model-device-threads-batch-precision-mode."""
        data = self.dataset.split(":")[0] if self.stands_for is None else f"synthetic-{self.stands_for}"
        data = data.replace("/", "_")
        parts = [data, self.model, self.device.replace(":", ""), f"t{self.threads}", f"b{self.batch_size}",
                 self.precision, self.mode]
        if self.backend != "tensorflow":
            parts.append(self.backend)
        if self.strategy != "none":
            parts.append(f"{self.strategy}{self.replicas}")
        if self.jit_compile:
            parts.append("xla")
        if self.pipeline != "memory":
            parts.append(self.pipeline)
        return "-".join(str(p) for p in parts)

    @property
    def cell_id(self) -> str:
        """slug + first 10 hex digits of sha256 of the canonical JSON of the config (stable anywhere): the
        axes with in_id, less each one's id_omits values (axes added later, at their old behaviour)."""
        config = {a.name: getattr(self, a.name) for a in CELL_FIELDS
                  if a.in_id and getattr(self, a.name) not in a.id_omits}
        canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
        return f"{self.slug}-{hashlib.sha256(canonical.encode()).hexdigest()[:10]}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Build a Cell from a config dict, ignoring keys that are not config fields (a record's cell:
        bench.results.schema.config_of)."""
        names = {a.name for a in CELL_FIELDS}
        return cls(**{k: v for k, v in data.items() if k in names})


def _field(axis: Any) -> tuple[str, str, Any]:
    """A dataclass field spec for one axis (no default for the required ones)."""
    if axis.default is REQUIRED:
        return axis.name, axis.type
    default = axis.default if axis.kind == "axis" else None  # settings and derived fields: null unless set
    return axis.name, axis.type, dataclasses.field(default=default)


_ORDER = sorted(CELL_FIELDS, key=lambda a: a.default is not REQUIRED)  # required first, else table order
Cell = dataclasses.make_dataclass("Cell", [_field(a) for a in _ORDER], bases=(_CellConfig,), frozen=True)
Cell.__module__ = __name__  # make_dataclass's module= needs Python 3.12; pickling and repr find it here
Cell.__doc__ = "A cell's configuration; one field per cell axis of bench.config.axes.AXES."
