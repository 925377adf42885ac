"""tf.data pipelines from an HDF5 file in the Galaxy10 layout. Images stay uint8 end to end.

memory: the split's images read once into one uint8 numpy array, batches gathered from it.
stream: contiguous block reads (whole HDF5 chunks) in seeded shuffled block order, rows shuffled in a
        bounded window and batched in numpy; memory stays bounded whatever the file size (h5py
        serialises behind one lock and scattered fancy-index reads are slow, so only contiguous
        ranges are read; gzip chunks are inflated in parallel, see chunkread.py).
cache:  a decompressed, split-ordered local copy written once, then streamed from.
tfio:   tensorflow-io's HDF5 reader, when it can load (it cannot with TF 2.21).
Every pass (a repeat, or a new iteration as Keras fit makes each epoch) is a new seeded shuffle.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import tensorflow as tf

from datasets import chunkread
from datasets.h5store import IMAGES, LABELS

BLOCK_BYTES = 32 << 20  # one contiguous read
SHUFFLE_BUFFER_BYTES = 96 << 20  # bounded memory for the stream shuffle window


@dataclass(frozen=True)
class Block:
    """One contiguous read of rows start..stop-1; ``keep`` picks the split's rows in it (None: all)."""

    start: int
    stop: int
    keep: np.ndarray | None
    labels: np.ndarray


