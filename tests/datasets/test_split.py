"""Splits: stratified, seeded (deterministic), stored beside the data, official test set respected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.errors import UserError
from datasets import split
from datasets.specs import SPECS


def _labels(n: int = 1000, k: int = 4) -> np.ndarray:
    return np.random.default_rng(3).choice(k, size=n, p=[0.1, 0.2, 0.3, 0.4]).astype(np.uint8)


def test_stratified_partition():
    y = _labels()
    s = split.make_splits(y, 0, seed=0)
    together = np.concatenate([s["train"], s["val"], s["test"]])
    assert np.array_equal(np.sort(together), np.arange(len(y)))
    assert {k: len(v) for k, v in s.items()} == {"train": 640, "val": 160, "test": 200}
    overall = np.bincount(y) / len(y)
    for part in s.values():
        assert np.abs(np.bincount(y[part], minlength=4) / len(part) - overall).max() < 0.02


def test_seeded_and_different_per_seed():
    y = _labels()
    a, b, c = split.make_splits(y, 0, 0), split.make_splits(y, 0, 0), split.make_splits(y, 0, 1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["test"], c["test"])


def test_official_test_rows_are_the_test_split():
    y = _labels()
    s = split.make_splits(y, 100, seed=0)
    assert np.array_equal(s["test"], np.arange(900, 1000)) and len(s["val"]) == 180


def test_stored_and_reused(tmp_path: Path):
    y = _labels()
    first = split.load_or_make(tmp_path, y, 0, seed=5)
    assert split.split_path(tmp_path, 5).exists()
    stored = dict(np.load(split.split_path(tmp_path, 5)))
    assert np.array_equal(stored["train"], first["train"])
    again = split.load_or_make(tmp_path, y, 0, seed=5)
    assert all(np.array_equal(first[k], again[k]) for k in first)


def test_stale_split_file_is_remade(tmp_path: Path):
    split.load_or_make(tmp_path, _labels(), 0, seed=0)
    other = _labels(500)
    s = split.load_or_make(tmp_path, other, 0, seed=0)
    assert sum(len(v) for v in s.values()) == 500


def test_too_few_examples_per_class():
    with pytest.raises(UserError, match="stratified split"):
        split.make_splits(np.array([0, 1, 1, 1, 1, 1, 1], np.uint8), 0, seed=0)


def test_full_epoch_examples_match_the_recipe():
    assert SPECS["mnist"].full_epoch_examples == 48_000
    assert SPECS["cifar10"].full_epoch_examples == 40_000
    # galaxy10: 17,736 - 3,548 test (ceil 20%) = 14,188; minus 2,838 validation = 11,350
    assert SPECS["galaxy10"].full_epoch_examples == 11_350
    y = np.arange(17_736) % 10
    assert len(split.make_splits(y, 0, 0)["train"]) == SPECS["galaxy10"].full_epoch_examples
