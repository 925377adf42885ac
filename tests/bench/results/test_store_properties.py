"""Property-based (hypothesis): damaged results.jsonl lines thrown at bench.results.store, the report
loader and `bench report`. Whatever the lines, no traceback: valid records are read, other lines left out
with a note (a line that is no JSON object moved aside by --resume, a record that does not validate left
in place), and every record already written survives, in order."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.cli import main
from bench.config.record import NUMERIC_FIELDS
from bench.report.load import load_run
from bench.results import loader, scaling, store
from bench.results.lines import parse_line

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
good_records = st.builds(
    lambda i, status, fields: {"cell_id": f"cell{i}", "status": status, **fields},
    st.integers(0, 5), st.sampled_from(["ok", "error", "skipped", "timeout"]),
    st.dictionaries(st.sampled_from(["batch_size", "train_img_s", "wall_s", "seed", "dataset", "model",
                                     "mode", "precision", "device", "strategy", "threads", "synthetic",
                                     "history", "per_class", "unavailable"]),
                    st.one_of(st.none(), st.integers(1, 512), st.floats(0, 1e5), scalars, json_values),
                    max_size=4))
bad_records = st.one_of(
    st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t),  # any text
    json_values.map(json.dumps),  # JSON that is not a record
    st.builds(lambda r, k, v: json.dumps({**r, k: v}), good_records,  # a field of the wrong type
              st.sampled_from(["cell_id", "status", *NUMERIC_FIELDS[:6]]),
              st.one_of(st.text(max_size=5), st.lists(scalars, max_size=2))),
    st.builds(lambda r, n: json.dumps(r)[:n], good_records, st.integers(1, 30)),  # cut short
)
lines = st.lists(st.one_of(good_records.map(lambda r: ("good", json.dumps(r))),
                           bad_records.map(lambda t: ("bad", t))), max_size=8)


def _write(run_dir: Path, items: list[tuple[str, str]], torn_tail: str) -> bytes:
    data = "".join(text + "\n" for _, text in items) + torn_tail
    (run_dir / "results.jsonl").write_bytes(data.encode("utf-8", errors="surrogatepass"))
    return data.encode("utf-8", errors="surrogatepass")


def _is_object(text: str) -> bool:
    return parse_line(text)[0] is not None


def _is_record(text: str) -> bool:
    try:
        return _is_object(text) and bool(loader.validate_record(json.loads(text)))
    except loader.RecordError:
        return False


@given(items=lines, torn_tail=st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t))
def test_store_reads_and_sets_aside_without_losing_a_record(tmp_path_factory, items, torn_tail):
    run_dir = tmp_path_factory.mktemp("run")
    _write(run_dir, items, torn_tail)
    valid = [loader.validate_record(json.loads(t)) for _, t in items if _is_record(t)]
    objects = [json.loads(t) for _, t in items if _is_object(t)]
    assert store.read_records(run_dir)[:len(valid)] == scaling_filled(valid)
    loader.latest_status(store.read_records(run_dir))  # never raises
    store.set_aside(run_dir)
    after = [json.loads(line) for line in (run_dir / "results.jsonl").read_bytes().splitlines()
             if line.strip()]  # blank lines are no records and no damage: left as they are
    assert after[:len(objects)] == objects and len(after) - len(objects) <= 1  # + a whole torn tail
    note = store.set_aside(run_dir)
    assert note is None or "do not validate" in note and "moved" not in note
    store.append_record(run_dir, {"cell_id": "next", "status": "error"})
    assert store.read_records(run_dir)[-1]["cell_id"] == "next"


def scaling_filled(records: list[dict]) -> list[dict]:
    return scaling.fill(records)


@given(items=lines)
def test_report_loader_leaves_bad_lines_out_with_a_note(tmp_path_factory, items):
    run_dir = tmp_path_factory.mktemp("run")
    _write(run_dir, items, "")
    run = load_run(run_dir)
    kept = {json.loads(t)["cell_id"] for _, t in items if _is_record(t)}
    assert set(run.df["cell_id"]) == kept
    damaged = any(t.strip() and not _is_record(t) for _, t in items)
    assert any("results.jsonl line " in n for n in run.notes) == damaged


@settings(max_examples=max(3, settings.default.max_examples // 5))
@given(items=lines)
def test_report_command_is_a_report_or_one_line_and_never_edits_the_records(tmp_path_factory, items):
    run_dir = tmp_path_factory.mktemp("run")
    data = _write(run_dir, items, "")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["report", str(run_dir)])
    assert rc == 0 or (rc == 2 and err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1)
    assert "Traceback" not in err.getvalue()
    assert (run_dir / "results.jsonl").read_bytes() == data
