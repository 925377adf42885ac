"""The "numpy" pipeline mode: a keras.utils.PyDataset reading batches from the HDF5 file with h5py.

For machines without TensorFlow (e.g. only PyTorch): every Keras backend accepts a PyDataset. Same
semantics as Dataset.tf_dataset: the split's rows (capped by max_examples), uint8 [B,H,W,C] images and
int32 [B] labels, each example once per epoch, and with shuffle each epoch a new permutation seeded by
(seed, epoch). Each batch is read with one h5py call over its rows in increasing file order (h5py
requires that, and scattered reads are slow, DESIGN.md; an unshuffled batch is one contiguous slice),
then put back in the permuted order. Finite epochs count up in on_epoch_end; with repeat the dataset is
infinite and batch i is batch i mod n of epoch i // n (a new iteration starts again at epoch 0).
Fit should be given shuffle=False, so that Keras does not reorder the batches with Python's random.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import keras
import numpy as np

from datasets import verify
from datasets.h5store import IMAGES


class H5Batches(keras.utils.PyDataset):
    """Batches of the rows ``idx`` of an HDF5 file in the Galaxy10 layout."""

    def __init__(self, path: Path, idx: np.ndarray, labels: np.ndarray, batch_size: int, *,
                 shuffle: bool = False, seed: int = 0, repeat: bool = False) -> None:
        # workers=2, threads or processes, is no faster on 2 cores: a worker takes its CPU from the
        # training there
        super().__init__(workers=1, use_multiprocessing=False)
        self.path, self.idx = Path(path), np.asarray(idx)
        self.labels = np.asarray(labels)[self.idx].astype(np.int32)
        self.batch_size, self.shuffle, self.seed, self.repeat = batch_size, shuffle, seed, repeat
        # repeat: full batches only (each pass's partial last batch dropped), as the tf.data modes
        self.batches_per_epoch = len(self.idx) // batch_size if repeat else -(-len(self.idx) // batch_size)
        self.epoch = 0
        self._order: tuple[int, np.ndarray] | None = None
        self._file: h5py.File | None = None

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch; None (infinite) with repeat."""
        return None if self.repeat else self.batches_per_epoch

    def __len__(self) -> int:
        return self.batches_per_epoch

    def on_epoch_end(self) -> None:
        """The next epoch gets the next seeded permutation."""
        self.epoch += 1

    def order(self, epoch: int) -> np.ndarray:
        """Positions into the split for one epoch: a permutation seeded by (seed, epoch), or in order."""
        if not self.shuffle:
            return np.arange(len(self.idx))
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.idx)))
        return self._order[1]

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch i: (uint8 images, int32 labels)."""
        n = self.batches_per_epoch
        epoch, b = (i // n, i % n) if self.repeat else (self.epoch, i)
        if not 0 <= b < n:
            raise IndexError(f"batch {i} of {n}")
        pos = self.order(epoch)[b * self.batch_size:(b + 1) * self.batch_size]
        return self.read(self.idx[pos]), self.labels[pos]

    def read(self, rows: np.ndarray) -> np.ndarray:
        """The images of file rows ``rows`` (any order), read in increasing row order in one call."""
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        images = self._file[IMAGES]
        try:
            if len(rows) and rows[-1] - rows[0] + 1 == len(rows) and np.all(np.diff(rows) == 1):
                return images[int(rows[0]):int(rows[-1]) + 1]
            sort = np.argsort(rows)
            out = np.empty((len(rows), *images.shape[1:]), dtype=np.uint8)
            out[sort] = images[rows[sort]]
        except verify.READ_ERRORS as exc:  # a corrupt chunk: one line naming the file and the images
            raise verify.failure(self.path, images, np.sort(rows), exc) from None
        return out


class Repeat(keras.utils.PyDataset):
    """One batch, forever: training on it measures the model without any input pipeline."""

    def __init__(self, batch: tuple[np.ndarray, np.ndarray]) -> None:
        super().__init__()
        self.batch = batch

    @property
    def num_batches(self) -> None:
        """Infinite."""
        return None

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.batch
