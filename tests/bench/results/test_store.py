"""results.jsonl: whole-line appends, torn tails tolerated and repaired; the run-folder lock."""

from __future__ import annotations

import json

import pytest

from bench.errors import UserError
from bench.results import store


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
    note = store.set_aside(tmp_path)
    assert note and "line(s) 2 (incomplete" in note and "results.jsonl.torn" in note
    assert (tmp_path / "results.jsonl").read_text() == good
    assert '"cell_id": "b"' in (tmp_path / "results.jsonl.torn").read_text()
    store.append_record(tmp_path, {"cell_id": "c", "status": "ok"})
    assert [r["cell_id"] for r in store.read_records(tmp_path)] == ["a", "c"]
    assert store.set_aside(tmp_path) is None


def _line(**record):
    return json.dumps(record) + "\n"


@pytest.mark.parametrize(("bad", "why"), [
    ('{"cell_id": "b", "sta\n', "not valid JSON"),
    ("[1, 2]\n", "not a JSON object"),
    (_line(cell_id="b", reason="x"), "no status"),
    (_line(status="ok"), "no cell_id"),
    (_line(cell_id="b", status="ok", batch_size="32"), "batch_size is '32', not a number"),
    (_line(cell_id="b", status="ok", train_img_s=True), "train_img_s is True, not a number"),
    (_line(cell_id="b", status="ok", batch_size=1.5), "batch_size is 1.5, not a whole number"),
    (_line(cell_id="b", status="ok", threads="many"), "threads is 'many', not a count or 'auto'"),
    (_line(cell_id="b", status="ok", batch_size=None, device=[]), "device is a list, not a single value"),
    (_line(cell_id="b", status="ok", model={"name": "x"}), "model is a dict, not a single value"),
])
def test_a_bad_middle_line_is_one_rule_for_resume_and_report(tmp_path, bad, why):
    """The same line is left out by the runner's reads and the report's, and set aside (moved to
    results.jsonl.torn, said in one note) by the run, so its cell runs again; the other records stay."""
    from bench.report.load import load_run

    a, c = _line(cell_id="a", status="ok"), _line(cell_id="c", status="error")
    (tmp_path / "results.jsonl").write_text(a + bad + c)
    assert store.latest_status(tmp_path) == {"a": "ok", "c": "error"}
    run = load_run(tmp_path)
    assert list(run.df["cell_id"]) == ["a", "c"]
    assert any(f"line(s) 2 ({why})" in n and "left out" in n for n in run.notes)
    note = store.set_aside(tmp_path)
    assert note is not None and f"line(s) 2 ({why})" in note and "moved to results.jsonl.torn" in note
    assert (tmp_path / "results.jsonl").read_text() == a + c
    assert (tmp_path / "results.jsonl.torn").read_text() == bad
    assert store.set_aside(tmp_path) is None


def test_a_whole_last_record_without_newline_is_kept(tmp_path):
    a, b = _line(cell_id="a", status="ok"), json.dumps({"cell_id": "b", "status": "ok"})
    (tmp_path / "results.jsonl").write_text(a + b)
    assert store.set_aside(tmp_path) is None
    assert (tmp_path / "results.jsonl").read_text() == a + b + "\n"


def test_previous_logs_are_kept_with_the_attempt_number(tmp_path):
    log = tmp_path / "cell.log"
    assert store.keep_previous_log(log) is None
    for text in ("first", "second"):
        log.write_text(text)
        store.keep_previous_log(log)
    assert not log.exists()
    assert (tmp_path / "cell.attempt1.log").read_text() == "first"
    assert (tmp_path / "cell.attempt2.log").read_text() == "second"


@pytest.mark.parametrize(("text", "match"), [
    ('{"logical_cores": 4, "cpu', "env.json is damaged"),
    ('{"cpu_model": "x"}', "env.json is incomplete"),
    ('{"logical_cores": "4"}', "env.json is incomplete"),
    ("[]", "env.json is incomplete"),
])
def test_a_damaged_env_json_names_the_file(tmp_path, text, match):
    (tmp_path / "env.json").write_text(text)
    with pytest.raises(UserError, match=match):
        store.read_env(tmp_path)


def test_lock_refuses_a_second_holder(tmp_path):
    with store.RunLock(tmp_path), pytest.raises(UserError, match="in use by another runner"), \
            store.RunLock(tmp_path):
        pass
    with store.RunLock(tmp_path):  # released on exit
        pass


def test_a_list_valued_config_field_is_a_report_not_a_traceback(tmp_path, capsys):
    """Hypothesis found it: a record whose device is a list once made `bench report` raise in a pandas
    groupby. Such a line is no record; the report is made from the others and says so."""
    from bench.cli import main

    data = _line(cell_id="a", status="ok") + _line(cell_id="cell0", status="ok", batch_size=None, device=[])
    (tmp_path / "results.jsonl").write_text(data)
    assert main(["report", str(tmp_path)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "results.jsonl").read_text() == data
