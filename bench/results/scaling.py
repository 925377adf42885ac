"""Scaling efficiency: a distributed cell's training images/s against its single-replica reference.

The reference is the cell with the same configuration but strategy none and replicas 1 (its cell_id
is computed, not searched for), measured in the same run folder. scaling_efficiency =
train_img_s / (replicas x reference train_img_s): 1 is perfect scaling, below 1 the strategy's cost.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from bench.config.cell import Cell
from bench.results.schema import config_of


def reference_id(record: dict[str, Any]) -> str:
    """cell_id of the record's single-replica reference: same config, strategy none, replicas 1."""
    return dataclasses.replace(Cell(**config_of(record)), strategy="none", replicas=1).cell_id


def efficiency(train_img_s: float, replicas: int, reference_img_s: float) -> float:
    """train_img_s / (replicas x reference_img_s)."""
    return train_img_s / (replicas * reference_img_s)


def no_reference(record: dict[str, Any], ref_id: str) -> str:
    """Why a distributed record has no scaling efficiency, and how to add its reference."""
    return (f"no ok single-replica reference in this run (cell {ref_id}: same settings, strategy none, "
            f"replicas 1); add it with strategy = [\"none\", \"{record.get('strategy')}\"] in [axes]")


def with_scaling(record: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The record, if an ok distributed one, with scaling_reference and scaling_efficiency from the run's
    records (the latest record of each cell on the record's machine counts), or `unavailable` saying why
    it has none."""
    return _with_scaling(record, _latest(records))


def _latest(records: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """The latest record of each cell on each machine (--cluster every-node: one per machine), by
    (cell_id, machine); machine is None on a one-machine run."""
    return {(r.get("cell_id"), r.get("machine")): r for r in records}


def _with_scaling(record: dict[str, Any], latest: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """with_scaling, given the run's latest record per cell_id."""
    distributed = record.get("strategy") not in (None, "none")  # null: no axis value, not distributed
    if not (distributed and record.get("status") == "ok" and record.get("train_img_s")):
        return record
    found, why = _scaling(record, latest)
    unavailable = record.get("unavailable") if isinstance(record.get("unavailable"), dict) else {}
    unavailable = {k: v for k, v in unavailable.items() if k != "scaling_efficiency"}
    unavailable |= {"scaling_efficiency": why} if why else {}
    out = {k: v for k, v in record.items() if k != "unavailable"} | found
    return out | ({"unavailable": unavailable} if unavailable else {})


def _scaling(record: dict[str, Any], latest: dict[Any, dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """({scaling_reference, scaling_efficiency}, "") from the record's reference in LATEST, or ({}, why)."""
    try:
        ref_id = reference_id(record)
        replicas = int(record["replicas"])
    except (KeyError, TypeError, ValueError):  # hand-edited or damaged: no config to find a reference from
        return {}, "the record lacks the cell config its single-replica reference is found from"
    ref = latest.get((ref_id, record.get("machine")))
    if ref is None or ref.get("status") != "ok" or not ref.get("train_img_s"):
        return {}, no_reference(record, ref_id)
    value = efficiency(record["train_img_s"], replicas, ref["train_img_s"])
    if not math.isfinite(value):
        return {}, f"the reference {ref_id} measured too little to divide by ({ref['train_img_s']!r} img/s)"
    return {"scaling_reference": ref_id, "scaling_efficiency": value}, ""


def fill(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records, each distributed ok record lacking scaling_efficiency given it when its reference is
    among them (the reference ran after it, or in a resumed part of the run). bench.results.loader calls
    it once, where records are loaded, so every reader sees the same derived figure."""
    latest = _latest(records)
    return [r if r.get("scaling_efficiency") is not None else _with_scaling(r, latest) for r in records]
