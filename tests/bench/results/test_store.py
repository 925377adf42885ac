"""results.jsonl: whole-line appends, torn tails tolerated and repaired (lines that are not JSON objects
moved aside by --resume; records that do not validate left in place and out of every read); the lock."""

from __future__ import annotations

import json

import pytest

from bench.errors import UserError
from bench.results import loader, store


def test_append_and_read_back(tmp_path):
    store.append_record(tmp_path, {"cell_id": "a", "status": "skipped"})
    store.append_record(tmp_path, {"cell_id": "a", "status": "error"})
    store.append_record(tmp_path, {"cell_id": "b", "status": "timeout"})
    assert (tmp_path / "results.jsonl").read_text().count("\n") == 3
    assert loader.latest_status(store.read_records(tmp_path)) == {"a": "error", "b": "timeout"}


def test_nan_is_refused_not_written(tmp_path):
    with pytest.raises(ValueError):
        store.append_record(tmp_path, {"cell_id": "a", "x": float("nan")})
    assert not (tmp_path / "results.jsonl").exists() or (tmp_path / "results.jsonl").read_text() == ""


def test_torn_tail_is_tolerated_then_moved_aside(tmp_path):
    good = json.dumps({"cell_id": "a", "status": "error"}) + "\n"
    (tmp_path / "results.jsonl").write_text(good + '{"cell_id": "b", "sta')
    assert [r["cell_id"] for r in store.read_records(tmp_path)] == ["a"]
    note = store.set_aside(tmp_path)
    assert note and "line(s) 2 (incomplete" in note and "results.jsonl.torn" in note
    assert (tmp_path / "results.jsonl").read_text() == good
    assert '"cell_id": "b"' in (tmp_path / "results.jsonl.torn").read_text()
    store.append_record(tmp_path, {"cell_id": "c", "status": "error"})
    assert [r["cell_id"] for r in store.read_records(tmp_path)] == ["a", "c"]
    assert store.set_aside(tmp_path) is None


def _line(**record):
    return json.dumps(record) + "\n"


@pytest.mark.parametrize(("bad", "why"), [
    ('{"cell_id": "b", "sta\n', "not valid JSON"),
    ("[1, 2]\n", "not a JSON object"),
])
def test_a_line_that_is_no_json_object_is_moved_aside_by_resume(tmp_path, bad, why):
    """The same line is left out by the runner's reads and the report's, and moved to results.jsonl.torn
    (said in one note) by the run, so its cell runs again; the other records stay."""
    from bench.report.load import load_run

    a, c = _line(cell_id="a", status="skipped"), _line(cell_id="c", status="error")
    (tmp_path / "results.jsonl").write_text(a + bad + c)
    assert loader.latest_status(store.read_records(tmp_path)) == {"a": "skipped", "c": "error"}
    run = load_run(tmp_path)
    assert list(run.df["cell_id"]) == ["a", "c"]
    assert any(f"results.jsonl line 2: {why}; not a record" in n for n in run.notes)
    note = store.set_aside(tmp_path)
    assert note is not None and f"line(s) 2 ({why})" in note and "moved to results.jsonl.torn" in note
    assert (tmp_path / "results.jsonl").read_text() == a + c
    assert (tmp_path / "results.jsonl.torn").read_text() == bad
    assert store.set_aside(tmp_path) is None


@pytest.mark.parametrize(("bad", "why"), [
    (_line(cell_id="b", reason="x"), "status is missing"),
    ('{"cell_id": "b", "status": "error", "n": ' + "9" * 5000 + "}\n", "n is an integer of 5,000 digits"),
    (_line(status="ok"), "cell_id is missing"),
    (_line(cell_id="b", status="error", batch_size="32"), "batch_size is '32', not a whole number from 1"),
    (_line(cell_id="b", status="error", train_img_s=True), "train_img_s is True: should be a valid number"),
    (_line(cell_id="b", status="error", batch_size=1.5), "batch_size is 1.5, not a whole number from 1"),
    (_line(cell_id="b", status="error", threads="many"), "threads is 'many', not a whole number from 1"),
    (_line(cell_id="b", status="error", device=[]), "device is [], not"),
    (_line(cell_id="b", status="error", model={"name": "x"}), "model is {'name': 'x'}: should be a valid"),
])
def test_a_record_that_does_not_validate_stays_and_is_left_out(tmp_path, bad, why):
    """A JSON object that does not validate is left where it is (a newer galaxybench may read it) and out
    of every read: resume runs its cell again, the report names file, line and field; set_aside says so."""
    from bench.report.load import load_run

    a, c = _line(cell_id="a", status="skipped"), _line(cell_id="c", status="error")
    data = a + bad + c
    (tmp_path / "results.jsonl").write_text(data)
    assert loader.latest_status(store.read_records(tmp_path)) == {"a": "skipped", "c": "error"}
    run = load_run(tmp_path)
    assert list(run.df["cell_id"]) == ["a", "c"]
    assert any(n.startswith(f"{tmp_path / 'results.jsonl'} line 2: {why}") for n in run.notes), run.notes
    note = store.set_aside(tmp_path)
    assert note is not None and "1 record(s) do not validate" in note and f"line 2: {why}" in note
    assert (tmp_path / "results.jsonl").read_text() == data
    assert not (tmp_path / "results.jsonl.torn").exists()


def test_a_whole_last_record_without_newline_is_kept(tmp_path):
    a, b = _line(cell_id="a", status="error"), json.dumps({"cell_id": "b", "status": "error"})
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
    ('{"logical_cores": "4"}', r"env.json is damaged \(logical_cores is '4': should be a valid integer\)"),
    ('{"logical_cores": 0}', r"env.json is damaged \(logical_cores is 0"),
    ('{"logical_cores": 2, "peak_gflop_s": {"cpu": -1}}', r"damaged \(peak_gflop_s has -1 at .cpu"),
    ("[]", r"env.json is damaged \(top level is a list, not a JSON object\)"),
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

    bad = _line(cell_id="cell0", status="ok", batch_size=None, device=[])
    data = _line(cell_id="a", status="error") + bad
    (tmp_path / "results.jsonl").write_text(data)
    assert main(["report", str(tmp_path)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "results.jsonl").read_text() == data
