"""The numpy pipeline mode (keras PyDataset over h5py): every example once per epoch with its own label,
seeded shuffles, max_examples, repeat; the same batches as the tf.data memory mode where TF exists."""

from __future__ import annotations

import numpy as np
import pytest

from bench.errors import UserError
from datasets.api import open_dataset, pipeline_mode_available
from datasets.numpy_feed import H5Batches, Repeat


def _epoch(feed: H5Batches, decode) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels yielded, labels decoded from pixels, indices decoded from pixels) for one epoch."""
    xs, ys = zip(*(feed[i] for i in range(len(feed))), strict=True)
    for x, y in zip(xs, ys, strict=True):
        assert x.dtype == np.uint8 and y.dtype == np.int32 and len(x) == len(y)
    labels, idx = decode(np.concatenate(xs))
    return np.concatenate(ys), labels, idx


@pytest.mark.parametrize("create", [{}, {"compression": "gzip", "chunks": (7, 8, 8, 3)}],
                         ids=["plain", "gzip"])
def test_each_example_once_per_epoch_with_its_label(make_h5, decode, create):
    ds = open_dataset(f"h5:{make_h5(**create)}")
    feed = ds.numpy_dataset("train", 32, shuffle=True, seed=3)
    assert feed.num_batches == len(feed) == -(-ds.split_sizes["train"] // 32)
    first_y, first_labels, first_idx = _epoch(feed, decode)
    assert np.array_equal(first_y, first_labels)  # every image came with its own label
    assert sorted(first_idx) == sorted(ds._splits["train"])  # each train example exactly once
    feed.on_epoch_end()
    _, _, second_idx = _epoch(feed, decode)
    assert sorted(second_idx) == sorted(first_idx) and not np.array_equal(second_idx, first_idx)


def test_shuffle_is_seeded_and_unshuffled_order_matches_labels(make_h5, decode):
    ds = open_dataset(f"h5:{make_h5()}")
    a = _epoch(ds.numpy_dataset("train", 16, shuffle=True, seed=1), decode)[2]
    b = _epoch(ds.numpy_dataset("train", 16, shuffle=True, seed=1), decode)[2]
    c = _epoch(ds.numpy_dataset("train", 16, shuffle=True, seed=2), decode)[2]
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    y, _, idx = _epoch(ds.numpy_dataset("test", 16), decode)
    assert np.array_equal(y, ds.labels("test")) and np.array_equal(idx, ds._splits["test"])


def test_max_examples_and_repeat(make_h5, decode):
    ds = open_dataset(f"h5:{make_h5()}")
    feed = ds.numpy_dataset("train", 8, shuffle=True, seed=0, max_examples=20)
    assert sorted(_epoch(feed, decode)[2]) == sorted(ds._splits["train"][:20])
    forever = ds.numpy_dataset("train", 8, shuffle=True, seed=0, max_examples=20, repeat=True)
    assert forever.num_batches is None
    assert all(len(forever[i][1]) == 8 for i in range(6))  # full batches only: 20 -> 2 of 8 per pass
    epoch0 = np.concatenate([decode(forever[i][0])[1] for i in range(2)])
    epoch1 = np.concatenate([decode(forever[i][0])[1] for i in range(2, 4)])
    assert len(set(epoch0)) == len(set(epoch1)) == 16
    assert set(epoch0) | set(epoch1) <= set(ds._splits["train"][:20])
    assert not np.array_equal(epoch0, epoch1)  # batch i is of epoch i // n: a new permutation


def test_scattered_rows_are_read_sorted_and_returned_in_the_asked_order(make_h5, decode):
    ds = open_dataset(f"h5:{make_h5(n=50)}")
    feed = H5Batches(ds.path, np.arange(50), ds._labels, 10)
    rows = np.array([41, 3, 17, 4, 30])
    assert np.array_equal(decode(feed.read(rows))[1], rows)
    assert np.array_equal(decode(feed.read(np.arange(5, 12)))[1], np.arange(5, 12))  # one slice


def test_repeat_of_one_batch_is_infinite():
    batch = (np.zeros((2, 4, 4, 1), np.uint8), np.zeros(2, np.int32))
    feed = Repeat(batch)
    assert feed.num_batches is None and feed[0] is batch and feed[10**6] is batch


def test_numpy_mode_is_always_available_and_not_a_tf_dataset(make_h5):
    assert pipeline_mode_available("numpy") == (True, "")
    ds = open_dataset(f"h5:{make_h5()}")
    with pytest.raises(UserError, match="Dataset.batches"):
        ds.tf_dataset("train", 8, mode="numpy")
    with pytest.raises(UserError, match="at least 1"):
        ds.numpy_dataset("train", 0)
    assert isinstance(ds.batches("train", 8, mode="numpy"), H5Batches)


def test_same_batches_as_the_tf_data_memory_mode(make_h5, decode):
    pytest.importorskip("tensorflow")
    ds = open_dataset(f"h5:{make_h5()}")
    ours = [ds.numpy_dataset("train", 16, shuffle=True, seed=5)[i] for i in range(3)]
    theirs = list(ds.tf_dataset("train", 16, shuffle=True, seed=5).take(3))
    for (x, y), (tx, ty) in zip(ours, theirs, strict=True):
        assert np.array_equal(x, tx.numpy()) and np.array_equal(y, ty.numpy())
