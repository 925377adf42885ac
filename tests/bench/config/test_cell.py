"""Cells: frozen and hashable, config keys = the record's CONFIG_FIELDS, ids stable across processes."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from bench.config.cell import Cell
from bench.config.record import CONFIG_FIELDS
from tests.bench.conftest import REPO


def test_fields_are_the_record_config_fields():
    assert {f.name for f in dataclasses.fields(Cell)} == set(CONFIG_FIELDS)
    assert list(Cell("digits", "mnist_cnn").config()) == list(CONFIG_FIELDS)


def test_frozen_and_hashable():
    a, b = Cell("digits", "mnist_cnn"), Cell("digits", "mnist_cnn")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.batch_size = 64  # type: ignore[misc]


def test_id_depends_on_what_is_measured_not_on_the_timeout():
    base = Cell("galaxy10", "densenet121", batch_size=16)
    assert base.cell_id.startswith("galaxy10-densenet121-cpu-tauto-b16-float32-throughput-")
    assert dataclasses.replace(base, timeout_s=5.0).cell_id == base.cell_id
    for change in ({"batch_size": 32}, {"threads": 1}, {"precision": "mixed_bfloat16"}, {"seed": 1},
                   {"jit_compile": True}, {"steps": 7}):
        assert dataclasses.replace(base, **change).cell_id != base.cell_id, change


def test_id_is_stable_across_processes_and_hash_seeds():
    code = "from bench.config.cell import Cell; print(Cell('cifar10', 'cifar_cnn', threads=2).cell_id)"
    ids = {subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert ids == {Cell("cifar10", "cifar_cnn", threads=2).cell_id}


def test_from_dict_ignores_measurements():
    cell = Cell("digits", "mnist_cnn", mode="train", epochs=3)
    record = {**cell.config(), "cell_id": cell.cell_id, "train_img_s": 12.0, "status": "ok"}
    assert Cell.from_dict(record) == cell


def test_synthetic_slug_names_what_it_stands_for():
    cell = Cell("synthetic:256x256x3:10:256", "galaxy_cnn", stands_for="galaxy10")
    assert cell.slug.startswith("synthetic-galaxy10-galaxy_cnn-")


def test_new_axes_at_their_defaults_keep_earlier_ids():
    """Cells from before the backend/strategy axes keep their ids (resume and compare match on them)."""
    base = Cell("digits", "mnist_cnn", threads=1)
    assert base.cell_id == "digits-mnist_cnn-cpu-t1-b32-float32-throughput-" + base.cell_id.rsplit("-", 1)[1]
    for change in ({"backend": "torch"}, {"strategy": "mirrored", "replicas": 2}, {"replicas": 2}):
        assert dataclasses.replace(base, **change).cell_id != base.cell_id, change
    assert "torch" in dataclasses.replace(base, backend="torch").slug
    assert "mirrored2" in dataclasses.replace(base, strategy="mirrored", replicas=2).slug


def test_committed_example_records_keep_their_ids():
    import json

    lines = (REPO / "results/example/quick/results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert records and all(Cell.from_dict(r).cell_id == r["cell_id"] for r in records)