def block_rows(image_bytes: int, chunk_rows: int | None) -> int:
    """Rows per contiguous read: about BLOCK_BYTES, a whole number of HDF5 chunks."""
    rows = max(1, BLOCK_BYTES // image_bytes)
    if chunk_rows:
        rows = max(chunk_rows, rows // chunk_rows * chunk_rows)
    return rows


def plan_blocks(idx: np.ndarray, labels: np.ndarray, rows: int) -> list[Block]:
    """Group sorted row indices by aligned file block; each group is read as one contiguous range."""
    if len(idx) == 0:
        return []
    cuts = np.flatnonzero(np.diff(idx // rows)) + 1
    blocks = []
    for group in np.split(idx, cuts):
        start, stop = int(group[0]), int(group[-1]) + 1
        keep = None if stop - start == len(group) else group - start
        blocks.append(Block(start, stop, keep, labels[group].astype(np.int32)))
    return blocks


class BlockReader:
    """Reads blocks of one open dataset into reusable buffers (fresh big allocations page-fault slowly)."""

    def __init__(self, images: h5py.Dataset, tmp: np.ndarray) -> None:
        self.images = images
        self.parallel = chunkread.supported(images)
        self.tmp = tmp  # at least one block's rows

    def read_into(self, block: Block, dst: np.ndarray) -> int:
        """Write the block's split rows to the start of ``dst``; returns how many."""
        n = block.stop - block.start
        if self.parallel:
            needed = None if block.keep is None else block.start + block.keep
            src = chunkread.read_rows(self.images, block.start, block.stop, self.tmp, needed)
        elif block.keep is None:
            self.images.read_direct(dst, np.s_[block.start : block.stop], np.s_[0:n])
            return n
        else:
            self.images.read_direct(self.tmp, np.s_[block.start : block.stop], np.s_[0:n])
            src = self.tmp[:n]
        if block.keep is None:
            dst[:n] = src
            return n
        np.take(src, block.keep, axis=0, out=dst[: len(block.keep)])
        return len(block.keep)


def read_rows(path: Path, idx: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All rows ``idx`` (sorted) into one preallocated uint8 array, by contiguous block reads."""
    with h5py.File(path, "r") as f:
        images = f[IMAGES]
        shape = images.shape[1:]
        out = np.empty((len(idx), *shape), dtype=np.uint8)
        rows = block_rows(int(np.prod(shape)), images.chunks[0] if images.chunks else None)
        reader = BlockReader(images, np.empty((rows, *shape), dtype=np.uint8))
        pos = 0
        for block in plan_blocks(idx, labels, rows):
            pos += reader.read_into(block, out[pos:])
    return out, labels[idx].astype(np.int32)


def _epochs(
    repeat: bool, batches: Callable[[], Iterator], sig: tuple[tf.TensorSpec, ...], batch_size: int, n: int
) -> tf.data.Dataset:
    """One pass of the ``batches`` generator per epoch over ``n`` examples, prefetched; the known length
    is asserted so Keras sizes its epochs (and does not warn that the input ran out). With ``repeat``,
    forever and full batches only: each pass's last partial batch is dropped, so every timed step
    holds batch_size images (img/s counts them so) and a jit-compiled step keeps one shape."""
    epochs = tf.data.Dataset.counter() if repeat else tf.data.Dataset.range(1)
    ds = epochs.flat_map(lambda _: tf.data.Dataset.from_generator(batches, output_signature=sig))
    if repeat:
        ds = ds.filter(lambda _, y: tf.shape(y)[0] == batch_size)
    length = tf.data.INFINITE_CARDINALITY if repeat else -(-n // batch_size)
    return ds.apply(tf.data.experimental.assert_cardinality(length)).prefetch(tf.data.AUTOTUNE)


def _signature(shape: tuple[int, ...]) -> tuple[tf.TensorSpec, tf.TensorSpec]:
    return (tf.TensorSpec((None, *shape), tf.uint8), tf.TensorSpec((None,), tf.int32))


def memory_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """Whole split in RAM as uint8 (about the array's size); each epoch a seeded permutation."""
    images, y = read_rows(path, idx, labels)
    epochs = itertools.count()  # each pass, repeated or a new iteration (Keras fit), reshuffles

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = np.random.default_rng([seed, next(epochs)]).permutation(len(y)) if shuffle else None
        for s in range(0, len(y), batch_size):
            if order is None:
                yield images[s : s + batch_size], y[s : s + batch_size]
            else:
                j = order[s : s + batch_size]
                yield images[j], y[j]

    return _epochs(repeat, batches, _signature(images.shape[1:]), batch_size, len(y))


def stream_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """Contiguous block reads in (seeded) shuffled block order; rows shuffled within a bounded window
    of blocks and batched in numpy, so tf.data never handles single images."""
    with h5py.File(path, "r") as f:
        shape = f[IMAGES].shape[1:]
        chunks = f[IMAGES].chunks
    rows = block_rows(int(np.prod(shape)), chunks[0] if chunks else None)
    blocks = plan_blocks(idx, labels, rows)
    window = max(1, SHUFFLE_BUFFER_BYTES // (rows * int(np.prod(shape))))
    spare: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # buffers reused from epoch to epoch

    def buffers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(block read buffer, shuffle window images, window labels), reused when a previous epoch is done."""
        if spare:
            return spare.pop()
        x = np.empty((window * rows + batch_size, *shape), dtype=np.uint8)
        return np.empty((rows, *shape), dtype=np.uint8), x, np.empty(len(x), dtype=np.int32)

    epochs = itertools.count()  # each pass, repeated or a new iteration (Keras fit), reshuffles

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng([seed, next(epochs)])
        order = rng.permutation(len(blocks)) if shuffle else np.arange(len(blocks))
        bufs = buffers()
        tmp, x, y = bufs
        with h5py.File(path, "r") as f:
            reader = BlockReader(f[IMAGES], tmp)
            have = 0  # rows carried over from the previous window
            for g in range(0, len(order), window):
                for b in (blocks[i] for i in order[g : g + window]):
                    k = reader.read_into(b, x[have:])
                    y[have : have + k] = b.labels
                    have += k
                full = have if g + window >= len(order) else have // batch_size * batch_size
                perm = rng.permutation(have) if shuffle else np.arange(have)
                for s in range(0, full, batch_size):
                    j = perm[s : min(s + batch_size, full)]
                    yield (
                        (x[j], y[j]) if shuffle else (x[j[0] : j[-1] + 1].copy(), y[j[0] : j[-1] + 1].copy())
                    )
                rest = perm[full:]
                x[: len(rest)], y[: len(rest)] = x[rest], y[rest]
                have = len(rest)
        spare.append(bufs)  # only after a complete epoch: an abandoned one keeps its own

    return _epochs(repeat, batches, _signature(shape), batch_size, len(idx))


def build_cache(path: Path, idx: np.ndarray, labels: np.ndarray, cache: Path) -> Path:
    """Write the split's rows, decompressed and in split order, to ``cache`` (once; atomic rename)."""
    if cache.exists():
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    with h5py.File(path, "r") as src, h5py.File(tmp, "w") as dst:
        images = src[IMAGES]
        out = dst.create_dataset(IMAGES, shape=(len(idx), *images.shape[1:]), dtype=np.uint8)
        dst.create_dataset(LABELS, data=labels[idx].astype(np.uint8))
        rows = block_rows(int(np.prod(images.shape[1:])), images.chunks[0] if images.chunks else None)
        buffer = np.empty((rows, *images.shape[1:]), dtype=np.uint8)
        reader = BlockReader(images, np.empty_like(buffer))
        pos = 0
        for block in plan_blocks(idx, labels, rows):
            k = reader.read_into(block, buffer)
            out[pos : pos + k] = buffer[:k]
            pos += k
    tmp.replace(cache)
    return cache


def tfio_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """tensorflow-io's HDF5 reader over the whole file, keeping the split's rows (untested with TF 2.21,
    where tensorflow-io cannot load)."""
    import tensorflow_io as tfio

    with h5py.File(path, "r") as f:
        image_bytes = int(np.prod(f[IMAGES].shape[1:]))
    member = np.zeros(len(labels), dtype=bool)
    member[idx] = True
    images = tfio.IODataset.from_hdf5(str(path), dataset=f"/{IMAGES}")
    ds = tf.data.Dataset.zip(tf.data.Dataset.range(len(labels)), images)
    ds = ds.filter(lambda i, _: tf.gather(member, i)).map(
        lambda i, x: (x, tf.gather(labels.astype(np.int32), i))
    )
    if shuffle:
        ds = ds.shuffle(max(batch_size, SHUFFLE_BUFFER_BYTES // image_bytes), seed=seed)
    ds = ds.batch(batch_size, drop_remainder=repeat)  # before repeat: no batch spans two epochs
    return (ds.repeat() if repeat else ds).prefetch(tf.data.AUTOTUNE)


def tfio_available() -> tuple[bool, str]:
    """Whether tensorflow-io loads with this TensorFlow, and why not."""
    try:
        import tensorflow_io as tfio

        tfio.IODataset.from_hdf5  # noqa: B018 - touching it loads the shared library
    except Exception as exc:  # any failure to load (ImportError, undefined symbols, NotImplementedError)
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        return (
            False,
            f"tensorflow-io cannot load with TensorFlow {tf.__version__} ({type(exc).__name__}: {first})",
        )
    return True, f"tensorflow-io {tfio.__version__}"
