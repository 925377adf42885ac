"""Fixtures for the datasets tests: HDF5 files whose pixels encode their own label and index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest


def labelled_images(n: int, shape: tuple[int, int, int], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose first pixels hold (label, index // 256, index % 256); labels cycle 0..k-1."""
    labels = (np.arange(n) * 7 % k).astype(np.uint8)
    images = np.zeros((n, *shape), dtype=np.uint8)
    flat = images.reshape(n, -1)
    flat[:, 0], flat[:, 1], flat[:, 2] = labels, np.arange(n) // 256, np.arange(n) % 256
    return images, labels


def decode(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, indices) read back from labelled_images pixels."""
    flat = np.asarray(images).reshape(len(images), -1).astype(np.int64)
    return flat[:, 0], flat[:, 1] * 256 + flat[:, 2]


MakeH5 = Callable[..., Path]


@pytest.fixture
def make_h5(tmp_path: Path) -> MakeH5:
    """Write a Galaxy10-layout file of labelled images; keyword options shape/k/n/compression/chunk_rows."""

    def make(name: str = "data.h5", *, n: int = 300, shape=(8, 8, 3), k: int = 5, **create) -> Path:
        images, labels = labelled_images(n, shape, k)
        path = tmp_path / name
        with h5py.File(path, "w") as f:
            f.create_dataset("images", data=images, **create)
            f.create_dataset("ans", data=labels)
        return path

    return make


@pytest.fixture(name="decode")
def decode_fixture() -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The decoder of labelled_images pixels, for tests."""
    return decode
