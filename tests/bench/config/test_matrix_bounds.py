"""Issue 31's bounded inputs: every number in a matrix, on --set and --cell-budget inside its axis's
stated range, the matrix's nesting and size capped before anything expands, non-UTF-8 text refused,
replicas bounded by the cores; each a one-line UserError naming the range (or a skip reason)."""

from __future__ import annotations

import argparse
import math

import pytest

from bench.config import matrix
from bench.config.axes import BY_NAME, SYNTHETIC_MAX_BYTES
from bench.config.expanded import dump_expanded, toml_value
from bench.config.limits import MAX_CELLS, cell_budget
from bench.config.matrix import Machine, expand, load_matrix, parse_matrix
from bench.errors import UserError

PAIR = "digits/mnist_cnn"
TWO_CORES = Machine(logical_cores=2)


def parse(raw: dict) -> matrix.MatrixSpec:
    return parse_matrix(raw, source="m.toml", default_name="m")


@pytest.mark.parametrize("value", ["1e7", "inf", "nan", "-1", "2.2e6"])
def test_a_timeout_past_its_cap_is_refused_at_load_naming_the_range(value):
    """Rep. 1: timeout_s >= 2.2e6 s passed `plan` and then crashed every cell with OverflowError."""
    with pytest.raises(UserError, match=r"timeout_s = .* is not valid; expected a number of seconds above 0 "
                                        r"and at most 604,800 \(a week"):
        load_matrix("ci", [f"timeout_s={value}"])


def test_a_saved_matrix_with_a_timeout_past_its_cap_is_one_line_naming_its_cell(tmp_path):
    """A matrix.toml written before the ranges existed: resume says which cell and what range."""
    saved = tmp_path / "matrix.toml"
    saved.write_text('name = "t"\n\n[[cells]]\ndataset = "digits"\nmodel = "mnist_cnn"\ntimeout_s = 1e7\n')
    with pytest.raises(UserError, match=r"\[\[cells\]\] #1: timeout_s = 10000000.0 is not valid; expected "):
        load_matrix(str(saved))


@pytest.mark.parametrize(("key", "value"), [
    ("batch_size", 10**6), ("threads", 10**9), ("replicas", 4096), ("seed", 2**40),
    ("synthetic_examples", 10**12),
])
def test_each_axis_refuses_a_value_past_its_cap(key, value):
    axis = BY_NAME[key]
    with pytest.raises(UserError, match=rf"{key} = {value} is not valid; expected {axis.bounds.text()[:20]}"):
        parse({"axes": {"pairs": [PAIR], key: value}})


@pytest.mark.parametrize(("key", "value"), [("steps", 10**7), ("min_time_s", math.inf), ("repeats", 2),
                                            ("max_time_s", math.nan), ("warmup_steps", 10**6)])
def test_each_setting_refuses_a_value_out_of_its_range(key, value):
    with pytest.raises(UserError, match=rf"\[throughput\]: {key} = .* is not valid; expected "):
        parse({"axes": {"pairs": [PAIR]}, "throughput": {key: value}})


def test_a_synthetic_data_set_bigger_than_its_cap_is_refused_at_load():
    """Rep. 2: synthetic_examples = 10**12 was planned at 9 s; the file's size is bounded too."""
    most = SYNTHETIC_MAX_BYTES // (256 * 256 * 3)
    raw = {"axes": {"pairs": ["galaxy10/densenet121"], "data": "synthetic", "synthetic_examples": most + 1}}
    with pytest.raises(UserError, match=rf"images of galaxy10's 256x256x3 would take 32.0 GiB, over the "
                                        rf"32 GiB cap; give {most:,} examples or fewer"):
        parse(raw)
    raw["axes"]["synthetic_examples"] = most
    assert parse(raw).groups  # the cap itself is allowed


@pytest.mark.parametrize(("name", "match"), [
    ("synthetic:256x256x3:10:10000000", "has 10,000,000 examples; expected a whole number from 1 to 1,000,"),
    ("synthetic:2560x2560x3:10:100000", "would take 1,831.1 GiB, over the 32 GiB cap; give 1,747 examples"),
    ("synthetic:8x8x1:10:" + "9" * 5000, "is not a synthetic data set name; write synthetic:HxWxC:K:N"),
])
def test_a_synthetic_data_set_named_outright_is_bounded_too(name, match):
    with pytest.raises(UserError, match=match):
        parse({"axes": {"pairs": [f"{name}/mnist_cnn"]}})
    with pytest.raises(UserError, match=match):
        parse({"cells": [{"dataset": name, "model": "mnist_cnn"}]})


