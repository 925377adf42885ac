"""Property-based (hypothesis), drawn from the schema itself (schema_strategies.py builds every field's
strategy from bench.results.schema's types): a valid record round-trips through validate and migrate
unchanged; one field made wrong is set aside naming that field; the report loader, resume's to_run and
compare never raise on any drawn file."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.launch.runner import to_run
from bench.report.compare import best_settings, compare, ratio_summary, side_by_side
from bench.report.load import load_run
from bench.results import loader, schema
from tests.bench.results.schema_strategies import (
    FIELD_STRATEGIES,
    json_values,
    of_field,
    of_model,
    out_of_range,
    records,
)

CELLS = [Cell("mnist", "mnist_cnn"), Cell("mnist", "mnist_cnn", batch_size=64), Cell("cifar10", "cifar_cnn")]
POOL = st.sampled_from([c.cell_id for c in CELLS] + ["elsewhere"])


def _file(records_: list[dict]) -> list[dict]:
    """The records as a file holds them: through JSON and back."""
    return [json.loads(json.dumps(r)) for r in records_]


@given(rec=records())
def test_a_valid_record_round_trips_unchanged(rec):
    out = loader.validate_record(rec)
    assert out == loader.migrate(rec)
    assert {k: v for k, v in out.items() if k not in schema.BACKFILLED and k != "schema_version"} == \
        {k: v for k, v in rec.items() if k not in schema.BACKFILLED and k != "schema_version"}
    assert out["schema_version"] == schema.SCHEMA_VERSION
    assert loader.validate_record(out) == out  # migrating twice changes nothing
    assert loader.validate_record(_file([out])[0]) == out  # nor does a trip through a file


@st.composite
def wrong_values(draw: st.DrawFn, name: str) -> object:
    """A value the named field does not take: of no JSON kind it accepts, out of its range, not finite,
    not valid Unicode, past 64 bits, or null where it is never null."""
    info = schema.Record.model_fields[name]
    kinds = [[[{"x": 1}]], float("nan"), float("inf"), "\ud800", 10**30, *out_of_range(info.annotation,
                                                                                        tuple(info.metadata))]
    if name in schema.MEASURED_NEEDS or name in ("cell_id", "status"):
        kinds.append(None)
    return draw(st.sampled_from(kinds))


@given(rec=records(), data=st.data())
def test_one_wrong_field_is_set_aside_naming_that_field(tmp_path_factory, rec, data):
    name = data.draw(st.sampled_from(sorted(FIELD_STRATEGIES)), label="field")
    bad = rec | {name: data.draw(wrong_values(name), label="value")}
    run = tmp_path_factory.mktemp("run")
    text = "\n".join(json.dumps(r) for r in (rec, bad, rec)) + "\n"
    (run / "results.jsonl").write_bytes(text.encode("utf-8", "surrogatepass"))
    loaded = loader.load_records(run)
    assert len(loaded.records) == 2
    (line,) = loaded.set_aside
    assert line.startswith(f"{run / 'results.jsonl'} line 2: {name} ") and "\n" not in line


def test_every_field_can_be_drawn_and_made_wrong():
    """The strategies cover the schema: every field has one, every model kind draws."""
    assert set(FIELD_STRATEGIES) == set(schema.Record.model_fields)
    for name in FIELD_STRATEGIES:
        assert of_field(schema.Record.model_fields[name]) is not None
    for model in (schema.Env, schema.MatrixValues, schema.PerClass, schema.BatchSearch):
        assert of_model(model) is not None


@given(env=of_model(schema.Env))
def test_a_valid_env_round_trips(env):
    out = loader.validate_env(_file([env])[0])
    assert {k: v for k, v in out.items() if k in env} == env


@given(values=of_model(schema.MatrixValues))
def test_matrix_values_drawn_from_the_schema_validate(values):
    assert schema.MatrixValues.model_validate(_file([values])[0])


measured = records(POOL, statuses=st.just("ok"))
any_line = st.one_of(
    measured.map(json.dumps),
    records(POOL).map(json.dumps),
    st.tuples(records(POOL), st.sampled_from(sorted(FIELD_STRATEGIES)), json_values).map(
        lambda t: json.dumps(t[0] | {t[1]: t[2]})),  # a field given any JSON value: valid or not
    st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t),
)
COMPARED = ("train_img_s", "train_img_s_runs", "infer_img_s", "infer_img_s_runs", "peak_rss_mb",
            "gpu_peak_mb", "test_accuracy", "mode", "status")


def _run(root: Path, name: str, items: list[str]) -> Path:
    run = root / name
    run.mkdir()
    (run / "results.jsonl").write_bytes("".join(i + "\n" for i in items).encode("utf-8", "surrogatepass"))
    return run


@settings(max_examples=max(3, settings.default.max_examples // 3))
@given(a=st.lists(any_line, max_size=6), data=st.data())
def test_report_loader_resume_and_compare_never_raise(tmp_path_factory, a, data):
    """Run B measured the same cells as run A (its measurements and statuses drawn again), plus lines of
    its own: the report loader, compare and resume's to_run take both, whatever they hold."""
    again = [json.loads(line) for line in a if _measured(line)]
    b = [json.dumps(r | {k: data.draw(FIELD_STRATEGIES[k]) for k in COMPARED if data.draw(st.booleans())})
         for r in again] + data.draw(st.lists(any_line, max_size=3))
    root = tmp_path_factory.mktemp("runs")
    run_a, run_b = _run(root, "a", a), _run(root, "b", b)
    runs = [load_run(run_a), load_run(run_b)]
    table = compare(runs)
    side_by_side(table)
    ratio_summary(table)
    best_settings(runs)
    best_settings(runs[::-1])
    latest = loader.latest_status(loader.load_records(run_b).records)
    todo = {p.cell.cell_id for p in to_run([Planned(c) for c in CELLS], run_b, retry_failed=False)}
    assert todo == {c.cell_id for c in CELLS if latest.get(c.cell_id) not in schema.DONE}


def _measured(line: str) -> bool:
    """True when the line is a valid ok record."""
    try:
        return loader.validate_record(json.loads(line))["status"] == "ok"
    except (ValueError, loader.RecordError):
        return False
