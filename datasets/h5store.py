"""The one on-disk layout every dataset is read from: an HDF5 file in the Galaxy10 layout
(``images`` N x H x W x C uint8, ``ans`` N integer labels), validated strictly, and its writer."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from bench.errors import UserError
from datasets import h5safe

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


def _class_names(f: h5py.File, labels: h5py.Dataset, path: Path) -> list[str] | None:
    """The attribute class_names (on the file, else on the labels), decoded defensively (h5safe)."""
    raw = h5safe.attribute(f, CLASS_NAMES_ATTR, path)
    if raw is None:
        raw = h5safe.attribute(labels, CLASS_NAMES_ATTR, path)
    return None if raw is None else h5safe.text_list(raw, CLASS_NAMES_ATTR, path)


def inspect_h5(path: Path, *, num_classes: int | None = None, shape: tuple[int, ...] | None = None) -> H5Info:
    """Open and validate ``path`` as untrusted input (h5safe's checks come before any data is read); any
    problem is a one-line UserError naming the fix."""
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


def _members(f: h5py.File, path: Path) -> tuple[h5py.Dataset, h5py.Dataset]:
    """The images and labels datasets, each stored in this file with a bounded declared size."""
    found = {k: h5safe.member(f, k, path) for k in (IMAGES, LABELS)}
    missing = [k for k, v in found.items() if v is None]
    if missing:
        raise UserError(
            f"{path} has no {missing[0]!r} dataset (keys: {sorted(f.keys())}); "
            f"an h5 dataset needs '{IMAGES}' (N x H x W x C uint8) and '{LABELS}' (N integer labels)"
        )
    size = path.stat().st_size
    for ds in found.values():
        h5safe.check_storage(ds, path, size)
    return found[IMAGES], found[LABELS]


def _inspect(f: h5py.File, path: Path, num_classes: int | None, shape: tuple[int, ...] | None) -> H5Info:
    images, labels = _members(f, path)
    if images.ndim != 4 or images.dtype != np.uint8:
        raise UserError(
            f"{path}: '{IMAGES}' is {images.dtype} with shape {images.shape}; it must be N x H x W x C uint8"
        )
    h5safe.check_image_shape(images, path)
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
    names = _class_names(f, labels, path)
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
    raw = h5safe.attribute(f, TEST_ATTR, path)
    raw = 0 if raw is None else raw
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


@contextmanager
def new_file(path: Path) -> Iterator[h5py.File]:
    """A new HDF5 file, written under a hidden temporary name and renamed to ``path`` once whole. On any
    failure the temporary file is removed, and a write error (a full disk) is a UserError naming the file
    and the fix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            yield f
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        failed = _write_error(exc)
        if failed is None:
            raise
        raise UserError(f"cannot write {path} ({_why(failed)}); check the free space and permissions in "
                        f"{path.parent}, or give another data folder (--data-dir, BENCH_DATA_DIR)") from None


def _write_error(exc: BaseException) -> OSError | None:
    """The OSError of a failed write: ``exc`` itself, or the one that h5py's close then tripped over (a
    full disk fails the write with an OSError, then the close with a RuntimeError)."""
    if isinstance(exc, OSError):
        return exc
    return exc.__context__ if isinstance(exc, RuntimeError) and isinstance(exc.__context__, OSError) else None


def _why(exc: OSError) -> str:
    """The system's reason in an OSError, also from HDF5's long messages ("... error message = '...'")."""
    found = re.search(r"error message = '([^']*)'", str(exc))
    if found:
        return found.group(1)
    if exc.errno:
        return os.strerror(exc.errno)
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


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
    """Write (images, labels) blocks into a new file in the layout, atomically (new_file)."""
    chunks = (chunk_rows, *image_shape) if (compression or chunk_rows) else None
    with new_file(path) as f:
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
    return path
