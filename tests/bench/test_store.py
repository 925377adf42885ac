"""results.jsonl: whole-line appends, torn tails tolerated and repaired; the run-folder lock."""

from __future__ import annotations

import json

import pytest

from bench import store
from bench.errors import UserError


def test_append_and_read_back(tmp_path):
    store.append_record(tmp_path, {"cell_id": "a", "status": "ok"})
    store.append_record(tmp_path, {"cell_id": "a", "status": "error"})
    store.append_record(tmp_path, {"cell_id": "b", "status": "timeout"})
    assert (tmp_path / "results.jsonl").read_text().count("\n") == 3
    assert store.latest_status(tmp_path) == {"a": "error", "b": "timeout"}


def test_nan_is_refused_not_written(tmp_path):
    with pytest.raises(ValueError):
        store.append_record(tmp_path, {"cell_id": "a", "x": float("nan")})
    assert not (tmp_path / "results.jsonl").exists() or (tmp_path / "results.jsonl").read_text() == ""


def test_torn_tail_is_tolerated_then_moved_aside(tmp_path):
    good = json.dumps({"cell_id": "a", "status": "ok"}) + "\n"
    (tmp_path / "results.jsonl").write_text(good + '{"cell_id": "b", "sta')
    assert [r["cell_id"] for r in store.read_records(tmp_path)] == ["a"]
    assert store.repair_tail(tmp_path)
    assert (tmp_path / "results.jsonl").read_text() == good
    assert '"cell_id": "b"' in (tmp_path / "results.jsonl.torn").read_text()
    store.append_record(tmp_path, {"cell_id": "c", "status": "ok"})
    assert [r["cell_id"] for r in store.read_records(tmp_path)] == ["a", "c"]
    assert not store.repair_tail(tmp_path)


def test_lock_refuses_a_second_holder(tmp_path):
    with store.RunLock(tmp_path), pytest.raises(UserError, match="in use by another runner"), \
            store.RunLock(tmp_path):
        pass
    with store.RunLock(tmp_path):  # released on exit
        pass
