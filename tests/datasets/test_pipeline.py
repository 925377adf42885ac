"""The tf.data pipeline: every example exactly once per epoch with its own label, in every mode,
seeded shuffling, uint8 all the way."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.errors import UserError
from datasets import pipeline
from datasets.api import open_dataset, pipeline_mode_available
from tests.conftest import REPO

MODES = ("memory", "stream", "cache")


def _epoch(ds, decode, **kw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels yielded, labels decoded from pixels, indices decoded from pixels) for one pass."""
    ys, xs = [], []
    for x, y in ds.tf_dataset(**kw):
        assert x.dtype.name == "uint8" and y.dtype.name == "int32"
        xs.append(x.numpy())
        ys.append(y.numpy())
    labels, idx = decode(np.concatenate(xs))
    return np.concatenate(ys), labels, idx


LAYOUTS = {
    "gzip-rows": {"compression": "gzip", "chunks": (7, 12, 10, 3)},  # several images per chunk
    "gzip-tiles": {"compression": "gzip", "chunks": (9, 4, 5, 1)},  # h5py's automatic kind of chunks
    "gzip-image": {"compression": "gzip", "chunks": (1, 12, 10, 3)},
    "gzip+shuffle": {"compression": "gzip", "shuffle": True, "chunks": (7, 12, 10, 3)},  # h5py decodes
    "contiguous": {},
}


@pytest.fixture
def gz_file(make_h5) -> str:
    """A gzip-chunked file (like the published Galaxy10 file) of 600 labelled images."""
    return "h5:" + str(make_h5("gz.h5", n=600, shape=(12, 10, 3), k=6, **LAYOUTS["gzip-tiles"]))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mode", MODES)
