"""A cell's end-to-end overhead: the runner spawning the child, interpreter and TensorFlow start,
data and model set-up, until the record is back (wall_s minus the scenario's own work)."""

from __future__ import annotations

import pytest

from bench.config.cell import Cell
from bench.launch.runner import run_cell


@pytest.mark.benchmark
def test_cell_overhead(benchmark, tmp_path):
    pytest.importorskip("datasets.api")
    pytest.importorskip("models.registry")
    (tmp_path / "logs").mkdir()
    cell = Cell("synthetic:8x8x1:10:128", "cifar_cnn", batch_size=32, warmup_steps=1, steps=2, repeats=3)
    record = benchmark.pedantic(run_cell, args=(cell, tmp_path, {}), rounds=3, iterations=1)
    assert record["status"] == "ok", record.get("log_tail")
    overhead = record["wall_s"] - record["scenario_s"]
    benchmark.extra_info |= {"wall_s": record["wall_s"], "setup_s": record["setup_s"],
                             "scenario_s": record["scenario_s"], "overhead_s": overhead}
    print(f"\ncell wall {record['wall_s']:.2f}s = setup {record['setup_s']:.2f}s + scenario "
          f"{record['scenario_s']:.2f}s + {overhead - record['setup_s']:.2f}s record/exit")
    assert 0 < record["setup_s"] < record["wall_s"]
