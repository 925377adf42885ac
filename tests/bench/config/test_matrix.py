"""Matrix files: parsing, every bad key and value named in a UserError, expansion, skips, round trip."""

from __future__ import annotations

import re
import tomllib

import pytest

from bench.config.expanded import dump_expanded
from bench.config.matrix import Machine, expand, load_matrix, parse_matrix, thread_ladder
from bench.errors import UserError

TWO_CORES = Machine(logical_cores=2, gpus=0, gpu_note="no CUDA")


def parse(raw: dict) -> object:
    return parse_matrix(raw, source="m.toml", default_name="m")


def cells(raw: dict, machine: Machine = TWO_CORES) -> list:
    return expand(parse(raw), machine)


def test_product_of_axes_in_order():
    planned = cells({"axes": {"pairs": ["digits/mnist_cnn", "cifar10/cifar_cnn"], "batch_size": [16, 32],
                              "precision": ["float32", "mixed_bfloat16"]}})
    assert len(planned) == 8
    first = planned[0].cell
    assert (first.dataset, first.model, first.batch_size) == ("digits", "mnist_cnn", 16)
    assert first.precision == "float32"
    assert first.warmup_steps == 3 and first.steps == 20 and first.repeats == 3  # throughput defaults
    assert first.epochs is None and first.budget_s is None
    assert all(p.skip_reason is None for p in planned)


def test_per_mode_settings_apply_to_their_mode_only():
    planned = cells({"axes": {"pairs": ["digits/mnist_cnn"], "mode": ["throughput", "train", "budget"]},
                     "throughput": {"steps": 5}, "train": {"epochs": 4, "target_accuracy": 0.9},
                     "budget": {"budget_s": 30}})
    t, tr, b = (p.cell for p in planned)
    assert (t.steps, t.epochs) == (5, None)
    assert (tr.epochs, tr.target_accuracy, tr.steps) == (4, 0.9, None)
    assert (b.budget_s, b.steps) == (30, None)


def test_exclude_then_include_with_overrides():
    planned = cells({
        "axes": {"pairs": ["digits/mnist_cnn", "galaxy10/densenet121"], "batch_size": [16, 128]},
        "exclude": [{"model": "densenet121", "batch_size": 128}],
        "include": [{"pairs": ["digits/mnist_cnn"], "mode": "train", "epochs": 2, "threads": 1}],
    })
    got = [(p.cell.model, p.cell.batch_size, p.cell.mode) for p in planned]
    assert got == [("mnist_cnn", 16, "throughput"), ("mnist_cnn", 128, "throughput"),
                   ("densenet121", 16, "throughput"), ("mnist_cnn", 16, "train"), ("mnist_cnn", 128, "train")]
    assert planned[-1].cell.epochs == 2 and planned[-1].cell.threads == 1


def test_duplicate_cells_collapse():
    planned = cells({"axes": {"pairs": ["digits/mnist_cnn"]}, "include": [{"pairs": ["digits/mnist_cnn"]}]})
    assert len(planned) == 1


@pytest.mark.parametrize(("cores", "ladder"), [(1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (8, [1, 2, 4, 8]),
                                               (12, [1, 2, 4, 8, 12])])
def test_thread_ladder_stops_at_the_cores(cores, ladder):
    assert thread_ladder(cores) == ladder


def test_threads_all_and_explicit_oversubscription():
    planned = cells({"axes": {"pairs": ["digits/mnist_cnn"], "threads": ["all", 8]}},
                    Machine(logical_cores=4))
    assert [p.cell.threads for p in planned] == [1, 2, 4, 8]
    assert [p.skip_reason is None for p in planned] == [True, True, True, False]
    assert "exceeds the 4 logical cores" in planned[-1].skip_reason
    allowed = cells({"axes": {"pairs": ["digits/mnist_cnn"], "threads": 8, "oversubscribe": True}},
                    Machine(logical_cores=4))
    assert allowed[0].skip_reason is None and allowed[0].cell.threads == 8


def test_devices_all_and_missing_gpu():
    raw = {"axes": {"pairs": ["digits/mnist_cnn"], "device": ["all", "gpu:1"]}}
    assert [p.cell.device for p in cells(raw, Machine(logical_cores=2, gpus=2))] == ["cpu", "gpu:0", "gpu:1"]
    planned = cells(raw, TWO_CORES)
    assert [p.cell.device for p in planned] == ["cpu", "gpu:1"]
    assert planned[0].skip_reason is None
    assert planned[1].skip_reason.startswith("gpu:1 requested but TensorFlow sees 0 GPU(s)")


BAD_VALUES = [
    ("pairs", "mnist_cnn"), ("pairs", []), ("pairs", ["digits/"]), ("data", "fake"), ("device", "tpu"),
    ("device", "gpu:x"), ("threads", 0), ("threads", "many"), ("inter_threads", "all"), ("batch_size", -1),
    ("batch_size", 1.5), ("precision", "float16"), ("jit_compile", "yes"), ("mode", "infer"), ("seed", -1),
    ("seed", [0, 1]), ("synthetic_examples", 0), ("oversubscribe", 1), ("timeout_s", 0), ("pipeline", 3),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_bad_axis_value_names_the_key(key, value):
    axes = {"pairs": ["digits/mnist_cnn"], key: value}
    with pytest.raises(UserError, match=rf"\b{key}\b"):
        parse({"axes": axes})


BAD_SETTINGS = [("throughput", "steps", 0), ("throughput", "repeats", 2), ("throughput", "warmup_steps", -1),
                ("train", "epochs", 0), ("train", "target_accuracy", 1.5), ("train", "max_train_examples", 0),
                ("budget", "budget_s", 0)]


@pytest.mark.parametrize(("mode", "key", "value"), BAD_SETTINGS)
def test_bad_mode_setting_names_the_key(mode, key, value):
    with pytest.raises(UserError, match=rf"\[{mode}\].*\b{key}\b"):
        parse({"axes": {"pairs": ["digits/mnist_cnn"]}, mode: {key: value}})


@pytest.mark.parametrize(("raw", "named"), [
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "matrix": {}}, "'matrix'"),
    ({"axes": {"pairs": ["digits/mnist_cnn"], "batch": 3}}, "'batch'"),
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "train": {"steps": 3}}, "'steps'"),
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "include": [{"colour": "red"}]}, "'colour'"),
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "exclude": [{"step": 3}]}, "'step'"),
])
def test_unknown_keys_are_named(raw, named):
    with pytest.raises(UserError, match=named):
        parse(raw)