def test_a_million_cell_product_is_refused_before_anything_expands(monkeypatch):
    """`plan` of a 1,000,000-cell product used 3.1 GiB and printed nothing in 400 s."""
    monkeypatch.setattr(matrix, "_to_cell", lambda *a: pytest.fail("a cell was made"))
    raw = {"axes": {"pairs": [PAIR], "batch_size": list(range(1, 1001)), "seed": 0,
                    "threads": list(range(1, 1001))}}
    with pytest.raises(UserError, match=r"expands to 1,000,000 cells at least, over the cap of 20,000"):
        parse(raw)


def test_a_product_that_only_this_machine_makes_too_big_is_refused_at_expand(monkeypatch):
    monkeypatch.setattr(matrix, "MAX_CELLS", 10)
    spec = parse({"axes": {"pairs": [PAIR], "threads": "all", "batch_size": [1, 2, 3, 4]}})
    assert len(expand(spec, Machine(logical_cores=2))) == 8
    with pytest.raises(UserError, match=r"expands to 16 cells on this machine, over the cap of 10"):
        expand(spec, Machine(logical_cores=8))


def test_a_list_longer_than_the_cell_cap_is_refused_before_its_values_are_checked():
    with pytest.raises(UserError, match=rf"batch_size has {MAX_CELLS + 1:,} entries, over the cap"):
        parse({"axes": {"pairs": [PAIR], "batch_size": list(range(1, MAX_CELLS + 2))}})


def test_nesting_deeper_than_a_matrix_has_is_refused(tmp_path):
    deep: list = [PAIR]
    for _ in range(10):
        deep = [deep]
    with pytest.raises(UserError, match="nested 5 levels deep; a matrix nests at most 4"):
        parse({"axes": {"pairs": deep}})
    path = tmp_path / "deep.toml"
    path.write_text("[axes]\npairs = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(UserError, match="nested too deeply to read"):
        load_matrix(str(path))


def test_a_pair_that_is_not_utf8_is_refused_at_load_and_never_written():
    """Rep. 3: h5:/path/caf\\xe9.h5 (a Latin-1 name, carried by Python as a lone surrogate) was written to
    matrix.toml as an escape TOML cannot read back."""
    name = "h5:/path/caf\udce9.h5/cifar_cnn"
    with pytest.raises(UserError, match=r"pairs = 'h5:/path/caf\\udce9.h5/cifar_cnn' is not UTF-8 text"):
        load_matrix("ci", [f"pairs={name}"])
    with pytest.raises(UserError, match="not UTF-8 text"):
        toml_value("caf\udce9")


def test_the_expanded_matrix_reads_back_every_value_it_writes():
    spec = parse({"axes": {"pairs": [PAIR, "h5:/data/café ünï.h5/cifar_cnn"], "timeout_s": 604_800}})
    planned = expand(spec, TWO_CORES)
    again = parse_matrix(__import__("tomllib").loads(dump_expanded(spec, planned)), source="x",
                         default_name="x")
    assert [c.cell_id for c in again.cells] == [p.cell.cell_id for p in planned]


@pytest.mark.parametrize("strategy", ["multiworker", "mirrored"])
def test_more_replicas_than_cores_is_a_skip_naming_oversubscribe(strategy, monkeypatch):
    """replicas = 64 multiworker on 2 cores was planned as "run"."""
    monkeypatch.delenv("TF_CONFIG", raising=False)
    raw = {"axes": {"pairs": [PAIR], "strategy": strategy, "replicas": [2, 64]}}
    fits, over = expand(parse(raw), TWO_CORES)
    assert fits.skip_reason is None
    assert over.skip_reason == ("replicas=64 exceeds the 2 logical cores; set oversubscribe = true in [axes] "
                                "to run it anyway")
    raw["axes"]["oversubscribe"] = True
    assert [p.skip_reason for p in expand(parse(raw), TWO_CORES)] == [None, None]


def test_a_user_cluster_spreads_multiworker_replicas_over_machines(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    [cell] = expand(parse({"axes": {"pairs": [PAIR], "strategy": "multiworker", "replicas": 64}}), TWO_CORES)
    assert cell.skip_reason is None


@pytest.mark.parametrize("text", ["nan", "-1", "0", "inf", "1e9", "soon"])
def test_cell_budget_refuses_what_would_prune_silently(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a budget; give a number of seconds above 0"):
        cell_budget(text)
    assert cell_budget("90") == 90.0
