"""Reading every chunk (datasets/verify.py), and naming the images behind a failed read."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from datasets import verify
from tests.datasets import hostile


@pytest.mark.parametrize(("create", "image_chunks"), [
    ({"chunks": (10, 8, 8, 3), "compression": "gzip"}, 30),
    ({"chunks": (7, 4, 4, 1), "compression": "gzip"}, 43 * 2 * 2 * 3),  # tiles, one channel each
    ({"chunks": (7, 8, 8, 3), "compression": "gzip", "shuffle": True}, 43),  # h5py's reader
    ({}, 0),
])
def test_every_chunk_is_read_and_counted(tmp_path: Path, monkeypatch, create: dict, image_chunks: int):
    monkeypatch.setattr(verify, "BLOCK_BYTES", 50 * 192)  # several reads
    path = hostile.good(tmp_path / "ok.h5", **create)
    seen: list[tuple[int, int]] = []
    read = verify.read_everything(path, lambda done, total: seen.append((done, total)))
    assert (read.images, read.image_chunks, read.label_chunks) == (300, image_chunks, 0)
    assert read.inflated_bytes == 300 * 192
    assert len(seen) > 2 and seen[-1] == (300, 300) and [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("shuffle", [False, True])  # the parallel inflate, and h5py's own reader
def test_a_corrupt_middle_chunk_is_named_by_its_images(tmp_path: Path, shuffle: bool):
    path = hostile.corrupt_chunk(tmp_path, shuffle=shuffle)
    with pytest.raises(verify.ReadFailure, match=r"images 150\.\.159 cannot be read") as exc:
        verify.read_everything(path)
    assert str(path) in str(exc.value) and "verify" not in str(exc.value)  # no hint to run itself


def test_failure_names_the_first_bad_chunk_row_among_the_rows(tmp_path: Path):
    path = hostile.corrupt_chunk(tmp_path)
    with h5py.File(path, "r") as f:
        err = verify.failure(path, f["images"], np.arange(0, 300), OSError("inflate() failed"))
        clean = verify.failure(path, f["images"], np.array([3, 4, 5]), OSError("flaky disk"))
    assert "images 150..159 cannot be read (OSError: inflate() failed)" in str(err)
    assert f"`python -m bench datasets verify h5:{path}` reads every chunk" in str(err)
    assert "images 3..5 cannot be read" in str(clean)  # nothing bad found again: the rows read


def test_behind_finds_a_failure_inside_tensorflows_error(tmp_path: Path):
    path = hostile.corrupt_chunk(tmp_path)
    with h5py.File(path, "r") as f:
        err = verify.failure(path, f["images"], np.arange(140, 160), OSError("inflate() failed"))
    wrapped = RuntimeError(f"{{function_node}} Error in user-defined function: ReadFailure: {err}\nTraceback")
    assert verify.behind(wrapped) is err and verify.behind(err) is err
    assert verify.behind(RuntimeError("something else")) is None
