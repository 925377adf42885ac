"""The axis table (bench.config.axes): each axis declared once, and the places derived from it agree."""

from __future__ import annotations

import dataclasses

import pytest

from bench.config import matrix
from bench.config.axes import AXES, BY_NAME, CELL_FIELDS, MATRIX_AXES, REQUIRED, SETTINGS, matrix_reference
from bench.config.cell import Cell
from bench.config.record import CONFIG_FIELDS
from bench.errors import UserError

# One value each axis must refuse (the validator is the table's, whatever place asks).
BAD = {"pairs": "densenet121", "data": "fake", "device": "tpu:0", "threads": 0, "inter_threads": "all",
       "backend": "mxnet", "strategy": "ring", "replicas": 0, "batch_size": -1, "precision": "float64",
       "jit_compile": "yes", "pipeline": "warp", "mode": "sprint", "seed": -1, "synthetic_examples": 0,
       "timeout_s": 0, "oversubscribe": 1, "warmup_steps": -1, "steps": 0, "repeats": 2, "min_time_s": 0,
       "max_time_s": -1.0, "epochs": 0, "budget_s": 0, "target_accuracy": 1.5, "max_train_examples": 0}


def test_names_are_unique_and_every_axis_is_described():
    assert len(BY_NAME) == len(AXES)
    assert all(a.description for a in AXES)


def test_cell_record_and_matrix_come_from_the_table():
    """Cell's fields, the record's config fields and the matrix keys are the table's, in its order."""
    assert list(CONFIG_FIELDS) == [a.name for a in CELL_FIELDS]
    assert {f.name for f in dataclasses.fields(Cell)} == set(CONFIG_FIELDS)
    assert tuple(a.name for a in MATRIX_AXES) == matrix.AXES_KEYS
    assert {a.name: a.default for a in MATRIX_AXES if a.default is not REQUIRED} == matrix.AXES_DEFAULTS
    assert set(matrix.SETTING_KEYS) == {a.name for a in SETTINGS}


@pytest.mark.parametrize("axis", [a for a in AXES if a.kind != "derived"], ids=lambda a: a.name)
def test_each_validator_refuses_a_bad_value_and_takes_the_default(axis):
    assert not axis.check(BAD[axis.name]) and axis.expected
    defaults = [axis.default] if axis.kind == "axis" else [d for _, d in axis.mode_defaults]
    assert all(axis.check(d) for d in defaults if d not in (None, REQUIRED))


@pytest.mark.parametrize("key", [a.name for a in MATRIX_AXES])
def test_the_matrix_refuses_a_bad_axis_value_naming_the_key(key):
    raw = {"axes": {"pairs": ["digits/mnist_cnn"], key: BAD[key]}}
    with pytest.raises(UserError, match=rf"{key} = .* is not valid; expected "):
        matrix.parse_matrix(raw, source="m.toml", default_name="m")


def test_axes_added_later_keep_the_old_ids_and_are_backfilled_alike():
    """An axis the report backfills (old records lack it) must be out of the id at that value, so the
    old cells' ids, which --resume and compare match on, did not change when it was added."""
    for axis in AXES:
        if axis.backfill:
            assert axis.default in axis.id_omits, axis.name
    base = Cell("digits", "mnist_cnn")
    assert dataclasses.replace(base, backend="jax").cell_id != base.cell_id
    assert dataclasses.replace(base, timeout_s=60.0).cell_id == base.cell_id


def test_the_matrix_reference_has_one_line_per_matrix_axis():
    lines = matrix_reference().splitlines()
    assert [line.split(" = ")[0] for line in lines] == [a.name for a in MATRIX_AXES]


@pytest.mark.parametrize("axis", [a for a in AXES if a.bounds is not None], ids=lambda a: a.name)
def test_each_numeric_axis_refuses_infinity_nan_and_a_number_over_its_cap(axis):
    """Every bounded axis: finite, inside its range, and the range is said in the expected text."""
    b = axis.bounds
    for bad in (float("inf"), float("nan"), b.le * 2 + 1, -1, True):
        assert not axis.check(bad), (axis.name, bad)
    assert axis.check(int(b.le) if b.whole else b.le)
    assert f"{int(b.le):,}" in axis.expected


def test_bounds_give_pydantic_field_limits():
    assert BY_NAME["timeout_s"].bounds.field_kwargs() == {"gt": 0, "le": 604_800}
    assert BY_NAME["seed"].bounds.field_kwargs() == {"ge": 0, "le": 2**32 - 1}
    assert not BY_NAME["batch_size"].check(64.0)  # whole: an integer, not a float that is one
