"""batch_size = "max": grow-then-bisect against a fake out-of-memory child, RSS extrapolation, and the
record the runner writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.config.cell import Cell
from bench.config.matrix import Machine, expand, parse_matrix
from bench.launch import maxbatch
from bench.results.schema import config_of


def fake_child(limit: int, rss=lambda b: 500.0 + 2.0 * b):
    """A child that runs out of memory above `limit` images per batch, like a GPU would."""
    seen: list[int] = []

    def run_cell(cell: Cell, run_dir: Path, env: dict) -> dict:
        seen.append(cell.batch_size)
        status = "oom" if cell.batch_size > limit else "ok"
        return {"cell_id": cell.cell_id, **cell.config(), "status": status, "wall_s": 1.0,
                "peak_rss_mb": rss(cell.batch_size), "train_img_s": 100.0 if status == "ok" else None}

    return run_cell, seen


@pytest.mark.parametrize("limit", [1, 31, 32, 100, 700, 4096])
def test_grow_and_bisect_finds_the_largest_batch_within_tolerance(limit: int):
    run_cell, seen = fake_child(limit)
    search = maxbatch.grow_and_bisect(lambda b: run_cell(Cell("d", "m", batch_size=b), Path(), {}))
    assert search.batch_size <= limit
    assert limit - search.batch_size <= max(1, search.batch_size * maxbatch.BISECT_TOLERANCE)
    assert [t["batch_size"] for t in search.tries] == seen  # every try recorded
    assert any(t["status"] == "oom" for t in search.tries)


def test_a_failure_other_than_oom_stops_the_search():
    search = maxbatch.grow_and_bisect(lambda b: {"status": "error" if b >= 64 else "ok"})
    assert search.batch_size == 32 and "error" in search.note


def test_rss_line_and_the_largest_batch_in_the_ram_fraction():
    fixed, per_image = maxbatch.fit_rss([(16, 532.0), (64, 628.0)])
    assert (fixed, per_image) == pytest.approx((500.0, 2.0))
    batch = maxbatch.largest_fitting(fixed, per_image, ram_mb=10_000.0, fraction=0.8)
    assert batch == 3744 and 500 + 2 * batch <= 8000 < 500 + 2 * (batch + 8)
    assert maxbatch.largest_fitting(9000.0, 1.0, ram_mb=10_000.0) is None  # the model alone does not fit


def test_runner_record_for_a_cpu_max_cell(monkeypatch):
    monkeypatch.setattr(maxbatch, "train_cap", lambda cell: 100_000)
    run_cell, seen = fake_child(10**9)
    cell = Cell("synthetic:28x28x1:10:512", "mnist_cnn", stands_for="mnist", batch_size="max", warmup_steps=3,
                steps=10, repeats=3)
    record = maxbatch.run(cell, Path(), {"ram_gb": 10_000 / 1024}, run_cell)
    assert seen == [16, 64, 3744]  # two probes, then the measured cell at the extrapolated batch
    assert record["cell_id"] == cell.cell_id and record["batch_size"] == 3744
    assert record["batch_size_requested"] == "max" and record["batch_search"]["method"].startswith("cpu")
    assert Cell(**config_of(record)).cell_id == cell.cell_id  # resume and compare find the cell again


def test_runner_record_for_a_gpu_max_cell(monkeypatch):
    monkeypatch.setattr(maxbatch, "train_cap", lambda cell: 100_000)
    run_cell, seen = fake_child(700)
    cell = Cell("synthetic:28x28x1:10:512", "mnist_cnn", device="gpu:0", batch_size="max", warmup_steps=3,
                steps=10, repeats=3)
    record = maxbatch.run(cell, Path(), {}, run_cell)
    assert record["status"] == "ok" and 700 - 700 / 16 <= record["batch_size"] <= 700
    assert seen[-1] == record["batch_size"] and len(record["batch_search"]["tries"]) == len(seen) - 1


def test_the_cap_is_the_training_split():
    cell = Cell("synthetic:28x28x1:10:512", "mnist_cnn", batch_size="max")
    assert maxbatch.train_cap(cell) < 512


def test_matrix_accepts_max_and_keeps_it_in_the_id():
    raw = {"axes": {"pairs": ["mnist/mnist_cnn"], "data": "synthetic", "batch_size": ["max", 32]}}
    spec = parse_matrix(raw, source="t", default_name="t")
    cells = [p.cell for p in expand(spec, Machine(logical_cores=2))]
    assert [c.batch_size for c in cells] == ["max", 32] and "-bmax-" in cells[0].cell_id


def test_an_expanded_matrix_keeps_max(tmp_path):
    from bench.config.expanded import write_expanded
    from bench.config.matrix import load_matrix

    raw = {"axes": {"pairs": ["mnist/mnist_cnn"], "data": "synthetic", "batch_size": "max"}}
    spec = parse_matrix(raw, source="t", default_name="t")
    planned = expand(spec, Machine(logical_cores=2))
    write_expanded(tmp_path / "matrix.toml", spec, planned)  # what run writes, and resume reads back
    again = expand(load_matrix(str(tmp_path / "matrix.toml")), Machine(logical_cores=2))
    assert [p.cell.cell_id for p in again] == [p.cell.cell_id for p in planned]
