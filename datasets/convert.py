"""Convert MNIST / CIFAR-10 / digits from their published formats into the HDF5 layout (once, cached)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datasets import formats
from datasets.h5store import write_h5
from datasets.specs import SPECS

Arrays = tuple[np.ndarray, np.ndarray]


def mnist_idx_files(folder: Path) -> dict[str, Path]:
    """The MNIST IDX .gz files present in ``folder``, by published name."""
    return {f.name: folder / f.name for f in SPECS["mnist"].alt_files if (folder / f.name).is_file()}


def read_mnist_idx(folder: Path) -> tuple[Arrays | None, Arrays]:
    """(train or None, test) from an IDX folder; a folder with only the t10k pair is a smaller dataset."""
    test = formats.read_idx_pair(folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz")
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        return None, test
    train = formats.read_idx_pair(
        folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    )
    return train, test


def write_parts(
    dest: Path, name: str, train: Arrays | None, test: Arrays | None, *, verified: bool, source: str
) -> Path:
    """Write train rows then official test rows (attribute official_test_examples) into ``dest``."""
    parts = [p for p in (train, test) if p is not None]
    spec = SPECS[name]
    official = len(test[0]) if (train is not None and test is not None) else 0
    return write_h5(
        dest,
        parts,
        num_examples=sum(len(p[0]) for p in parts),
        image_shape=spec.image_shape,
        class_names=spec.class_names,
        official_test_examples=official,
        attrs={"verified": verified, "source": source},
    )


def convert(name: str, source: Path, dest: Path, *, verified: bool) -> Path:
    """Convert one named dataset's verified source (file or IDX folder) into ``dest``."""
    if name == "digits":
        return write_parts(
            dest, name, None, formats.read_digits(), verified=verified, source="sklearn.datasets"
        )
    if name == "cifar10":
        train, test = formats.read_cifar_tar(source)
    elif source.is_dir():
        train, test = read_mnist_idx(source)
    else:
        train, test = formats.read_mnist_npz(source)
    return write_parts(dest, name, train, test, verified=verified, source=str(source))
