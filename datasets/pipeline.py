"""tf.data pipelines from an HDF5 file in the Galaxy10 layout. Images stay uint8 end to end.

memory: the split's images read once into one uint8 numpy array, batches gathered from it.
stream: contiguous h5py block reads in shuffled block order, shuffled within the block, plus a
        shuffle buffer; memory stays bounded whatever the file size (h5py serialises behind one lock
        and scattered fancy-index reads are slow, so only contiguous ranges are read).
cache:  a decompressed, split-ordered local copy written once, then streamed from.
tfio:   tensorflow-io's HDF5 reader, when it can load (it cannot with TF 2.21).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import tensorflow as tf

from datasets.h5store import IMAGES, LABELS

BLOCK_BYTES = 32 << 20  # one contiguous read
SHUFFLE_BUFFER_BYTES = 96 << 20  # bounded memory for the stream shuffle buffer


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


def read_block(images: h5py.Dataset, block: Block) -> np.ndarray:
    """The block's split rows, read as one contiguous slice."""
    x = images[block.start : block.stop]
    return x if block.keep is None else x[block.keep]


def read_rows(path: Path, idx: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All rows ``idx`` (sorted) into one preallocated uint8 array, by contiguous block reads."""
    with h5py.File(path, "r") as f:
        images = f[IMAGES]
        shape = images.shape[1:]
        out = np.empty((len(idx), *shape), dtype=np.uint8)
        rows = block_rows(int(np.prod(shape)), images.chunks[0] if images.chunks else None)
        pos = 0
        for block in plan_blocks(idx, labels, rows):
            x = read_block(images, block)
            out[pos : pos + len(x)] = x
            pos += len(x)
    return out, labels[idx].astype(np.int32)


def _epochs(repeat: bool) -> tf.data.Dataset:
    return tf.data.Dataset.counter() if repeat else tf.data.Dataset.range(1)


def _signature(shape: tuple[int, ...]) -> tuple[tf.TensorSpec, tf.TensorSpec]:
    return (tf.TensorSpec((None, *shape), tf.uint8), tf.TensorSpec((None,), tf.int32))


def memory_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """Whole split in RAM as uint8 (about the array's size); each epoch a seeded permutation."""
    images, y = read_rows(path, idx, labels)

    def batches(epoch: np.int64) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = np.random.default_rng([seed, int(epoch)]).permutation(len(y)) if shuffle else None
        for s in range(0, len(y), batch_size):
            if order is None:
                yield images[s : s + batch_size], y[s : s + batch_size]
            else:
                j = order[s : s + batch_size]
                yield images[j], y[j]

    sig = _signature(images.shape[1:])
    ds = _epochs(repeat).flat_map(
        lambda e: tf.data.Dataset.from_generator(batches, args=(e,), output_signature=sig)
    )
    return ds.prefetch(tf.data.AUTOTUNE)


def stream_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """Contiguous block reads in (seeded) shuffled block order plus a bounded shuffle buffer."""
    with h5py.File(path, "r") as f:
        shape = f[IMAGES].shape[1:]
        chunks = f[IMAGES].chunks
    image_bytes = int(np.prod(shape))
    blocks = plan_blocks(idx, labels, block_rows(image_bytes, chunks[0] if chunks else None))

    def rows(epoch: np.int64) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng([seed, int(epoch)])
        order = rng.permutation(len(blocks)) if shuffle else range(len(blocks))
        with h5py.File(path, "r") as f:
            images = f[IMAGES]
            for b in order:
                x, y = read_block(images, blocks[b]), blocks[b].labels
                if shuffle:
                    p = rng.permutation(len(y))
                    x, y = x[p], y[p]
                yield x, y

    sig = _signature(shape)
    buffer = max(batch_size, SHUFFLE_BUFFER_BYTES // image_bytes)

    def epoch(e: tf.Tensor) -> tf.data.Dataset:
        ds = tf.data.Dataset.from_generator(rows, args=(e,), output_signature=sig).unbatch()
        if shuffle:  # inside the epoch, so no example crosses into the next one
            ds = ds.shuffle(buffer, seed=seed)
        return ds.batch(batch_size)

    return _epochs(repeat).flat_map(epoch).prefetch(tf.data.AUTOTUNE)


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
        pos = 0
        for block in plan_blocks(idx, labels, rows):
            x = read_block(images, block)
            out[pos : pos + len(x)] = x
            pos += len(x)
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
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


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
