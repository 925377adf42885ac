"""The checks an untrusted HDF5 file passes before any of its data is read (datasets/h5safe.py)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from bench.errors import UserError
from datasets import h5safe
from datasets.h5store import inspect_h5
from tests.datasets import hostile


@pytest.mark.parametrize("create", [
    {},
    {"chunks": (7, 8, 8, 3), "compression": "gzip"},
    {"chunks": (7, 4, 4, 1), "compression": "gzip", "shuffle": True, "fletcher32": True},
    {"chunks": (7, 8, 8, 3), "compression": "lzf"},
    {"chunks": (300, 8, 8, 3)},
])
def test_well_formed_files_pass(tmp_path: Path, create: dict):
    info = inspect_h5(hostile.good(tmp_path / "ok.h5", **create))
    assert info.num_examples == hostile.N and info.image_shape == hostile.SHAPE


def test_zeros_compress_well_and_still_pass(tmp_path: Path):
    """A gzip chunk of zeros inflates ~1,000:1, close to deflate's ceiling, and is not a bomb."""
    path = tmp_path / "zeros.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((64, 256, 256, 3), np.uint8), chunks=(64, 256, 256, 1),
                         compression="gzip", compression_opts=9)
        f["ans"] = np.arange(64, dtype=np.uint8) % 2
        ratio = f["images"].nbytes / f["images"].id.get_storage_size()
    assert ratio > 500
    assert inspect_h5(path).num_examples == 64


@pytest.mark.parametrize("case", hostile.REFUSED)
def test_each_hostile_file_is_one_line(case: str, tmp_path: Path):
    build, says = hostile.REFUSED[case]
    with pytest.raises(UserError, match=".") as exc:
        inspect_h5(build(tmp_path))
    assert says in str(exc.value) and "\n" not in str(exc.value)


def test_partly_written_chunks_are_refused(tmp_path: Path):
    path = tmp_path / "partial.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("images", shape=(100, 8, 8, 3), dtype=np.uint8, chunks=(10, 8, 8, 3),
                              compression="gzip")
        ds[:50] = 1
        f["ans"] = np.arange(100, dtype=np.uint8) % 2
    with pytest.raises(UserError, match=r"in 10 chunks but stores only 5 \(a missing chunk reads as zeros\)"):
        inspect_h5(path)


def test_storage_past_the_end_of_the_file_is_refused(tmp_path: Path):
    """HDF5 itself refuses a file shorter than its superblock says; a data address edited past the end is
    caught by comparing with the file's size (given smaller here)."""
    path = hostile.good(tmp_path / "t.h5")
    with h5py.File(path, "r") as f:
        images = f["images"]
        end = images.id.get_offset() + images.nbytes
        with pytest.raises(UserError, match=f"declares 57,600 bytes past the end of the {end - 1:,}-byte"):
            h5safe.check_storage(images, path, end - 1)
        h5safe.check_storage(images, path, end)


def test_chunk_index_claiming_more_than_the_file_is_refused(tmp_path: Path):
    path = hostile.good(tmp_path / "c.h5", chunks=(10, 8, 8, 3), compression="gzip")
    with h5py.File(path, "r") as f, pytest.raises(UserError, match="its chunk index is corrupt"):
        h5safe.check_storage(f["images"], path, f["images"].id.get_storage_size() - 1)


def test_external_link_is_not_followed(tmp_path: Path):
    """The link's target is not even opened: a missing target gives the same refusal (it was a KeyError)."""
    path = hostile.external_link(tmp_path)
    (tmp_path / "other.h5").unlink()
    with pytest.raises(UserError, match="external link to other.h5:/images"):
        inspect_h5(path)


@pytest.mark.parametrize(("images", "says"), [
    ((2, 4100, 4100, 4), "more than the 67,108,864 galaxybench reads at a time"),
    ((20_000, 256, 256, 3), "a row of chunks, more than 1,073,741,824"),
])
def test_caps_on_one_read(tmp_path: Path, images: tuple, says: str):
    path = tmp_path / "big.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", shape=images, dtype=np.uint8, chunks=(images[0], 1, 1, 1))
    with h5py.File(path, "r") as f, pytest.raises(UserError, match=says):
        h5safe.check_image_shape(f["images"], path)


@pytest.mark.parametrize(("raw", "names"), [
    (np.array([b"Round", b"Cigar"]), ["Round", "Cigar"]),
    (["Disturbed", "Merging"], ["Disturbed", "Merging"]),
    ("one", ["one"]),
    (np.array([0, 1]), ["0", "1"]),
])
def test_text_list_decodes(raw: object, names: list[str]):
    assert h5safe.text_list(raw, "class_names", Path("f.h5")) == names


@pytest.mark.parametrize(("raw", "says"), [
    (np.array([b"ok", b"caf\xe9"]), r"item 1 is not UTF-8 text \(b'caf\\xe9'\)"),
    (["ok", "caf\udce9"], "item 1 is not UTF-8 text"),
    (["a\nb"], "is not a printable name"),
    (["x" * 201], "at most 200 characters"),
    (np.array([["a", "b"], ["c", "d"]]), r"has shape \(2, 2\)"),
])
def test_text_list_refuses_in_one_line_naming_the_attribute(raw: object, says: str):
    with pytest.raises(UserError, match=says) as exc:
        h5safe.text_list(raw, "class_names", Path("f.h5"))
    assert "'class_names'" in str(exc.value) and "\n" not in str(exc.value)


def test_non_utf8_official_test_examples_is_one_line(tmp_path: Path):
    path = hostile.good(tmp_path / "t.h5")
    with h5py.File(path, "a") as f:
        f.attrs.create("official_test_examples", b"\xff\xfe", dtype=h5py.string_dtype())
    with pytest.raises(UserError, match="attribute 'official_test_examples' is"):
        inspect_h5(path)
