"""Parallel gzip chunk reads against h5py's own (serial) read of the same file, the outside reference."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from datasets import chunkread


def _file(tmp_path: Path, shape: tuple[int, ...], chunks: tuple[int, ...]) -> Path:
    """A gzip-chunked uint8 dataset whose chunks do not divide its shape (edge tiles are partial)."""
    path = tmp_path / "x.h5"
    data = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=data, chunks=chunks, compression="gzip")
    return path


@pytest.mark.parametrize("shape, chunks", [
    ((50, 9, 7, 3), (8, 4, 4, 3)),  # all channels in one chunk
    ((50, 9, 7, 3), (8, 4, 4, 1)),  # one channel per chunk, as h5py chunks Galaxy10: tiles interleaved
    ((30, 6, 5, 3), (7, 4, 3, 2)),  # a channel chunk that runs past the last channel
    ((23, 5, 5), (23, 5, 5)),  # grayscale
    ((23, 9, 5), (4, 4, 2)),
])
def test_reads_equal_h5pys(tmp_path: Path, shape, chunks):
    with h5py.File(_file(tmp_path, shape, chunks), "r") as f:
        images = f["images"]
        assert chunkread.supported(images)
        everything = images[...]
        np.testing.assert_array_equal(chunkread.read_rows(images, 3, 19), everything[3:19])
        buffer = np.zeros((shape[0] + chunks[0], *shape[1:]), dtype=np.uint8)
        np.testing.assert_array_equal(chunkread.read_rows(images, 0, shape[0], buffer), everything)
        rows = np.array([0, 2, 9, 10, shape[0] - 1])
        np.testing.assert_array_equal(chunkread.read_picked(images, rows), everything[rows])



def test_compressed_chunks_are_fetched_lazily_a_bounded_number_ahead():
    fetched, placed, ahead = [], [], []

    def jobs():
        for i in range(10 * chunkread.IN_FLIGHT):
            fetched.append(i)
            ahead.append(len(fetched) - len(placed))
            yield i

    chunkread._place_all(placed.append, jobs())
    assert sorted(placed) == list(range(10 * chunkread.IN_FLIGHT))
    assert max(ahead) <= chunkread.IN_FLIGHT + 1  # never the whole block's chunks at once
