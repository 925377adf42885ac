"""One benchmark cell: a frozen, hashable configuration with a stable id (the unit the runner runs)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bench.config.record import CONFIG_FIELDS

# Fields that change how a cell is run, not what it measures: left out of the id so that
# resuming with a longer timeout still finds the cell's earlier record.
_NOT_IN_ID = ("timeout_s", "oversubscribe")
# Axes added later: left out of the id while at their default, so the ids of every earlier cell
# (and of earlier runs' records, which --resume and compare match on) stay as they were.
_IN_ID_UNLESS_DEFAULT = {"backend": "tensorflow", "strategy": "none", "replicas": 1}
# Throughput's time box (bench.cell.trackers.timing.TimeBox): the matrix default, left out of the id at that
# value or unset (other modes), so cells from before the time box keep their ids.
TIME_BOX_DEFAULTS = {"min_time_s": 2.0, "max_time_s": 20.0}


@dataclass(frozen=True)
class Cell:
    """A cell's configuration; field names and meanings are bench.config.record.CONFIG_FIELDS."""

    dataset: str
    model: str
    stands_for: str | None = None
    device: str = "cpu"
    backend: str = "tensorflow"
    strategy: str = "none"
    replicas: int = 1
    threads: int | str = "auto"
    inter_threads: int | str = "auto"
    batch_size: int | str = 32  # "max": the largest that fits, found by bench.launch.maxbatch
    precision: str = "float32"
    jit_compile: bool = False
    pipeline: str = "memory"
    mode: str = "throughput"
    seed: int = 0
    warmup_steps: int | None = None
    steps: int | None = None
    repeats: int | None = None
    min_time_s: float | None = None
    max_time_s: float | None = None
    epochs: int | None = None
    budget_s: float | None = None
    target_accuracy: float | None = None
    max_train_examples: int | None = None
    timeout_s: float = 1800.0
    oversubscribe: bool = False

    def config(self) -> dict[str, Any]:
        """The configuration as a plain dict in CONFIG_FIELDS order (what a record carries)."""
        return {name: getattr(self, name) for name in CONFIG_FIELDS}

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
        """slug + first 10 hex digits of sha256 of the canonical JSON of the config (stable anywhere)."""
        config = {k: v for k, v in self.config().items()
                  if k not in _NOT_IN_ID and _IN_ID_UNLESS_DEFAULT.get(k, object()) != v
                  and not (k in TIME_BOX_DEFAULTS and v in (None, TIME_BOX_DEFAULTS[k]))}
        canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
        return f"{self.slug}-{hashlib.sha256(canonical.encode()).hexdigest()[:10]}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        """Build a Cell from a record or config dict, ignoring keys that are not config fields."""
        names = {f.name for f in dataclasses.fields(cls)}
        config = {k: v for k, v in data.items() if k in names}
        if data.get("batch_size_requested") == "max":  # the record holds the batch found; the cell, "max"
            config["batch_size"] = "max"
        return cls(**config)