def test_every_layout_exactly_once_and_aligned(make_h5, decode, data_dir: Path, mode: str, layout: str):
    ds = open_dataset("h5:" + str(make_h5(f"{layout}.h5", n=600, shape=(12, 10, 3), k=6, **LAYOUTS[layout])))
    y, pixel_labels, idx = _epoch(ds, decode, split="train", batch_size=32, mode=mode, shuffle=True, seed=3)
    assert np.array_equal(y, pixel_labels) and np.array_equal(np.sort(idx), ds._splits["train"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_exactly_once_and_aligned(decode, gz_file: str, data_dir: Path, mode: str, split: str):
    ds = open_dataset(gz_file)
    y, pixel_labels, idx = _epoch(ds, decode, split=split, batch_size=32, mode=mode, shuffle=True, seed=3)
    assert np.array_equal(y, pixel_labels)  # labels stay with their images
    assert np.array_equal(np.sort(idx), ds._splits[split])  # exactly the split, each once
    assert len(y) == ds.split_sizes[split]


@pytest.mark.parametrize("mode", MODES)
def test_unshuffled_order_matches_labels(decode, gz_file: str, data_dir: Path, mode: str):
    ds = open_dataset(gz_file)
    y, _, idx = _epoch(ds, decode, split="train", batch_size=50, mode=mode, max_examples=101)
    assert np.array_equal(y, ds.labels("train", max_examples=101))
    assert np.array_equal(idx, ds._splits["train"][:101])


@pytest.mark.parametrize("mode", MODES)
def test_shuffle_is_seeded_and_epochs_differ(decode, gz_file: str, data_dir: Path, mode: str):
    ds = open_dataset(gz_file)
    orders = [
        _epoch(ds, decode, split="train", batch_size=16, mode=mode, shuffle=True, seed=s)[2]
        for s in (1, 1, 2)
    ]
    assert np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[0], orders[2])
    assert not np.array_equal(orders[0], np.sort(orders[0]))
    n = ds.split_sizes["train"]
    pipe = ds.tf_dataset("train", n, mode=mode, shuffle=True, seed=1)  # no repeat: Keras fit iterates anew
    first, second = (decode(next(iter(pipe))[0].numpy())[1] for _ in range(2))
    assert np.array_equal(np.sort(first), np.sort(second)) and not np.array_equal(first, second)
    it = iter(ds.tf_dataset("train", n, mode=mode, shuffle=True, seed=1, repeat=True).unbatch().batch(n))
    e1, e2 = (decode(next(it)[0].numpy())[1] for _ in range(2))
    assert np.array_equal(np.sort(e1), np.sort(e2)) and not np.array_equal(e1, e2)


def test_splits_identical_across_opens_and_stored_beside(gz_file: str, data_dir: Path):
    a, b = open_dataset(gz_file, seed=4), open_dataset(gz_file, seed=4)
    assert all(np.array_equal(a._splits[k], b._splits[k]) for k in a._splits)
    assert (a._work_dir / "splits-seed4.npz").exists() and not a.verified and not a.synthetic


def test_plan_blocks_reads_contiguous_aligned_ranges():
    idx = np.array([0, 1, 2, 5, 9, 10, 11, 20])
    labels = np.arange(30) % 3
    blocks = pipeline.plan_blocks(idx, labels, rows=10)
    assert [(b.start, b.stop) for b in blocks] == [(0, 10), (10, 12), (20, 21)]
    assert blocks[0].keep.tolist() == [0, 1, 2, 5, 9] and blocks[1].keep is None
    assert pipeline.block_rows(1000, chunk_rows=7) % 7 == 0


def test_synthetic_dataset(data_dir: Path):
    ds = open_dataset("synthetic:9x7x2:3:90")
    assert ds.synthetic and not ds.verified and ds.image_shape == (9, 7, 2) and ds.num_classes == 3
    x, y = next(iter(ds.tf_dataset("train", 8)))
    assert x.shape == (8, 9, 7, 2) and x.dtype.name == "uint8"
    again = open_dataset("synthetic:9x7x2:3:90")
    assert again.path == ds.path and np.array_equal(again.labels("test"), ds.labels("test"))


@pytest.mark.parametrize("name", ["synthetic:9x7:3:90", "synthetic:9x7x2:1:90", "synthetic:9x7x2:300:900"])
def test_bad_synthetic_names(name: str, data_dir: Path):
    with pytest.raises(UserError, match="synthetic"):
        open_dataset(name)


def test_tfio_pipeline_where_tensorflow_io_loads(make_h5, decode, data_dir: Path):
    ok, reason = pipeline_mode_available("tfio")
    if not ok:
        assert not os.environ.get("BENCH_EXPECT_TFIO"), reason  # `tox -e tfio` expects it to load
        pytest.skip(reason)
    ds = open_dataset("h5:" + str(make_h5("tfio.h5", n=300, shape=(12, 10, 3), k=6)))
    y, pixel_labels, idx = _epoch(ds, decode, split="train", batch_size=32, mode="tfio", shuffle=True, seed=3)
    assert np.array_equal(y, pixel_labels) and np.array_equal(np.sort(idx), ds._splits["train"])


def test_tfio_reported_unavailable_with_reason(gz_file: str, data_dir: Path):
    ok, reason = pipeline_mode_available("tfio")
    if ok:
        pytest.skip("tensorflow-io loads here")
    assert "tensorflow-io" in reason
    with pytest.raises(UserError, match="tfio.*unavailable"):
        open_dataset(gz_file).tf_dataset("train", 8, mode="tfio")


def test_bad_mode_split_and_batch(gz_file: str, data_dir: Path):
    ds = open_dataset(gz_file)
    assert pipeline_mode_available("warp") == (
        False,
        "unknown pipeline mode 'warp' (known: memory, stream, cache, tfio, numpy)",
    )
    with pytest.raises(UserError, match="unknown pipeline mode"):
        ds.tf_dataset("train", 8, mode="warp")
    with pytest.raises(UserError, match="unknown split"):
        ds.tf_dataset("training", 8)
    with pytest.raises(UserError, match="batch size"):
        ds.tf_dataset("train", 0)


@pytest.mark.parametrize("mode", (*MODES, "numpy"))
def test_repeated_pipelines_yield_full_batches_only(gz_file: str, data_dir: Path, mode: str):
    """Throughput counts batch_size images per step, so a repeated pipeline must never yield a partial
    batch (each pass's remainder is dropped; the next pass reshuffles, so no example is lost for good)."""
    ds = open_dataset(gz_file)
    n = ds.split_sizes["train"]
    b = 7 if n % 7 else 6
    assert n % b and n > b
    steps = 3 * (n // b) + 2  # crosses several pass ends
    pipe = ds.batches("train", b, mode=mode, shuffle=True, seed=3, repeat=True)
    sizes = [len(pipe[i][1]) for i in range(steps)] if mode == "numpy" else \
        [int(y.shape[0]) for _, y in pipe.take(steps)]
    assert sizes == [b] * steps
    with pytest.raises(UserError, match="fewer than one batch"):
        ds.batches("train", n + 1, mode=mode, repeat=True)


@given(n=st.integers(0, 300), batch_size=st.integers(1, 64), drop=st.booleans(),
       group_bytes=st.integers(1, 4096))
@settings(deadline=None)
def test_gathered_batches_follow_the_order(n: int, batch_size: int, drop: bool, group_bytes: int):
    """Whatever the group of batches one gather takes, the batches hold the rows in ``order``, all full
    but the last when it is kept."""
    order = np.random.default_rng(n).permutation(n).astype(np.int64)
    x = np.arange(n * 3, dtype=np.uint8).reshape(n, 3)
    y = np.arange(n, dtype=np.int32)
    with patch.object(pipeline, "GATHER_GROUP_BYTES", group_bytes):
        x_t, y_t, order_t = tf.constant(x), tf.constant(y), tf.constant(order)
        got = list(pipeline.gathered_batches(x_t, y_t, order_t, n, batch_size, drop))
    kept = n - n % batch_size if drop else n
    last = [n % batch_size] if kept % batch_size else []
    assert [len(b) for _, b in got] == [batch_size] * (n // batch_size) + last
    labels = np.concatenate([b.numpy() for _, b in got]) if got else np.empty(0, np.int32)
    assert np.array_equal(labels, order[:kept])
    assert all(np.array_equal(a.numpy(), x[b.numpy()]) for a, b in got)


@pytest.mark.parametrize("mode", ["stream", "cache"])
def test_windows_of_many_blocks(decode, gz_file: str, data_dir: Path, mode: str, monkeypatch):
    """Small blocks (20 rows: 18 in the gzip file, whole chunks of 9) and windows of 3 blocks, the last
    one partial: every example once per pass with its label, seeded, rows mixed across the blocks of a
    window, full batches when repeating."""
    monkeypatch.setattr(pipeline, "BLOCK_BYTES", 20 * 12 * 10 * 3)
    monkeypatch.setattr(pipeline, "SHUFFLE_BUFFER_BYTES", 3 * 18 * 12 * 10 * 3)
    ds = open_dataset(gz_file)
    y, pixel_labels, idx = _epoch(ds, decode, split="train", batch_size=16, mode=mode, shuffle=True, seed=5)
    assert np.array_equal(y, pixel_labels) and np.array_equal(np.sort(idx), ds._splits["train"])
    assert np.array_equal(idx, _epoch(ds, decode, split="train", batch_size=16, mode=mode, shuffle=True,
                                      seed=5)[2])
    # stream reads the file's aligned blocks; cache, its split-ordered copy's
    block_of = {i: i // 18 if mode == "stream" else n // 20 for n, i in enumerate(ds._splits["train"])}
    first = {block_of[i] for i in idx[:16]}
    assert 1 < len(first) <= 3  # one window's rows, from more than one of its blocks
    unshuffled = _epoch(ds, decode, split="train", batch_size=16, mode=mode)[2]
    assert np.array_equal(unshuffled, ds._splits["train"])
    forever = ds.tf_dataset("train", 16, mode=mode, shuffle=True, seed=5, repeat=True)
    n, seen = ds.split_sizes["train"], []
    for x, _ in forever.take(2 * (n // 16)):
        assert len(x) == 16
        seen.extend(decode(x.numpy())[1])
    assert len(set(seen[: n // 16 * 16])) == n // 16 * 16  # no example twice within one pass


EXIT_CHILD = """
import sys
import h5py, numpy as np
from datasets import pipeline as P
n, y = 2048, np.zeros(2048, np.int32)
with h5py.File(sys.argv[1], "w") as f:
    f["images"] = np.zeros((n, 28, 28, 1), np.uint8)
    f["ans"] = y.astype(np.uint8)
alive = [iter(make(sys.argv[1], np.arange(n), y, 128, True, 0, True))
         for make in (P.memory_dataset, P.stream_dataset)]
for _ in range(300):
    for it in alive:
        next(it)
"""


def test_a_script_exits_with_repeating_iterators_alive(tmp_path: Path):
    """Exit with a repeating memory and stream iterator alive and their prefetch threads mid-pass: this
    hung (a pending Python call waiting for the GIL held by the finalising thread) in 4 of 6 runs."""
    for run in range(3):
        out = subprocess.run([sys.executable, "-c", EXIT_CHILD, str(tmp_path / f"{run}.h5")], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]


def test_python_calls_refused_after_exit_begins_and_running_ones_awaited():
    calls, finished = pipeline._PythonCalls(), []

    def slow_call() -> None:
        with calls.call():
            time.sleep(0.3)
            finished.append(True)

    worker = threading.Thread(target=slow_call)
    worker.start()
    time.sleep(0.05)
    calls.drain()
    assert finished == [True]  # the running call was awaited
    with pytest.raises(RuntimeError, match="exiting"), calls.call():
        pass
    worker.join()
