"""bench.results.loader: one line per set-aside line (file, line, field, why), the rest used, nothing
rewritten; env.json checked; scaling efficiency derived once, where records are loaded.

The img/s numbers here are made-up test input, not measurements.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench.config.cell import Cell
from bench.errors import UserError
from bench.results import loader

BASE = Cell(dataset="digits", model="cifar_cnn", threads=1, batch_size=32, warmup_steps=1, steps=3, repeats=3)


def ok(cell: Cell, img_s: float, **fields: object) -> dict:
    """A made-up ok throughput record of the cell."""
    return {"schema_version": 2, "cell_id": cell.cell_id, **cell.config(), "status": "ok",
            "train_img_s": img_s, **fields}


def write(run_dir, *lines: str) -> bytes:
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
    (run_dir / "results.jsonl").write_bytes(data)
    return data


def test_each_bad_line_is_one_line_naming_file_line_and_field(tmp_path):
    good = json.dumps(ok(BASE, 100.0))
    data = write(tmp_path, good, "{torn", json.dumps(ok(BASE, 1.0, batch_size=0)), "[]", good)
    loaded = loader.load_records(tmp_path)
    path = tmp_path / "results.jsonl"
    assert [r["train_img_s"] for r in loaded.records] == [100.0, 100.0]
    assert loaded.set_aside == [
        f"{path} line 2: not valid JSON; not a record",
        f"{path} line 3: batch_size is 0, not a whole number from 1 to 65,536 (2**16 images a step), or "
        '"recipe" or "max"; "max" is the largest that fits; set aside',
        f"{path} line 4: not a JSON object; not a record",
    ]
    assert all("\n" not in line for line in loaded.set_aside)
    assert (tmp_path / "results.jsonl").read_bytes() == data  # readers never rewrite


def test_no_results_file_is_no_records(tmp_path):
    assert loader.load_records(tmp_path) == loader.Loaded()


def test_an_unknown_status_is_kept_but_not_done(tmp_path):
    write(tmp_path, json.dumps(ok(BASE, 1.0, status="queued")))
    (record,) = loader.load_records(tmp_path).records
    assert record["status"] == "queued"
    assert not loader.is_done("queued") and not loader.is_done(None)
    assert all(loader.is_done(s) for s in ("ok", "skipped", "oom", "error", "timeout", "nan", "pruned"))


def test_scaling_efficiency_is_derived_where_records_are_loaded(tmp_path):
    """A distributed record written before its reference ran gets its efficiency at load; on a cluster
    run (every-node) the reference is the one measured on the same machine."""
    mirrored = dataclasses.replace(BASE, strategy="mirrored", replicas=2)
    on = {"placement": "every-node"}
    write(tmp_path, *(json.dumps(ok(cell, img_s, machine=machine, **on)) for cell, img_s, machine in (
        (mirrored, 150.0, "a"), (BASE, 100.0, "a"), (mirrored, 150.0, "b"), (BASE, 50.0, "b"))))
    records = loader.load_records(tmp_path).records
    assert [r.get("scaling_efficiency") for r in records] == [0.75, None, 1.5, None]
    assert records[0]["scaling_reference"] == BASE.cell_id


def test_shared_records_load_the_same_way():
    """Records that arrive as a list (a shared result) go through the same checks, numbered from 1."""
    loaded = loader.load([ok(BASE, 1.0), {"cell_id": "x", "status": "ok", "dataset": None}, 5], "shared.json")
    assert len(loaded.records) == 1
    assert loaded.set_aside == ["shared.json line 2: dataset is None: should be a valid string; set aside",
                                "shared.json line 3: not a JSON object; not a record"]


@pytest.mark.parametrize(("text", "match"), [
    ("{", "is damaged"),
    ("1" * 5000, r"is damaged \(top level is an integer of 5,000 digits, not a JSON object\)"),
    ('{"logical_cores": NaN}', r"is damaged \(logical_cores is nan, not a finite number\)"),
    ('{"logical_cores": 2, "hostname": "\\ud800"}', r"is damaged \(hostname has a lone surrogate"),
    ('{"hostname": "h"}', r"is incomplete \(no logical_cores count\)"),
])
def test_a_damaged_env_json_is_one_line_naming_file_and_fix(tmp_path, text, match):
    (tmp_path / "env.json").write_text(text)
    with pytest.raises(UserError, match=match) as caught:
        loader.load_env(tmp_path)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "env.json")) and "delete it to collect" in message
    assert "\n" not in message


def test_the_report_reads_an_env_json_without_cores():
    """The runner needs logical_cores; a report only shows the machine (hand-made or shared env.json)."""
    assert loader.validate_env({"hostname": "h", "cpu_model": "c"})["hostname"] == "h"
