"""Strict validation of HDF5 files in the Galaxy10 layout: every bad file is a one-line UserError."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from bench.errors import UserError
from datasets.h5store import inspect_h5


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_valid_file_is_described(make_h5):
    path = make_h5(n=40, shape=(6, 7, 3), k=4, compression="gzip", chunks=(1, 6, 7, 3))
    info = inspect_h5(path)
    assert (info.num_examples, info.image_shape, info.num_classes) == (40, (6, 7, 3), 4)
    assert info.compressed and info.chunk_rows == 1 and info.class_names == ["0", "1", "2", "3"]


def test_class_names_from_attribute_and_extra_keys_kept(make_h5):
    path = make_h5(k=3)
    with h5py.File(path, "a") as f:
        f.attrs["class_names"] = ["a", "b", "c"]
        f.create_dataset("redshift", data=np.zeros(300))
    info = inspect_h5(path)
    assert info.class_names == ["a", "b", "c"] and info.extra_keys == ["redshift"]


def test_missing_file(tmp_path: Path):
    with pytest.raises(UserError, match="does not exist") as exc:
        inspect_h5(tmp_path / "nope.h5")
    _one_line(exc)


def test_directory_is_not_a_file(tmp_path: Path):
    with pytest.raises(UserError, match="not a file"):
        inspect_h5(tmp_path)


def test_truncated_file(make_h5):
    path = make_h5(n=2000, shape=(16, 16, 3))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="truncated or corrupt") as exc:
        inspect_h5(path)
    _one_line(exc)


def test_corrupt_file(tmp_path: Path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"this is not hdf5" * 100)
    with pytest.raises(UserError, match="truncated or corrupt"):
        inspect_h5(path)


def test_wrong_keys(tmp_path: Path):
    path = tmp_path / "keys.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.zeros((3, 4, 4, 3), np.uint8))
        f.create_dataset("ans", data=np.zeros(3, np.uint8))
    with pytest.raises(UserError, match="no 'images' dataset"):
        inspect_h5(path)


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (np.zeros((3, 4, 4), np.uint8), "N x H x W x C uint8"),
        (np.zeros((3, 4, 4, 3), np.float32), "N x H x W x C uint8"),
    ],
)
def test_wrong_image_shape_or_dtype(tmp_path: Path, images, match):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=images)
        f.create_dataset("ans", data=np.zeros(3, np.uint8))
    with pytest.raises(UserError, match=match):
        inspect_h5(path)


@pytest.mark.parametrize(
    "labels",
    [np.zeros(2, np.uint8), np.zeros(3, np.float32), np.zeros((3, 2), np.uint8)],
    ids=["len", "float", "2d"],
)
def test_wrong_labels(tmp_path: Path, labels):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((3, 4, 4, 3), np.uint8))
        f.create_dataset("ans", data=labels)
    with pytest.raises(UserError, match="integer labels"):
        inspect_h5(path)


def test_labels_out_of_range(make_h5):
    path = make_h5(k=5)
    with pytest.raises(UserError, match="outside 0..3"):
        inspect_h5(path, num_classes=4)
    with h5py.File(path, "a") as f:
        f["ans"][0] = 200
        f.attrs["class_names"] = [str(i) for i in range(5)]
    with pytest.raises(UserError, match="outside 0..4"):
        inspect_h5(path)


def test_wrong_shape_for_a_named_dataset(make_h5):
    with pytest.raises(UserError, match="wrong file for this dataset"):
        inspect_h5(make_h5(), shape=(256, 256, 3))
