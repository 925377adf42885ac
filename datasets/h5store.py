"""The one on-disk layout every dataset is read from: an HDF5 file in the Galaxy10 layout
(``images`` N x H x W x C uint8, ``ans`` N integer labels), validated strictly, and its writer."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from bench.errors import UserError

IMAGES, LABELS = "images", "ans"
CLASS_NAMES_ATTR = "class_names"
TEST_ATTR = "official_test_examples"  # the last rows form the official test set
MAX_CLASSES = 10_000  # the bound on classes: a label of 1,000,000 is a data error, not a million-way softmax


@dataclass(frozen=True)
class H5Info:
    """What a validated HDF5 file holds."""

    path: Path
    num_examples: int
    image_shape: tuple[int, int, int]
    num_classes: int
    class_names: list[str]
    official_test_examples: int
    compressed: bool
    chunk_rows: int | None
    extra_keys: list[str]


def _class_names(f: h5py.File) -> list[str] | None:
    raw = f.attrs.get(CLASS_NAMES_ATTR, f[LABELS].attrs.get(CLASS_NAMES_ATTR))
    if raw is None:
        return None
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.atleast_1d(raw)]


def inspect_h5(path: Path, *, num_classes: int | None = None, shape: tuple[int, ...] | None = None) -> H5Info:
    """Open and validate ``path``; any problem is a one-line UserError naming the fix."""
    if not path.exists():
        raise UserError(f"{path} does not exist; check the path (or run `python -m bench datasets`)")
    if not path.is_file():
        raise UserError(f"{path} is not a file; give the path of an .h5 file")
    try:
        with h5py.File(path, "r") as f:
            return _inspect(f, path, num_classes, shape)
    except OSError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(
            f"{path} is not a readable HDF5 file ({msg}): it is truncated or corrupt; "
            "download or copy it again"
        ) from None


def _inspect(f: h5py.File, path: Path, num_classes: int | None, shape: tuple[int, ...] | None) -> H5Info:
    missing = [k for k in (IMAGES, LABELS) if k not in f]
    if missing:
        raise UserError(
            f"{path} has no {missing[0]!r} dataset (keys: {sorted(f.keys())}); "
            f"an h5 dataset needs '{IMAGES}' (N x H x W x C uint8) and '{LABELS}' (N integer labels)"
        )
    images, labels = f[IMAGES], f[LABELS]
    if not (isinstance(images, h5py.Dataset) and isinstance(labels, h5py.Dataset)):
        raise UserError(f"{path}: '{IMAGES}' and '{LABELS}' must be datasets, not groups; "
                        "fix the file's layout")
    if images.ndim != 4 or images.dtype != np.uint8:
        raise UserError(
            f"{path}: '{IMAGES}' is {images.dtype} with shape {images.shape}; it must be N x H x W x C uint8"
        )
    if shape is not None and tuple(images.shape[1:]) != tuple(shape):
        raise UserError(
            f"{path}: images are {images.shape[1:]}, expected {tuple(shape)}; wrong file for this dataset"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(images):
        raise UserError(
            f"{path}: '{LABELS}' is {labels.dtype} with shape {labels.shape}; "
            f"it must be {len(images)} integer labels"
        )
    if len(images) == 0:
        raise UserError(f"{path} holds no images")
    y = labels[()]
    names = _class_names(f)
    k = num_classes or (len(names) if names else int(y.max()) + 1)
    if k > MAX_CLASSES:
        raise UserError(f"{path}: labels/class names imply {k:,} classes, more than the {MAX_CLASSES:,} "
                        f"galaxybench supports; '{LABELS}' must hold class indices 0..K-1 (fix the labels)")
    if y.min() < 0 or y.max() >= k:
        raise UserError(
            f"{path}: labels range {y.min()}..{y.max()}, outside 0..{k - 1}; fix the '{LABELS}' data"
        )
    if names is not None and len(names) != k:
        raise UserError(f"{path}: attribute {CLASS_NAMES_ATTR!r} names {len(names)} classes, expected {k}")
    _read_ends(images)
    return H5Info(
        path=path,
        num_examples=len(images),
        image_shape=tuple(int(d) for d in images.shape[1:]),
        num_classes=k,
        class_names=names or [str(i) for i in range(k)],
        official_test_examples=_official_test(f, path, len(images)),
        compressed=images.compression is not None,
        chunk_rows=images.chunks[0] if images.chunks else None,
        extra_keys=sorted(set(f.keys()) - {IMAGES, LABELS}),
    )


def _official_test(f: h5py.File, path: Path, n: int) -> int:
    """The attribute official_test_examples: a whole number from 0 to n - 1 (0: no official test rows)."""
    raw = f.attrs.get(TEST_ATTR, 0)
    value = np.asarray(raw)
    if value.shape != () or value.dtype.kind not in "iu" or not 0 <= int(value) < n:
        raise UserError(f"{path}: attribute {TEST_ATTR!r} is {raw!r}; it must be a whole number from 0 "
                        f"(no official test rows) to {n - 1} (fewer than the file's {n} images): "
                        "fix or delete it")
    return int(value)


def _read_ends(images: h5py.Dataset) -> None:
    """Read the first and last image, so a truncated file fails now rather than mid-epoch."""
    buf = np.empty((1, *images.shape[1:]), dtype=np.uint8)
    for row in (0, len(images) - 1):
        images.read_direct(buf, np.s_[row : row + 1])


def write_h5(
    path: Path,
    blocks: Iterable[tuple[np.ndarray, np.ndarray]],
    *,
    num_examples: int,
    image_shape: tuple[int, int, int],
    class_names: list[str] | tuple[str, ...],
    official_test_examples: int = 0,
    compression: str | None = None,
    chunk_rows: int | None = None,
    attrs: dict[str, object] | None = None,
) -> Path:
    """Write (images, labels) blocks into a new file in the layout, atomically (tmp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    chunks = (chunk_rows, *image_shape) if (compression or chunk_rows) else None
    with h5py.File(tmp, "w") as f:
        images = f.create_dataset(
            IMAGES, shape=(num_examples, *image_shape), dtype=np.uint8, chunks=chunks, compression=compression
        )
        labels = f.create_dataset(LABELS, shape=(num_examples,), dtype=np.uint8)
        f.attrs[CLASS_NAMES_ATTR] = list(class_names)
        f.attrs[TEST_ATTR] = official_test_examples
        for key, value in (attrs or {}).items():
            f.attrs[key] = value
        start = 0
        for x, y in blocks:
            images[start : start + len(x)] = x
            labels[start : start + len(y)] = y
            start += len(x)
        if start != num_examples:
            raise ValueError(f"wrote {start} examples, expected {num_examples}")
    tmp.replace(path)
    return path
