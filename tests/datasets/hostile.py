"""HDF5 files an adversarial tester sends (issue 31, reproduction 4), each built with h5py in a folder:
a well-formed file in the layout except for one hostile feature."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

N, SHAPE, K = 300, (8, 8, 3), 5
CHUNK_ROWS = 10  # corrupt_chunk's chunk rows: images 150..159 share a chunk


def labels() -> np.ndarray:
    return (np.arange(N) % K).astype(np.uint8)


def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (N, *SHAPE), dtype=np.uint8)  # incompressible


def good(path: Path, **create: object) -> Path:
    """A valid file in the layout (random pixels; ``create``: h5py dataset options for images)."""
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=images(), **create)
        f.create_dataset("ans", data=labels())
    return path


def external_link(folder: Path) -> Path:
    """'images' is an external link to another (valid) file."""
    good(folder / "other.h5")
    path = folder / "external_link.h5"
    with h5py.File(path, "w") as f:
        f["images"] = h5py.ExternalLink("other.h5", "/images")
        f["ans"] = labels()
    return path


def soft_link(folder: Path) -> Path:
    """'images' is a soft link to a dataset elsewhere in the same file."""
    path = folder / "soft_link.h5"
    with h5py.File(path, "w") as f:
        f["pixels"] = images()
        f["images"] = h5py.SoftLink("/pixels")
        f["ans"] = labels()
    return path


def huge_shape(folder: Path) -> Path:
    """1.6 KB that declares 10**6 images of 1,000 x 1,000 (931 GiB), gzip-chunked, no chunk stored."""
    path = folder / "huge_shape.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", shape=(10**6, 1000, 1000, 1), dtype=np.uint8, chunks=(1, 100, 100, 1),
                         compression="gzip")
        f.create_dataset("ans", shape=(10**6,), dtype=np.uint8)
    return path


def unwritten_contiguous(folder: Path) -> Path:
    """Uncompressed images declared (300 x 8 x 8 x 3) and never written: none of their bytes stored."""
    path = folder / "unwritten.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", shape=(N, *SHAPE), dtype=np.uint8)
        f["ans"] = labels()
    return path


def gzip_bomb(folder: Path) -> Path:
    """Every chunk stored, but as 8 bytes that claim to inflate to 1 MB each (deflate inflates 1,032:1 at
    most)."""
    path = folder / "gzip_bomb.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("images", shape=(4, 1024, 1024, 1), dtype=np.uint8, chunks=(1, 1024, 1024, 1),
                              compression="gzip")
        for i in range(4):
            ds.id.write_direct_chunk((i, 0, 0, 0), b"\x78\x9c\x03\x00\x00\x00\x00\x01")
        f["ans"] = np.arange(4, dtype=np.uint8) % 2
    return path


def non_utf8_names(folder: Path, *, variable_length: bool = False) -> Path:
    """The attribute class_names holds bytes that are not UTF-8 (fixed-length, or variable-length text,
    which h5py decodes with surrogate escapes)."""
    path = good(folder / ("non_utf8_vlen.h5" if variable_length else "non_utf8.h5"))
    names = [b"caf\xe9", b"b", b"c", b"d", b"e"]
    with h5py.File(path, "a") as f:
        if variable_length:
            f.attrs.create("class_names", names, dtype=h5py.string_dtype())
        else:
            f.attrs["class_names"] = np.array(names)
    return path


def external_storage(folder: Path, target: Path) -> Path:
    """'images' keeps its raw bytes in ``target`` (any local file, a FIFO) via HDF5 external storage."""
    path = folder / "external_storage.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", shape=(N, *SHAPE), dtype=np.uint8,
                         external=[(str(target), 0, h5py.h5f.UNLIMITED)])
        f["ans"] = labels()
    return path


def local_file(folder: Path) -> Path:
    """Any readable local file (the issue's was /etc/ssl/certs/ca-certificates.crt): 60 KB of text."""
    path = folder / "secret.txt"
    path.write_text("-----BEGIN CERTIFICATE-----\n" * 2200)
    return path


def fifo(folder: Path) -> Path:
    """A FIFO with no writer: opening it for reading blocks forever."""
    path = folder / "fifo"
    os.mkfifo(path)
    return path


def virtual(folder: Path) -> Path:
    """'images' is a virtual dataset mapping another file's images."""
    other = good(folder / "source.h5")
    path = folder / "virtual.h5"
    layout = h5py.VirtualLayout(shape=(N, *SHAPE), dtype=np.uint8)
    layout[:] = h5py.VirtualSource(str(other), "images", shape=(N, *SHAPE))
    with h5py.File(path, "w") as f:
        f.create_virtual_dataset("images", layout)
        f["ans"] = labels()
    return path


def corrupt_chunk(folder: Path, *, shuffle: bool = False) -> Path:
    """A gzip-chunked file (10 images a chunk) whose chunk holding images 150..159 is damaged; the first
    and last images read fine."""
    path = good(folder / "corrupt_chunk.h5", chunks=(CHUNK_ROWS, *SHAPE), compression="gzip", shuffle=shuffle)
    with h5py.File(path, "r") as f:
        info = f["images"].id.get_chunk_info_by_coord((150, 0, 0, 0))
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        fh.write(bytes(32))
    return path


REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {  # case: (builder, what the one line says)
    "external link": (external_link, "'images' is an external link to other.h5:/images"),
    "soft link": (soft_link, "'images' is a soft link to /pixels"),
    "huge declared shape": (huge_shape, "in 100,000,000 chunks but stores only 0"),
    "unwritten contiguous": (unwritten_contiguous, "but stores 0: its data was never written"),
    "gzip bomb": (gzip_bomb, "more than deflate's 1,032:1 can inflate to"),
    "non-UTF-8 class_names": (non_utf8_names, "attribute 'class_names' item 0 is not UTF-8 text"),
    "non-UTF-8 class_names (text)": (lambda d: non_utf8_names(d, variable_length=True),
                                     "attribute 'class_names' item 0 is not UTF-8 text"),
    "external storage (a local file)": (lambda d: external_storage(d, local_file(d)),
                                        "keeps its data in an external file"),
    "virtual dataset": (virtual, "is a virtual dataset"),
}
