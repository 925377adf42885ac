"""bench/config/record.py is the one list of record fields: the typed subsets the reports use must be in
it."""

from __future__ import annotations

from bench.config.record import ACCURACY_FIELDS, FIELDS, NUMERIC_FIELDS


def test_typed_field_lists_name_declared_fields_once():
    for names in (NUMERIC_FIELDS, ACCURACY_FIELDS):
        assert len(set(names)) == len(names)
        assert set(names) <= set(FIELDS), sorted(set(names) - set(FIELDS))


def test_scalar_measurements_with_a_unit_suffix_are_numeric():
    units = ("_img_s", "_gflop_s", "_mb", "_j", "_kwh", "_ms_p50", "_ms_p90", "_ms_p99")
    scalar = {n for n in FIELDS if n.endswith(units) and not n.endswith(("_runs", "timeline_mb"))}
    scalar -= {"worker_train_img_s"}  # a list, one rate per worker
    assert scalar <= set(NUMERIC_FIELDS), sorted(scalar - set(NUMERIC_FIELDS))
