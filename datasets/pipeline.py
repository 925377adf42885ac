"""tf.data pipelines from an HDF5 file in the Galaxy10 layout. Images stay uint8 end to end, and no Python
runs per batch: Python reads whole blocks (tens of MB) at most, everything per batch is tf.data's C++.

memory: the split read once into one uint8 tensor (shared with numpy, no copy); each pass a seeded
        permutation of its indices, cut into batches and gathered by tf ops, a group of batches per op.
stream: contiguous block reads (whole HDF5 chunks) in seeded shuffled block order, one tf.numpy_function
        call per window of whole blocks (about SHUFFLE_BUFFER_BYTES, at least one block; gzip chunks
        inflated in parallel, see chunkread.py), decoded ahead of use; each window's rows in a seeded
        order, gathered a group of batches at a time and rebatched across windows, prefetch: memory
        stays bounded whatever the file size (h5py serialises behind one lock and scattered reads are
        slow, so only contiguous ranges are read).
cache:  a decompressed, split-ordered local copy written once, then read like stream (plain block reads).
tfio:   tensorflow-io's HDF5 reader, when it can load (it cannot with TF 2.21).
Every pass (a repeat, or a new iteration as Keras fit makes each epoch) is a new seeded shuffle; with
repeat, each pass's partial last batch is dropped (every step holds batch_size images).
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import tensorflow as tf

from datasets import chunkread, verify
from datasets.h5store import IMAGES, LABELS, new_file

BLOCK_BYTES = 32 << 20  # one contiguous read
SHUFFLE_BUFFER_BYTES = 96 << 20  # the stream's shuffle window: whole blocks, at least one
DECODE_AHEAD = 1  # blocks decoded while the previous one is batched (each block inflates on all cores)
# Not 2: two blocks read at once (two numpy_function calls, each opening the file) segfault inside
# libhdf5 (4 of 4 full-size stream passes; docs/figures/pipelines.md).
GATHER_GROUP_BYTES = 4 << 20  # batches gathered by one op (gathered_batches); one batch when it is larger
ALIGN = 64  # bytes: TensorFlow checks a tensor's alignment (Eigen's)
SLOW_ENV = "BENCH_TEST_PIPELINE_DELAY_S"  # tests only: seconds of sleep added per batch (an input-bound feed)


@dataclass(frozen=True)
class Block:
    """One contiguous read of rows start..stop-1; ``keep`` picks the split's rows in it (None: all)."""

    start: int
    stop: int
    keep: np.ndarray | None
    labels: np.ndarray


class _PythonCalls:
    """The pipelines' Python calls (tf.numpy_function bodies, run on tf.data's threads), quieted at
    interpreter exit. A call still pending when Python finalises waits for the GIL, which the finalising
    thread holds while it destroys a live iterator and waits for that call: a script that exits with a
    repeating pipeline's iterator alive can hang (it did in 4 of 6 runs: the prefetch thread had begun
    the next pass). At exit, before finalisation, new calls are refused (an error to the pipeline) and
    the GIL is let go until no call has run or been refused for QUIET_S."""

    QUIET_S = 0.1

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._exiting = False
        self._last = 0.0
        self._armed = False

    def arm(self) -> None:
        """Called when a pipeline with Python calls is built: from then on, exit waits for them."""
        with self._cond:
            if not self._armed:
                atexit.register(self.drain)
                self._armed = True

    @contextmanager
    def call(self) -> Iterator[None]:
        with self._cond:
            self._last = time.monotonic()
            if self._exiting:
                raise RuntimeError("the interpreter is exiting")
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._last = time.monotonic()
                self._cond.notify_all()

    def drain(self, timeout_s: float = 30.0) -> None:
        with self._cond:
            self._exiting = True
            self._last = start = time.monotonic()  # a call waiting for the GIL gets it in the pause
            while time.monotonic() - start < timeout_s:
                idle = time.monotonic() - self._last
                if self._running == 0 and idle >= self.QUIET_S:
                    return
                self._cond.wait(self.QUIET_S if self._running else self.QUIET_S - idle)


PYTHON_CALLS = _PythonCalls()


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


def read_block(images: h5py.Dataset, block: Block) -> np.ndarray:
    """The block's split rows as a fresh array (handed to tf.data, so never reused)."""
    if chunkread.supported(images):
        rows = np.arange(block.start, block.stop) if block.keep is None else block.start + block.keep
        return chunkread.read_picked(images, rows)
    src = np.empty((block.stop - block.start, *images.shape[1:]), dtype=np.uint8)
    images.read_direct(src, np.s_[block.start : block.stop])
    return src if block.keep is None else np.take(src, block.keep, axis=0)


def read_blocks(images: h5py.Dataset, blocks: list[Block], rows: int) -> np.ndarray:
    """The blocks' split rows (blocks of at most ``rows`` file rows) into one new aligned uint8 array."""
    shape = images.shape[1:]
    out = aligned_empty((sum(len(block.labels) for block in blocks), *shape))
    reader = BlockReader(images, np.empty((rows, *shape), dtype=np.uint8))
    pos = 0
    for block in blocks:
        pos += reader.read_into(block, out[pos:])
    return out


