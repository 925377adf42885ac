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
from dataclasses import dataclass
from typing import TypeVar

import h5py
import numpy as np
from isal import isal_zlib

DEFLATE = h5py.h5z.FILTER_DEFLATE
WORKERS = max(2, os.cpu_count() or 2)
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="inflate")
IN_FLIGHT = 4 * WORKERS  # jobs (a pixel tile's compressed chunks) fetched, not yet placed: a few MB
Job = TypeVar("Job")
Raws = list[tuple[int, tuple[int, bytes]]]  # (first channel, (filter mask, raw chunk)) of one pixel tile


@dataclass(frozen=True)
class Geometry:
    """A dataset's shape and chunk shape as N, H, W, C (a grayscale N x H x W one has one channel)."""

    shape: tuple[int, int, int, int]
    chunks: tuple[int, int, int, int]
    ndim: int


def _place_all(place: Callable[[Job], None], jobs: Iterable[Job]) -> None:
    """Run place on every job on the pool, fetching jobs lazily so that at most IN_FLIGHT are held at once:
    a Galaxy10 chunk row is ~80 MB compressed, and holding it whole adds ~150 MB to a stream's peak RSS
    for no speed (docs/figures/pipelines.md has the stream's figures)."""
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
    geometry = _geometry(images)  # plain tuples: the pool's threads never touch an h5py object
    c0, rows_end = span(images, start, stop)
    out = np.empty((rows_end - c0, *shape[1:]), dtype=np.uint8) if buffer is None else buffer[: rows_end - c0]
    row_starts = (
        range(c0, rows_end, chunks[0]) if needed is None else np.unique(needed // chunks[0]) * chunks[0]
    )
    pixels = _pixels(geometry)
    jobs = ((int(r0), y, x, _fetch(images, geometry, int(r0), y, x)) for r0 in row_starts for y, x in pixels)

    def place(job: tuple[int, int, int, Raws]) -> None:
        r0, y, x, raws = job
        _put(out[r0 - c0 : r0 - c0 + chunks[0]], y, x, _tile(geometry, raws, slice(None)))

    _place_all(place, jobs)
    return out[start - c0 : stop - c0]


def read_picked(images: h5py.Dataset, rows: np.ndarray) -> np.ndarray:
    """The images of the sorted absolute rows ``rows`` as one fresh array of len(rows), inflating the chunks
    that hold them in parallel and placing only those rows (no span-sized buffer: a stream block's
    memory is the rows it delivers)."""
    shape, chunks = images.shape, images.chunks
    geometry = _geometry(images)  # plain tuples: the pool's threads never touch an h5py object
    out = np.empty((len(rows), *shape[1:]), dtype=np.uint8)
    if not len(rows):
        return out
    starts = np.unique(rows // chunks[0]) * chunks[0]
    bounds = np.searchsorted(rows, np.append(starts, starts[-1] + chunks[0]))
    pixels = _pixels(geometry)

    def jobs() -> Iterable[tuple[int, int, np.ndarray | slice, int, int, Raws]]:
        for k, r0 in enumerate(starts):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            pick = rows[lo:hi] - r0 if hi - lo < chunks[0] else slice(None)
            for y, x in pixels:
                yield lo, hi, pick, y, x, _fetch(images, geometry, int(r0), y, x)

    def place(job: tuple[int, int, np.ndarray | slice, int, int, Raws]) -> None:
        lo, hi, pick, y, x, raws = job
        _put(out[lo:hi], y, x, _tile(geometry, raws, pick))

    _place_all(place, jobs())
    return out


def _geometry(images: h5py.Dataset) -> Geometry:
    extra = (1,) * (4 - images.ndim)
    return Geometry((*images.shape, *extra), (*images.chunks, *extra), images.ndim)


def _pixels(geometry: Geometry) -> list[tuple[int, int]]:
    """Origins (y, x) of the chunk grid over an image's height and width."""
    (h, w), (ch, cw) = geometry.shape[1:3], geometry.chunks[1:3]
    return list(itertools.product(range(0, h, ch), range(0, w, cw)))


def _fetch(images: h5py.Dataset, geometry: Geometry, r0: int, y: int, x: int) -> Raws:
    """The raw chunks of chunk row r0 at pixel (y, x), one per channel range (h5py's lock: serially)."""
    channels = range(0, geometry.shape[3], geometry.chunks[3])
    return [(c, images.id.read_direct_chunk((r0, y, x, c)[: geometry.ndim])) for c in channels]


def _tile(geometry: Geometry, raws: Raws, pick: np.ndarray | slice) -> np.ndarray:
    """One pixel tile's rows ``pick``, [rows, chunk h, chunk w, C], channels interleaved from its chunks.
    h5py chunks a Galaxy10 file one channel per chunk; interleaving a tile at a time keeps numpy's copy
    loops long (placing each chunk straight into the images runs 16-byte strided loops, and reads blocks
    slower)."""
    shape, chunks = geometry.shape, geometry.chunks
    planes = [(c, _inflate(mask, raw).reshape(chunks)[pick]) for c, (mask, raw) in raws]
    if len(planes) == 1:
        return planes[0][1][..., : shape[3]]
    tile = np.empty((len(planes[0][1]), *chunks[1:3], shape[3]), dtype=np.uint8)
    for c, plane in planes:
        tile[..., c : c + chunks[3]] = plane[..., : shape[3] - c]
    return tile


def _inflate(mask: int, raw: bytes) -> np.ndarray:
    """A raw chunk's bytes, inflated unless its filter mask says deflate was skipped for it."""
    return np.frombuffer(raw if mask & 1 else isal_zlib.decompress(raw), dtype=np.uint8)


def _put(rows: np.ndarray, y: int, x: int, tile: np.ndarray) -> None:
    """Copy a pixel tile into images ``rows`` at (y, x), clipped at the images' (and rows') edges."""
    if rows.ndim == 3:  # grayscale: the tile's one channel
        rows = rows[..., None]
    region = rows[:, y : y + tile.shape[1], x : x + tile.shape[2]]
    region[...] = tile[: region.shape[0], : region.shape[1], : region.shape[2]]
