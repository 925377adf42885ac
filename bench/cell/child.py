"""One cell in its own process: ``python -m bench.cell.child '<cell config JSON>'``.

Contract (timm's benchmark style): the child prints exactly one JSON object on stdout, its
measurements and status; everything else (TensorFlow, Keras, tracebacks) goes to stderr, which the
runner writes to the cell's log. Process-global settings are applied before the Keras backend is
imported (bench.cell.backends).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from typing import Any, NoReturn

import psutil

from bench.cell.faults import fault_for, inject
from bench.cell.lifeline import die_with
from bench.cell.trackers.memory import MemoryTracker, gpu_memory
from bench.config.cell import Cell
from bench.config.devices import gpu_index
from bench.outcome import from_exception


def main(argv: list[str]) -> NoReturn:
    """Run the cell given as JSON in argv[1]; print its record; exit 0 whenever a record was printed."""
    if len(argv) != 2:  # the runner always passes one cell; a person typing the module gets the usage
        print("error: usage: python -m bench.cell.child CELL_JSON (the runner starts this for each cell; "
              "run cells with `python -m bench run`)", file=sys.stderr)
        sys.exit(2)
    _die_with_runner()
    record_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints (Keras, TF) go to the log, never into the record stream
    cell = Cell.from_dict(json.loads(argv[1]))
    record = measure(cell)
    record_out.write(json.dumps(finite(record), allow_nan=False) + "\n")
    record_out.flush()
    sys.stderr.flush()
    os._exit(0)  # skip TensorFlow's slow interpreter teardown: the record is out, nothing else is owed


def finite(value: Any) -> Any:
    """The value with every NaN/inf float replaced by None (JSON has no NaN; a record never lies)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _die_with_runner() -> None:
    """Exit when the runner dies (bench.cell.lifeline.die_with, every OS), so a killed runner leaves
    no cell
    running behind it (a resumed runner would otherwise run two cells at once)."""
    runner = os.environ.get("BENCH_RUNNER_PID")
    if runner:
        die_with(int(runner))


def measure(cell: Cell) -> dict[str, Any]:
    """Everything the child knows: status, reason and the measurements (the runner adds the config)."""
    memory = MemoryTracker().start()
    fault = fault_for(cell.cell_id)
    record: dict[str, Any] = {"status": "ok", "reason": None}
    unavailable: dict[str, str] = {}
    backend = None
    try:
        if fault:
            inject(fault)
        from bench.cell.backends import setup

        backend = setup(cell)
        import keras

        record |= {"keras_version": keras.__version__, "backend_version": backend.version,
                   "device_name": backend.device_name}
        record |= _scenario(cell, unavailable)
    except Exception as exc:  # every failure becomes a record; the traceback goes to the log
        traceback.print_exc()
        from datasets.verify import behind  # a corrupt chunk met inside tf.data: its one line, not TF's

        record["status"], record["reason"] = from_exception(behind(exc) or exc)
    record |= tf_version(unavailable)
    measured = memory.stop()
    if backend is not None:
        measured |= gpu_memory(backend, gpu_index(cell.device))
    record |= measured.fields
    unavailable |= measured.unavailable
    if unavailable:
        record["unavailable"] = unavailable
    return record


def tf_version(unavailable: dict[str, str]) -> dict[str, Any]:
    """tf_version when this process imported TensorFlow (the tensorflow backend, or tf.data feeding
    another backend); else null, and why in unavailable."""
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        return {"tf_version": tf.__version__}
    unavailable["tf_version"] = "TensorFlow was not imported in this cell's process"
    return {"tf_version": None}


def _scenario(cell: Cell, unavailable: dict[str, str]) -> dict[str, Any]:
    """Load the workload and run the cell's mode; the scenario's fields plus the workload's."""
    from bench.cell.scenarios import budget, throughput, train, workload

    work = workload.load(cell)
    if work.fields["synthetic"] and cell.mode == "throughput":
        unavailable["test_accuracy"] = train.SYNTHETIC_NO_ACCURACY
    mode = {"throughput": throughput, "train": train, "budget": budget}[cell.mode]
    spawned_at = float(os.environ.get("BENCH_SPAWNED_AT") or psutil.Process().create_time())
    setup_s = time.time() - spawned_at
    t = time.perf_counter()
    fields = mode.run(cell, work)
    fields["scenario_s"] = time.perf_counter() - t
    fields["setup_s"] = setup_s
    print(f"setup {setup_s:.1f}s, {cell.mode} {fields['scenario_s']:.1f}s", file=sys.stderr)
    if isinstance(fields.get("unavailable"), dict):
        unavailable |= fields.pop("unavailable")
    return work.fields | fields


if __name__ == "__main__":
    main(sys.argv)