def read_rows(path: Path, idx: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All rows ``idx`` (sorted) into one preallocated uint8 array, by contiguous block reads."""
    with h5py.File(path, "r") as f:
        images = f[IMAGES]
        rows = block_rows(int(np.prod(images.shape[1:])), images.chunks[0] if images.chunks else None)
        try:
            out = read_blocks(images, plan_blocks(idx, labels, rows), rows)
        except verify.READ_ERRORS as exc:
            raise verify.failure(path, images, idx, exc) from None
    return out, labels[idx].astype(np.int32)


def aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised uint8 array whose data is ALIGN-byte aligned, as TensorFlow kernels require."""
    size = int(np.prod(shape))
    raw = np.empty(size + ALIGN, dtype=np.uint8)
    skip = -raw.ctypes.data % ALIGN
    return raw[skip : skip + size].reshape(shape)


def as_tensor(array: np.ndarray) -> tf.Tensor:
    """The array as a tensor sharing its memory (DLPack; copied once into an aligned array if it is not
    aligned); tf.constant would copy it, twice over its size at peak, measured here."""
    if array.size == 0:
        return tf.constant(array)
    if array.ctypes.data % ALIGN or not array.flags.c_contiguous:
        copy = aligned_empty(array.shape)
        copy[...] = array
        array = copy
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())


PerPass = Callable[[tf.Tensor, tf.Tensor | None], tf.data.Dataset]


def _passes(n: int, shuffle: bool, seed: int, per_pass: PerPass, repeat: bool) -> tf.data.Dataset:
    """``per_pass`` applied to each pass's order of 0..n-1 (an int64 tensor) and a seed of its own: with
    ``shuffle`` the k-th pass (a repeat, or a new iteration) is
    np.random.default_rng([seed, k]).permutation(n), as the numpy feed's epoch k; one Python call per
    pass. With ``repeat``, passes forever."""
    if not shuffle:
        one = per_pass(tf.range(n, dtype=tf.int64), None)
        return one.repeat() if repeat else one
    counter = itertools.count()
    PYTHON_CALLS.arm()

    def permutation() -> tuple[np.ndarray, np.int64]:
        with PYTHON_CALLS.call():
            rng = np.random.default_rng([seed, next(counter)])
            return rng.permutation(n).astype(np.int64), np.int64(rng.integers(2**31))

    def one_pass(_: tf.Tensor) -> tf.data.Dataset:
        order, pass_seed = tf.numpy_function(permutation, [], (tf.int64, tf.int64))
        return per_pass(tf.ensure_shape(order, (n,)), tf.ensure_shape(pass_seed, ()))

    return (tf.data.Dataset.counter() if repeat else tf.data.Dataset.range(1)).flat_map(one_pass)


def index_batches(order: tf.Tensor, n: int | tf.Tensor, batch_size: int) -> tf.data.Dataset:
    """The full batches of an order of ``n`` indices, cut by one reshape: one element per batch. Batching
    the indices one by one (Dataset.batch) makes the memory pipeline's tf.data time per batch 1.6-1.8x
    this at batch 32 and 2.4-2.9x at 128."""
    full = n // batch_size
    return tf.data.Dataset.from_tensor_slices(tf.reshape(order[: full * batch_size], (-1, batch_size)))


