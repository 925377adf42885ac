"""The restructure's guard: every preset expands to the same cell ids and record config fields as before.

tests/data/preset_cell_ids.json was written by the code before bench/ was split into launch/ and cell/
(`PYTHONPATH=. python tests/bench/config/test_presets_unchanged.py --write` regenerates it; do that only for a
deliberate change of ids, which breaks --resume and compare against earlier runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.config.matrix import (
    AXES_DEFAULTS,
    MODE_DEFAULTS,
    Machine,
    expand,
    load_matrix,
    parse_matrix,
    presets,
)
from bench.config.record import CONFIG_FIELDS, FIELDS

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "preset_cell_ids.json"
# A machine with every backend and two GPUs, so "all" devices/threads expand the same on any host.
MACHINE = Machine(logical_cores=4, gpus=2, backends=("tensorflow", "jax", "torch"))
# Cells the presets do not reach: non-default time box, per-mode settings, the id's default-only axes.
EDGES: dict[str, Any] = {
    "name": "edges",
    "axes": {"pairs": ["digits/mnist_cnn"], "threads": [1, "auto"], "batch_size": [16, "recipe"]},
    "throughput": {"min_time_s": 3.0, "max_time_s": 30.0, "repeats": 5},
    "budget": {"budget_s": 5.0, "target_accuracy": 0.5},
    "include": [{"pairs": ["digits/cifar_cnn"], "mode": "train", "epochs": 2, "max_train_examples": 100},
                {"pairs": ["digits/cifar_cnn"], "mode": "budget", "jit_compile": True},
                {"pairs": ["mnist/mnist_cnn"], "data": "synthetic", "strategy": "mirrored", "replicas": 1},
                {"pairs": ["mnist/mnist_cnn"], "backend": "jax", "pipeline": "numpy", "seed": 3}],
}


def snapshot() -> dict[str, Any]:
    """Every preset's (and EDGES') cells as {cell_id: record config values in CONFIG_FIELDS order}, plus the
    field lists and the axes' and modes' defaults."""
    matrices = {name: load_matrix(name) for name in presets()}
    matrices["edges"] = parse_matrix(EDGES, source="edges", default_name="edges")
    cells = {name: {p.cell.cell_id: list(p.cell.config().values()) for p in expand(spec, MACHINE)}
             for name, spec in matrices.items()}
    return {"cells": cells, "config_fields": list(CONFIG_FIELDS), "fields": list(FIELDS),
            "axes_defaults": AXES_DEFAULTS, "mode_defaults": MODE_DEFAULTS}


def test_presets_expand_to_the_same_cells_and_fields() -> None:
    """Cell ids, each cell's config (key order too) and the record's field list are as before."""
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(snapshot()))
    assert sorted(got["cells"]) == sorted(want["cells"])
    assert got["config_fields"] == want["config_fields"]
    for name, cells in want["cells"].items():
        assert list(got["cells"][name]) == list(cells), name
        for cell_id, values in cells.items():
            assert got["cells"][name][cell_id] == values, cell_id
    assert got["fields"] == want["fields"]
    assert got["axes_defaults"] == want["axes_defaults"]
    assert got["mode_defaults"] == want["mode_defaults"]


def _dump(data: dict[str, Any]) -> str:
    """JSON with one line per cell (reviewable diffs, a small file)."""
    heads = ("config_fields", "fields", "axes_defaults", "mode_defaults")
    lines = ["{", *(f' "{key}": {json.dumps(data[key])},' for key in heads), ' "cells": {']
    for i, (name, cells) in enumerate(data["cells"].items()):
        rows = [f'  "{cid}": {json.dumps(values)}' for cid, values in cells.items()]
        last = i + 1 == len(data["cells"])
        lines += [f' {json.dumps(name)}: {{', ",\n".join(rows), " }" + ("" if last else ",")]
    return "\n".join([*lines, " }", "}"]) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/bench/config/test_presets_unchanged.py --write")
    FIXTURE.write_text(_dump(snapshot()), encoding="utf-8")
    print(f"wrote {FIXTURE}")
