"""bench.results.schema: every record field typed, config fields from the axis table, one version constant,
and the committed runs (results/example, the AMD run in ../shared) valid as they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.config import record
from bench.config.axes import AXES, CELL_FIELDS
from bench.config.record import FIELDS
from bench.results import schema
from bench.results.loader import RecordError, migrate, read_matrix_values, validate_env, validate_record

REPO = Path(__file__).resolve().parents[3]
RUNS = sorted(p.parent for p in (REPO / "results" / "example").rglob("results.jsonl"))
SHARED_AMD = REPO.parent / "shared" / "runs" / "amd-epyc-quick"
PLACEMENT_FIELDS = {"others_cpu_s", "others_cpu_cores", "contended"}  # typed ahead of FIELDS (PLAN.md)


def _records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]


def _an_ok_record() -> dict:
    quick = REPO / "results" / "example" / "quick"
    return next(r for r in _records(quick) if r["mode"] == "throughput")


def test_one_version_constant_and_it_is_2():
    assert schema.SCHEMA_VERSION is record.SCHEMA_VERSION
    assert schema.SCHEMA_VERSION == 2


def test_every_field_is_typed_and_only_fields_are():
    assert set(schema.Record.model_fields) == set(FIELDS)
    assert schema.UNTYPED == ()
    assert set(schema.MEASUREMENT_TYPES) - set(FIELDS) <= PLACEMENT_FIELDS
    assert set(schema.CONFIG_TYPES) == {a.name for a in CELL_FIELDS}


def test_a_field_added_to_fields_without_a_type_is_caught(monkeypatch):
    """The check above could fail: a made-up field missing from the type table shows up in UNTYPED."""
    assert "made_up_s" not in schema.MEASUREMENT_TYPES
    untyped = [name for name in {**FIELDS, "made_up_s": ""} if name not in schema.CONFIG_TYPES
               and name not in schema.MEASUREMENT_TYPES]
    assert untyped == ["made_up_s"]


@pytest.mark.parametrize("axis", [a for a in AXES if a.cell and a.bounds is not None], ids=lambda a: a.name)
def test_config_ranges_come_from_the_axis_table(axis):
    """Each bounded axis: its limits pass, one step past them is set aside naming the axis, with the axis's
    own expected text (bench.config.axes states the range once)."""
    base = {"cell_id": "c", "status": "error"}
    step = 1 if axis.bounds.whole else 1e-9 * max(1.0, abs(axis.bounds.le))
    low = axis.bounds.ge if axis.bounds.ge is not None else axis.bounds.gt + step
    for good in (low, axis.bounds.le, *axis.words):
        validate_record(base | {axis.name: good})
    too_low = axis.bounds.ge - step if axis.bounds.ge is not None else axis.bounds.gt
    for bad in (too_low, axis.bounds.le + max(step, 1), "nonsense", float("nan"), True):
        with pytest.raises(RecordError) as caught:
            validate_record(base | {axis.name: bad})
        assert caught.value.field == axis.name


@pytest.mark.parametrize("run", [*RUNS, SHARED_AMD], ids=lambda p: p.name)
def test_committed_runs_validate_and_migrate_unchanged_but_the_version(run):
    if not run.exists():
        pytest.skip(f"{run} is not on this machine")
    for raw in _records(run):
        out = validate_record(raw)
        assert raw["schema_version"] == 1 and out == raw | {"schema_version": 2}
    if (run / "env.json").exists():
        validate_env(json.loads((run / "env.json").read_text()))
    if (run / "matrix.toml").exists():
        assert read_matrix_values((run / "matrix.toml").read_text()).cells


def test_a_record_without_a_version_or_the_late_axes_is_migrated():
    old = {k: v for k, v in _an_ok_record().items() if k not in ("schema_version", "backend", "strategy",
                                                                  "replicas")}
    out = validate_record(old)
    assert out["schema_version"] == 2
    assert (out["backend"], out["strategy"], out["replicas"]) == ("tensorflow", "none", 1)
    assert migrate(out) == out  # already current: nothing to do
    assert migrate(old | {"schema_version": 1, "strategy": None})["strategy"] == "none"  # v1: null = default


def test_a_newer_record_is_set_aside_saying_to_update():
    with pytest.raises(RecordError, match=r"schema_version is 3: newer than this galaxybench reads \(2\)"):
        validate_record(_an_ok_record() | {"schema_version": 3})


def test_unknown_extra_keys_are_kept_but_must_be_plain_json():
    rec = _an_ok_record() | {"from_a_newer_version": {"a": [1, 2.5, "x", None]}}
    assert validate_record(rec)["from_a_newer_version"] == {"a": [1, 2.5, "x", None]}
    deep: list = [1]
    for _ in range(20):
        deep = [deep]
    for bad in (float("inf"), ["\ud800"], 10**30, deep, "x" * (schema.MAX_TEXT + 1)):
        with pytest.raises(RecordError) as caught:
            validate_record(rec | {"from_a_newer_version": bad})
        assert caught.value.field == "from_a_newer_version"


def test_a_key_named_like_an_axis_inside_a_field_is_not_taken_for_the_axis():
    with pytest.raises(RecordError, match=r"^per_class has 1.5 at \[0\].precision: should be less than or equal"):
        validate_record(_an_ok_record() | {"per_class": [{"precision": 1.5}]})


def test_a_measured_record_carries_its_config():
    ok = _an_ok_record()
    for name in schema.MEASURED_NEEDS:
        with pytest.raises(RecordError, match=f"^{name} is missing: a measured"):
            validate_record({k: v for k, v in ok.items() if k != name})
    failed = {k: v for k, v in ok.items() if k not in schema.MEASURED_NEEDS} | {"status": "error"}
    assert validate_record(failed)  # a failed cell's record may be sparse (hand-written, another tool)
    with pytest.raises(RecordError, match="batch_size is 'max': a measured"):
        validate_record(ok | {"batch_size": "max"})


def test_config_of_gives_back_the_cell_a_max_batch_record_ran_from():
    from bench.config.cell import Cell

    cell = Cell("mnist", "mnist_cnn", batch_size="max")
    rec = {"cell_id": cell.cell_id, **cell.config(), "batch_size": 2048, "batch_size_requested": "max"}
    assert Cell(**schema.config_of(rec)).cell_id == cell.cell_id


def test_env_of_an_older_run_is_migrated_for_machine_of():
    from bench.launch.runner import machine_of

    env = validate_env({"logical_cores": 4, "tf_version": "2.15.0", "tf_gpus": [{"device": "gpu:0"}]})
    assert env["packages"] == {"tensorflow": "2.15.0"} and env["backend_gpus"] == {"tensorflow": 1}
    machine = machine_of(env)
    assert machine.backends == ("tensorflow",) and machine.gpus == 1


@pytest.mark.parametrize(("env", "field"), [
    ({"logical_cores": 0}, "logical_cores"),
    ({"logical_cores": 2, "peak_gflop_s": {"cpu": 0}}, "peak_gflop_s"),
    ({"logical_cores": 2, "peak_gflop_s": {"cpu": "fast"}}, "peak_gflop_s"),
    ({"logical_cores": 2, "hostname": "\ud800"}, "hostname"),
    ({"logical_cores": 2, "gpu_count": -1}, "gpu_count"),
    ({"logical_cores": 2, "backend_gpus": {"tensorflow": 1.5}}, "backend_gpus"),
    ({"logical_cores": 2, "cluster_machines": {"a": {"logical_cores": "2"}}}, "cluster_machines"),
])
def test_a_bad_env_value_names_its_field(env, field):
    with pytest.raises(RecordError) as caught:
        validate_env(env)
    assert caught.value.field == field


def test_matrix_values_are_typed_from_the_axes():
    ok = 'name = "m"\n[[cells]]\ncell_id = "x"\ndataset = "mnist"\nmodel = "mnist_cnn"\nbatch_size = 32\n'
    assert read_matrix_values(ok).cells[0].batch_size == 32
    with pytest.raises(RecordError, match=r"^cells\[0\].batch_size is 0, not a whole number from 1"):
        read_matrix_values(ok.replace("batch_size = 32", "batch_size = 0"))
    with pytest.raises(RecordError, match="^toml is not valid TOML"):
        read_matrix_values("[[cells]\n")


def test_json_schema_of_every_kind_is_available():
    """share and the docs can publish the schema: pydantic writes it for every kind."""
    for model in (schema.Record, schema.Env, schema.MatrixValues):
        out = model.model_json_schema()
        assert out["properties"]
    assert set(schema.Record.model_json_schema()["required"]) == {"cell_id", "status"}
