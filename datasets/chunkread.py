"""Parallel reads of gzip-chunked HDF5 blocks: raw chunks are fetched with h5py's direct chunk read
(cheap, under h5py's lock) and inflated on a thread pool with ISA-L (isal: zlib-compatible, about 2.5x
faster than zlib here, and it releases the GIL), because h5py decompresses every chunk serially behind
one lock and inflating is the bottleneck of a stream read."""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import h5py
import numpy as np
from isal import isal_zlib

DEFLATE = h5py.h5z.FILTER_DEFLATE
WORKERS = max(2, os.cpu_count() or 2)
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="inflate")
IN_FLIGHT = 4 * WORKERS  # compressed chunks fetched but not yet placed: a few MB, not a block's
Job = TypeVar("Job")


def _place_all(place: Callable[[Job], None], jobs: Iterable[Job]) -> None:
    """Run place on every job on the pool, fetching jobs lazily so that at most IN_FLIGHT are held at once:
    a Galaxy10 chunk row is ~80 MB compressed, and holding it whole added ~150 MB to a stream's peak RSS
    (552-562 MB added against 404-407 bounded, at 0.98x the speed; README, stream speed)."""
    pending: deque[Future[None]] = deque()
    for job in jobs:
        pending.append(_POOL.submit(place, job))
        if len(pending) >= IN_FLIGHT:
            pending.popleft().result()
    for future in pending:
        future.result()


def supported(images: h5py.Dataset) -> bool:
    """True for a chunked dataset whose only filter is deflate (gzip), as the Galaxy10 files are."""
    if images.chunks is None:
        return False
    plist = images.id.get_create_plist()
    return plist.get_nfilters() == 1 and plist.get_filter(0)[0] == DEFLATE


def span(images: h5py.Dataset, start: int, stop: int) -> tuple[int, int]:
    """The whole-chunk row range that covers rows start..stop-1."""
    rows = images.chunks[0]
    return start // rows * rows, min(images.shape[0], -(-stop // rows) * rows)


def read_rows(
    images: h5py.Dataset,
    start: int,
    stop: int,
    buffer: np.ndarray | None = None,
    needed: np.ndarray | None = None,
) -> np.ndarray:
    """Rows start..stop-1 of a gzip-chunked dataset, inflating its chunks in parallel. Only chunks holding
    a ``needed`` row (absolute indices; default all) are read. ``buffer`` (at least the span's rows) is
    reused when given, since fresh big allocations page-fault slowly."""
    shape, chunks = images.shape, images.chunks
    c0, rows_end = span(images, start, stop)
    out = np.empty((rows_end - c0, *shape[1:]), dtype=np.uint8) if buffer is None else buffer[: rows_end - c0]
    row_starts = (
        range(c0, rows_end, chunks[0]) if needed is None else np.unique(needed // chunks[0]) * chunks[0]
    )
    tiles = (range(0, n, c) for n, c in zip(shape[1:], chunks[1:], strict=True))
    origins = itertools.product((int(r) for r in row_starts), *tiles)
    raws = ((o, images.id.read_direct_chunk(o)) for o in origins)  # h5py's lock: fetched serially, lazily

    def place(item: tuple[tuple[int, ...], tuple[int, bytes]]) -> None:
        origin, (mask, raw) = item
        data = raw if mask & 1 else isal_zlib.decompress(raw)
        chunk = np.frombuffer(data, dtype=np.uint8).reshape(chunks)
        dst = tuple(slice(o - (c0 if d == 0 else 0), None) for d, o in enumerate(origin))
        region = out[tuple(slice(s.start, s.start + c) for s, c in zip(dst, chunks, strict=True))]
        region[...] = chunk[tuple(slice(0, n) for n in region.shape)]

    _place_all(place, raws)
    return out[start - c0 : stop - c0]


def read_picked(images: h5py.Dataset, rows: np.ndarray) -> np.ndarray:
    """The images of the sorted absolute rows ``rows`` as one fresh array of len(rows), inflating the chunks
    that hold them in parallel and placing only those rows (no span-sized buffer: a stream block's
    memory is the rows it delivers)."""
    shape, chunks = images.shape, images.chunks
    out = np.empty((len(rows), *shape[1:]), dtype=np.uint8)
    if not len(rows):
        return out
    starts = np.unique(rows // chunks[0]) * chunks[0]
    bounds = np.searchsorted(rows, np.append(starts, starts[-1] + chunks[0]))
    tiles = [range(0, n, c) for n, c in zip(shape[1:], chunks[1:], strict=True)]

    def jobs() -> Iterable[tuple[tuple[int, ...], int, int, np.ndarray, tuple[int, bytes]]]:
        for k, r0 in enumerate(starts):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            local = rows[lo:hi] - r0
            for origin in itertools.product((int(r0),), *tiles):
                yield origin, lo, hi, local, images.id.read_direct_chunk(origin)  # h5py's lock: serially

    def place(job: tuple[tuple[int, ...], int, int, np.ndarray, tuple[int, bytes]]) -> None:
        origin, lo, hi, local, (mask, raw) = job
        data = raw if mask & 1 else isal_zlib.decompress(raw)
        chunk = np.frombuffer(data, dtype=np.uint8).reshape(chunks)
        region = out[(slice(lo, hi), *(slice(o, o + c) for o, c in zip(origin[1:], chunks[1:], strict=True)))]
        picked = chunk[local] if hi - lo < chunks[0] else chunk
        region[...] = picked[(slice(None), *(slice(0, n) for n in region.shape[1:]))]

    _place_all(place, jobs())
    return out