def gathered_batches(
    x: tf.Tensor, y: tf.Tensor, order: tf.Tensor, n: int | tf.Tensor, batch_size: int, drop_remainder: bool
) -> tf.data.Dataset:
    """(images, labels) batches of the rows of ``x``, ``y`` in ``order`` (``n`` of them). Full batches
    are gathered about GATHER_GROUP_BYTES at a time, one tf.data function call for the group, and cut
    apart again (unbatch): a function call per batch costs the memory mode 2.5-5% of mnist_cnn's 8-ms
    training step against a plain cached pipeline. The partial last batch is kept unless
    ``drop_remainder``."""

    def take(j: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return tf.gather(x, j), tf.gather(y, j)

    group = max(1, GATHER_GROUP_BYTES // (batch_size * int(np.prod(x.shape[1:]))))
    index = index_batches(order, n, batch_size)
    ds = index.map(take) if group == 1 else index.batch(group).map(take).unbatch()
    if drop_remainder:
        return ds
    rest = tf.data.Dataset.from_tensors(order[n // batch_size * batch_size :])
    return ds.concatenate(rest.filter(lambda j: tf.size(j) > 0).map(take))


def _finish(ds: tf.data.Dataset, repeat: bool, n: int, batch_size: int) -> tf.data.Dataset:
    """Prefetch, after asserting the known length (``n`` examples), so that Keras sizes its epochs
    (flat_map and rebatch hide it). The test hook SLOW_ENV slows each batch down."""
    delay = float(os.environ.get(SLOW_ENV) or 0)
    if delay > 0:
        def slow(x: np.ndarray) -> np.ndarray:
            time.sleep(delay)
            return x

        ds = ds.map(lambda x, y: (tf.ensure_shape(tf.numpy_function(slow, [x], tf.uint8), x.shape), y))
    length = tf.data.INFINITE_CARDINALITY if repeat else -(-n // batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(length))
    return ds.prefetch(tf.data.AUTOTUNE)


def memory_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """Whole split in RAM as one uint8 tensor (about the array's size); each pass a seeded permutation of
    indices, batched, and gathered by tf ops."""
    images, y = read_rows(path, idx, labels)
    x_t, y_t = as_tensor(images), tf.constant(y)

    def per_pass(order: tf.Tensor, _: tf.Tensor | None) -> tf.data.Dataset:
        return gathered_batches(x_t, y_t, order, len(y), batch_size, drop_remainder=repeat)  # within a pass

    return _finish(_passes(len(y), shuffle, seed, per_pass, repeat), repeat, len(y), batch_size)


def stream_dataset(
    path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, repeat: bool
) -> tf.data.Dataset:
    """Contiguous block reads in seeded shuffled block order, a window of whole blocks (about
    SHUFFLE_BUFFER_BYTES, at least one) per Python call, decoded ahead; each window's rows in a seeded
    order, gathered a group of batches at a time and rebatched across windows: tf.data works per batch,
    not per row (a row-wise unbatch, shuffle, batch costs 1.4-1.5x this per batch of 128, and 150 MB more
    RSS on a Galaxy10-shaped file)."""
    with h5py.File(path, "r") as f:
        shape = f[IMAGES].shape[1:]
        chunks = f[IMAGES].chunks
    image_bytes = int(np.prod(shape))
    rows = block_rows(image_bytes, chunks[0] if chunks else None)
    blocks = plan_blocks(idx, labels, rows)
    per_window = max(1, SHUFFLE_BUFFER_BYTES // (rows * image_bytes))
    PYTHON_CALLS.arm()

    def read(ids: np.ndarray, pass_seed: np.int64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        picked = [blocks[int(i)] for i in ids]
        with PYTHON_CALLS.call(), h5py.File(path, "r") as f:  # several blocks: into one array, no 2nd copy
            images = f[IMAGES]
            try:
                x = read_block(images, picked[0]) if len(picked) == 1 else read_blocks(images, picked, rows)
            except verify.READ_ERRORS as exc:  # named by file and images; fit meets it as TensorFlow's error
                raise verify.failure(path, images, _rows_of(picked), exc) from None
            y = np.concatenate([block.labels for block in picked])
            n = len(y)
            shuffled = pass_seed >= 0
            order = np.random.default_rng([pass_seed, ids[0]]).permutation(n) if shuffled else np.arange(n)
            return x, y, order.astype(np.int64)

    def decode(ids: tf.Tensor, pass_seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        types = (tf.uint8, tf.int32, tf.int64)
        x, y, order = tf.numpy_function(read, [ids, pass_seed], types, stateful=False)
        vector = (None,)
        return tf.ensure_shape(x, (None, *shape)), tf.ensure_shape(y, vector), tf.ensure_shape(order, vector)

    def cut(x: tf.Tensor, y: tf.Tensor, order: tf.Tensor) -> tf.data.Dataset:
        return gathered_batches(x, y, order, tf.size(order, out_type=tf.int64), batch_size, False)

    def per_pass(order: tf.Tensor, pass_seed: tf.Tensor | None) -> tf.data.Dataset:
        seed_t = tf.constant(-1, tf.int64) if pass_seed is None else pass_seed
        windows = tf.data.Dataset.from_tensor_slices(order).batch(per_window)
        decoded = windows.map(lambda ids: decode(ids, seed_t), num_parallel_calls=DECODE_AHEAD)
        return decoded.flat_map(cut).rebatch(batch_size, drop_remainder=repeat)  # no batch spans two passes

    return _finish(_passes(len(blocks), shuffle, seed, per_pass, repeat), repeat, len(idx), batch_size)


def _rows_of(blocks: list[Block]) -> np.ndarray:
    """The file rows the blocks read, sorted (for naming the images of a failed read)."""
    return np.unique(np.concatenate([np.arange(block.start, block.stop) for block in blocks]))


def build_cache(path: Path, idx: np.ndarray, labels: np.ndarray, cache: Path) -> Path:
    """Write the split's rows, decompressed and in split order, to ``cache`` (once; h5store.new_file: a
    temporary file renamed when whole, removed on failure)."""
    if cache.exists():
        return cache
    with h5py.File(path, "r") as src, new_file(cache) as dst:
        images = src[IMAGES]
        out = dst.create_dataset(IMAGES, shape=(len(idx), *images.shape[1:]), dtype=np.uint8)
        dst.create_dataset(LABELS, data=labels[idx].astype(np.uint8))
        rows = block_rows(int(np.prod(images.shape[1:])), images.chunks[0] if images.chunks else None)
        buffer = np.empty((rows, *images.shape[1:]), dtype=np.uint8)
        reader = BlockReader(images, np.empty_like(buffer))
        pos = 0
        for block in plan_blocks(idx, labels, rows):
            try:
                k = reader.read_into(block, buffer)
            except verify.READ_ERRORS as exc:
                raise verify.failure(path, images, _rows_of([block]), exc) from None
            out[pos : pos + k] = buffer[:k]
            pos += k
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
