"""Reading every stored chunk of a dataset's images (`bench datasets verify`), and naming the images
behind a failed read: a corrupt chunk is one line naming the file and the image index, whichever reader
meets it (verify, the memory, stream and cache pipelines, the numpy feed)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from isal import isal_zlib

from bench.errors import UserError
from datasets import chunkread
from datasets.h5store import IMAGES, LABELS

READ_ERRORS = (OSError, ValueError, RuntimeError, isal_zlib.error)  # h5py's, and the parallel inflate's
BLOCK_BYTES = 32 << 20  # one read of verify: a whole number of chunk rows


class ReadFailure(UserError):
    """Stored images that cannot be read back (a corrupt or truncated chunk), named by file and index."""


_RAISED: deque[ReadFailure] = deque(maxlen=16)  # the latest failures, for behind()


@dataclass(frozen=True)
class ReadAll:
    """What verify read: every image, through this many stored chunks (0: contiguous storage)."""

    images: int
    image_chunks: int
    label_chunks: int
    inflated_bytes: int

    def summary(self) -> str:
        """One line saying what was read."""
        labels = f"{self.label_chunks:,} of labels" if self.label_chunks else "labels stored whole"
        if not self.image_chunks:
            return f"read all {self.images:,} images (not chunked: {self.inflated_bytes:,} bytes)"
        return (f"read every chunk ({self.image_chunks:,} of images, {labels}): all {self.images:,} images, "
                f"{self.inflated_bytes:,} bytes inflated")


def read_everything(path: Path, progress: Callable[[int, int], None] | None = None) -> ReadAll:
    """Read (and inflate) every stored chunk of ``path``'s images and labels, a few chunk rows at a time
    with the stream's own reader; ``progress(images done, images)`` after each read. A read that fails
    is a ReadFailure naming the images of the first chunk row that cannot be read."""
    with h5py.File(path, "r") as f:
        images, labels = f[IMAGES], f[LABELS]
        n, unit = len(images), _unit(images)
        image_bytes = int(np.prod(images.shape[1:]))
        rows = max(unit, BLOCK_BYTES // image_bytes // unit * unit)
        buffer = np.empty((rows, *images.shape[1:]), dtype=np.uint8)
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            try:
                _read(images, start, stop, buffer)
            except READ_ERRORS as exc:
                raise failure(path, images, np.arange(start, stop), exc, hint=False) from None
            if progress:
                progress(stop, n)
        try:
            labels[()]  # noqa: B018 - every chunk of the labels too
        except READ_ERRORS as exc:
            raise ReadFailure(f"{path}: its labels cannot be read ({type(exc).__name__}): the file is "
                              "corrupt; download or copy it again") from None
        return ReadAll(n, _chunks(images), _chunks(labels), n * image_bytes)


def _chunks(ds: h5py.Dataset) -> int:
    return ds.id.get_num_chunks() if ds.chunks else 0


def _unit(images: h5py.Dataset) -> int:
    """Rows read as one unit: a row of chunks (one image for contiguous storage)."""
    return images.chunks[0] if images.chunks else 1


def _read(images: h5py.Dataset, start: int, stop: int, buffer: np.ndarray) -> None:
    """Rows start..stop-1 (start on a chunk row's first image) into ``buffer``, with the stream's reader."""
    if chunkread.supported(images):
        chunkread.read_rows(images, start, stop, buffer)
    else:
        images.read_direct(buffer, np.s_[start:stop], np.s_[0 : stop - start])


def failure(path: Path, images: h5py.Dataset, rows: np.ndarray, exc: BaseException, *,
            hint: bool = True) -> ReadFailure:
    """The ReadFailure for a read of the sorted image ``rows`` that raised ``exc``: the rows are read
    again one chunk row at a time (only now, after a failure) to name the first that cannot be read.
    ``hint``: say that verify reads every chunk (for a new copy)."""
    bad = _first_bad(images, rows)
    lo, hi = bad if bad else (int(rows[0]), int(rows[-1]))
    which = f"image {lo:,}" if lo == hi else f"images {lo:,}..{hi:,}"
    cause = (str(exc).splitlines() or [""])[0][:160]
    check = f" (`python -m bench datasets verify h5:{path}` reads every chunk)" if hint else ""
    err = ReadFailure(f"{path}: {which} cannot be read ({type(exc).__name__}: {cause}): the file is corrupt "
                      f"there; download or copy it again{check}")
    _RAISED.append(err)
    return err


def _first_bad(images: h5py.Dataset, rows: np.ndarray) -> tuple[int, int] | None:
    """(first, last) image of the first chunk row holding one of ``rows`` that cannot be read, if any."""
    unit, n = _unit(images), len(images)
    buffer = np.empty((unit, *images.shape[1:]), dtype=np.uint8)
    for r0 in np.unique(np.asarray(rows) // unit) * unit:
        r1 = min(n, int(r0) + unit)
        try:
            _read(images, int(r0), r1, buffer)
        except READ_ERRORS:
            return int(r0), r1 - 1
    return None


def behind(exc: BaseException) -> ReadFailure | None:
    """The ReadFailure behind ``exc``: itself, or one raised inside tf.data, which reaches the caller as
    TensorFlow's own error carrying its message."""
    if isinstance(exc, ReadFailure):
        return exc
    text = str(exc)
    return next((err for err in reversed(_RAISED) if str(err) in text), None)
