"""Scaling efficiency: the single-replica reference's id, the arithmetic, and filling it in later.

The img/s numbers here are made-up test input, not measurements.
"""

from __future__ import annotations

import dataclasses

import pytest

from bench.config.cell import Cell
from bench.results import scaling

BASE = Cell(dataset="digits", model="cifar_cnn", threads=1, batch_size=32, warmup_steps=1, steps=3, repeats=3)


def record(cell: Cell, train_img_s: float | None, status: str = "ok", **fields: object) -> dict:
    """A made-up record of the cell."""
    return {"cell_id": cell.cell_id, **cell.config(), "status": status, "train_img_s": train_img_s, **fields}


def test_reference_is_the_same_config_with_strategy_none_and_one_replica():
    mirrored = dataclasses.replace(BASE, strategy="mirrored", replicas=2)
    assert scaling.reference_id(record(mirrored, 1.0)) == BASE.cell_id
    gpu = dataclasses.replace(BASE, device="gpu:1", strategy="mirrored", replicas=2)
    assert scaling.reference_id(record(gpu, 1.0)) == dataclasses.replace(BASE, device="gpu:1").cell_id
    other_batch = dataclasses.replace(mirrored, batch_size=64)
    assert scaling.reference_id(record(other_batch, 1.0)) != BASE.cell_id


@pytest.mark.parametrize(("img_s", "replicas", "ref", "expected"),
                         [(200.0, 2, 100.0, 1.0), (150.0, 2, 100.0, 0.75), (90.0, 4, 100.0, 0.225)])
def test_efficiency_arithmetic(img_s, replicas, ref, expected):
    assert scaling.efficiency(img_s, replicas, ref) == pytest.approx(expected)


def test_distributed_record_gets_efficiency_from_the_ok_reference():
    mirrored = dataclasses.replace(BASE, strategy="mirrored", replicas=2)
    ref = record(BASE, 100.0)
    got = scaling.with_scaling(record(mirrored, 150.0, unavailable={"gpu_peak_mb": "cpu"}), [ref])
    assert got["scaling_reference"] == BASE.cell_id
    assert got["scaling_efficiency"] == pytest.approx(0.75)
    assert got["unavailable"] == {"gpu_peak_mb": "cpu"}


def test_without_reference_unavailable_says_how_to_add_it():
    multi = dataclasses.replace(BASE, strategy="multiworker", replicas=2)
    retried_and_failed = [record(BASE, 100.0), record(BASE, None, "error")]
    for others in ([], [record(BASE, None, status="oom")], retried_and_failed):
        got = scaling.with_scaling(record(multi, 150.0), others)
        assert "scaling_efficiency" not in got
        why = got["unavailable"]["scaling_efficiency"]
        assert BASE.cell_id in why and 'strategy = ["none", "multiworker"]' in why


def test_single_replica_and_failed_records_are_left_alone():
    failed = record(dataclasses.replace(BASE, strategy="mirrored", replicas=2), None, status="error")
    for rec in (record(BASE, 100.0), failed):
        assert scaling.with_scaling(rec, [record(BASE, 100.0)]) == rec


def test_fill_uses_a_reference_recorded_later_and_drops_the_stale_reason():
    mirrored = dataclasses.replace(BASE, strategy="mirrored", replicas=2)
    early = scaling.with_scaling(record(mirrored, 180.0), [])
    assert "scaling_efficiency" in early["unavailable"]
    filled = scaling.fill([early, record(BASE, 100.0)])
    assert filled[0]["scaling_efficiency"] == pytest.approx(0.9)
    assert "unavailable" not in filled[0]
    assert filled[1] == record(BASE, 100.0)


def test_a_damaged_distributed_record_gets_a_reason_not_a_traceback():
    """Hypothesis found these: strategy null (no axis value) is not distributed; a distributed record
    without its config (hand-edited) says why it has no efficiency instead of raising."""
    unset = {"cell_id": "c0", "status": "ok", "train_img_s": 1, "strategy": None}
    assert scaling.fill([unset]) == [unset]
    bare = {"cell_id": "c1", "status": "ok", "train_img_s": 1, "strategy": "mirrored", "unavailable": []}
    (out,) = scaling.fill([bare])
    assert "scaling_efficiency" not in out
    assert "lacks the cell config" in out["unavailable"]["scaling_efficiency"]