@pytest.mark.parametrize(("raw", "message"), [
    ({}, "no cells"),
    ({"axes": {"mode": "train"}}, "pairs is required"),
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "include": [{"steps": 3, "mode": "train"}]},
     "steps does not apply"),
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "exclude": [{}]}, "empty exclude"),
    ({"include": [{"pairs": ["digits/mnist_cnn"]}], "exclude": [{"model": "x"}]}, r"\[\[exclude\]\]"),
    ({"axes": {"pairs": ["digits/mnist_cnn"]}, "include": {"pairs": "x"}}, "array of tables"),
    ({"name": "a b", "axes": {"pairs": ["digits/mnist_cnn"]}}, "name"),
])
def test_structural_errors(raw, message):
    with pytest.raises(UserError, match=message):
        parse(raw)


def test_files_unknown_preset_and_bad_toml(tmp_path):
    with pytest.raises(UserError, match="unknown matrix 'nope'.*ci"):
        load_matrix("nope")
    with pytest.raises(UserError, match="not found"):
        load_matrix(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[axes\npairs = 1")
    with pytest.raises(UserError, match="not valid TOML"):
        load_matrix(str(bad))


def test_presets_parse_and_expand():
    from bench.config.matrix import presets

    assert {"ci", "quick", "sweep", "full", "backends", "scale"} <= set(presets())
    everything = Machine(logical_cores=2, gpus=2, backends=("tensorflow", "jax", "torch"))
    for name in presets():
        assert load_matrix(name).name == name
        planned = expand(load_matrix(name), everything)
        assert planned and all(p.skip_reason is None for p in planned), name


def test_backends_preset_runs_each_backend_at_its_keras_default():
    planned = expand(load_matrix("backends"), Machine(2, backends=("tensorflow", "jax", "torch")))
    jit = {(p.cell.backend, p.cell.jit_compile) for p in planned}
    assert jit == {("tensorflow", False), ("tensorflow", True), ("jax", True), ("torch", False)}


def test_scale_preset_has_a_reference_for_every_distributed_cell():
    planned = expand(load_matrix("scale"), TWO_CORES)
    refs = {(p.cell.model, p.cell.batch_size) for p in planned if p.cell.strategy == "none"}
    assert {(p.cell.model, p.cell.batch_size) for p in planned if p.cell.strategy != "none"} == refs


def test_expanded_matrix_round_trips(tmp_path):
    spec = parse({"axes": {"pairs": ["digits/mnist_cnn"], "device": ["cpu", "gpu:0"],
                           "mode": ["throughput", "train"]}, "train": {"epochs": 3}})
    planned = expand(spec, TWO_CORES)
    text = dump_expanded(spec, planned)
    assert 'skip_reason = "gpu:0 requested' in text
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    again = expand(load_matrix(str(path)), TWO_CORES)
    assert [p.cell for p in again] == [p.cell for p in planned]
    assert [p.skip_reason for p in again] == [p.skip_reason for p in planned]
    edited = tomllib.loads(text)
    edited["cells"][0]["batch_size"] = 64
    with pytest.raises(UserError, match="cell_id does not match"):
        parse_matrix(edited, source="x", default_name="x")


def test_strategy_axis_gives_the_single_replica_reference_once():
    planned = cells({"axes": {"pairs": ["digits/mnist_cnn"], "strategy": ["none", "mirrored", "multiworker"],
                              "replicas": [1, 2]}}, Machine(logical_cores=2))
    got = [(p.cell.strategy, p.cell.replicas) for p in planned]
    assert got == [("none", 1), ("mirrored", 1), ("mirrored", 2), ("multiworker", 1), ("multiworker", 2)]
    assert all(p.skip_reason is None for p in planned)


@pytest.mark.parametrize(("axes", "machine", "needle"), [
    ({"backend": "jax"}, Machine(2), "backend jax is not installed"),
    ({"backend": "torch", "strategy": "mirrored", "replicas": 2},
     Machine(2, backends=("tensorflow", "torch")), "tf.distribute"),
    ({"strategy": "multiworker", "replicas": 2, "mode": "train"}, Machine(2), "keras-team/keras#20585"),
    ({"strategy": "multiworker", "replicas": 2, "device": "gpu:0"}, Machine(2, gpus=1), "on the CPU"),
    ({"strategy": "mirrored", "replicas": 2, "device": "gpu:1"}, Machine(2, gpus=2), "gpu:1..gpu:2"),
])
def test_cells_this_machine_cannot_run_say_why(axes, machine, needle):
    (planned,) = cells({"axes": {"pairs": ["digits/mnist_cnn"], **axes}}, machine)
    assert needle in (planned.skip_reason or "")


@pytest.mark.parametrize(("key", "value"), [("backend", "pytorch"), ("strategy", "horovod"), ("replicas", 0)])
def test_bad_new_axis_values_name_the_key(key, value):
    with pytest.raises(UserError, match=f"{key} = "):
        parse({"axes": {"pairs": ["digits/mnist_cnn"], key: value}})


@pytest.mark.parametrize(("key", "value", "match"), [
    ("batch_size", -5, "batch_size = -5 is not valid"),
    ("batch_size", "recipe", "batch_size = 'recipe' is not valid"),
    ("precision", "float8", "precision = 'float8' is not valid"),
    ("device", "tpu", "device = 'tpu' is not valid"),
    ("replicas", 0, "replicas = 0 is not valid"),
    ("steps", 0, "steps = 0 is not valid"),
    ("timeout_s", -1.0, "timeout_s = -1.0 is not valid"),
    ("dataset", 7, "dataset must be a non-empty string"),
])
def test_expanded_cells_are_validated_like_the_axes(key, value, match, monkeypatch):
    monkeypatch.delenv("BENCH_FAULT", raising=False)
    cell = {"dataset": "digits", "model": "mnist_cnn", "mode": "throughput", "steps": 5, key: value}
    with pytest.raises(UserError, match=re.escape(f"[[cells]] #1: {match}")):
        parse({"name": "x", "cells": [cell]})


def test_an_unknown_model_in_pairs_fails_at_parse_time(monkeypatch):
    monkeypatch.delenv("BENCH_FAULT", raising=False)
    with pytest.raises(UserError, match=r"\[axes\]: unknown model 'resnet9000'; known models: mnist_cnn"):
        parse({"axes": {"pairs": ["digits/resnet9000"]}})


def test_set_overrides_an_axis_in_axes_and_every_include():
    full = load_matrix("full", ["data=synthetic", "batch_size=[32, 64]"])
    assert full.groups and all(group["data"] == ["synthetic"] for group in full.groups)
    assert full.groups[0]["batch_size"] == [32, 64]
    assert full.groups[1]["batch_size"] == [32, 64]  # the include named batch_size = "recipe"
    assert "with --set data=synthetic --set batch_size=[32, 64]" in full.description
    planned = expand(full, TWO_CORES)
    assert planned and all(p.cell.dataset.startswith("synthetic:") for p in planned)
    plain = expand(load_matrix("full"), TWO_CORES)
    assert len(planned) < len(plain)  # two batch sizes, not four
    assert {p.cell.cell_id for p in expand(load_matrix("full"), TWO_CORES)} == {p.cell.cell_id for p in plain}


@pytest.mark.parametrize("item, named", [
    ("data", "give AXIS=VALUE"),
    ("colour=red", "give AXIS=VALUE"),
    ("batch_size=", "give AXIS=VALUE"),
    ("batch_size=-3", "batch_size"),
    ("precision=float8", "precision"),
])
def test_bad_set_names_the_fix(item, named):
    with pytest.raises(UserError, match=re.escape(named)):
        load_matrix("quick", [item])


def test_set_does_not_apply_to_an_expanded_run_matrix(tmp_path):
    expanded = tmp_path / "matrix.toml"
    expanded.write_text('name = "t"\n\n[[cells]]\ndataset = "digits"\nmodel = "mnist_cnn"\n')
    with pytest.raises(UserError, match="drop --set"):
        load_matrix(str(expanded), ["data=synthetic"])
