"""The datasets interface the runner codes against: open_dataset -> Dataset -> batches (tf.data pipelines,
or the numpy mode's keras PyDataset for machines without TensorFlow)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

from bench.errors import UserError
from datasets import paths, sources, split, synthetic
from datasets.h5store import LABELS, inspect_h5
from datasets.specs import SPECS

if TYPE_CHECKING:
    import tensorflow as tf

    from datasets.numpy_feed import H5Batches

PIPELINE_MODES = ("memory", "stream", "cache", "tfio", "numpy")
TF_DATA_MODES = ("memory", "stream", "cache", "tfio")  # the modes built on tf.data (need TensorFlow)


@dataclass
class Dataset:
    """An opened, validated dataset: its HDF5 file, metadata, stored splits, and tf.data pipelines."""

    name: str
    synthetic: bool
    verified: bool
    path: Path
    image_shape: tuple[int, int, int]
    num_classes: int
    class_names: list[str]
    split_sizes: dict[str, int]
    _splits: dict[str, np.ndarray] = field(repr=False)
    _labels: np.ndarray = field(repr=False)
    _work_dir: Path = field(repr=False)
    _split_seed: int = 0

    def _indices(self, split_name: str, max_examples: int | None) -> np.ndarray:
        if split_name not in self._splits:
            raise UserError(f"unknown split {split_name!r}; choose one of {', '.join(split.SPLITS)}")
        idx = self._splits[split_name]
        if max_examples is not None:
            if max_examples < 1:
                raise UserError(f"max_examples must be at least 1, not {max_examples}")
            idx = idx[:max_examples]
        return idx

    def labels(self, split: str, max_examples: int | None = None) -> np.ndarray:
        """The split's labels (int32) in unshuffled order, as tf_dataset(shuffle=False) yields them."""
        return self._labels[self._indices(split, max_examples)].astype(np.int32)

    def batches(self, split: str, batch_size: int, *, mode: str = "memory", shuffle: bool = False,
                seed: int = 0, repeat: bool = False,
                max_examples: int | None = None) -> tf.data.Dataset | H5Batches:
        """The split's batches in pipeline ``mode``: numpy_dataset for "numpy", tf_dataset otherwise."""
        build = self.numpy_dataset if mode == "numpy" else self.tf_dataset
        kwargs = {} if mode == "numpy" else {"mode": mode}
        return build(split, batch_size, shuffle=shuffle, seed=seed, repeat=repeat, max_examples=max_examples,
                     **kwargs)

    def numpy_dataset(self, split: str, batch_size: int, *, shuffle: bool = False, seed: int = 0,
                      repeat: bool = False, max_examples: int | None = None) -> H5Batches:
        """The "numpy" mode: a keras PyDataset of batches (uint8 [B,H,W,C], int32 [B]) read with h5py,
        with tf_dataset's split, shuffle and max_examples semantics; needs no TensorFlow."""
        if batch_size < 1:
            raise UserError(f"batch size must be at least 1, not {batch_size}")
        from datasets.numpy_feed import H5Batches

        idx = self._indices(split, max_examples)
        _check_repeat(split, len(idx), batch_size, repeat)
        return H5Batches(self.path, idx, self._labels, batch_size, shuffle=shuffle, seed=seed, repeat=repeat)

    def tf_dataset(
        self,
        split: str,
        batch_size: int,
        *,
        mode: str = "memory",
        shuffle: bool = False,
        seed: int = 0,
        repeat: bool = False,
        max_examples: int | None = None,
    ) -> tf.data.Dataset:
        """Batches (uint8 [B,H,W,C], int32 [B]) of the split, each example once per epoch, prefetched;
        with ``repeat``, endless full batches (each pass's partial last batch dropped)."""
        if mode == "numpy":
            raise UserError('pipeline mode "numpy" is a keras PyDataset, not tf.data: use Dataset.batches')
        ok, reason = pipeline_mode_available(mode)
        if not ok:
            raise UserError(
                f"pipeline mode {mode!r} is unavailable: {reason}; use one of memory, stream, cache, numpy"
            )
        if batch_size < 1:
            raise UserError(f"batch size must be at least 1, not {batch_size}")
        idx = self._indices(split, max_examples)
        _check_repeat(split, len(idx), batch_size, repeat)
        from datasets import pipeline

        path = self.path
        if mode == "cache":
            cache = self._work_dir / "cache" / f"{split}-seed{self._split_seed}.h5"
            path = pipeline.build_cache(self.path, self._splits[split], self._labels, cache)
            idx = np.arange(len(idx))
            labels = self._labels[self._splits[split]]
        else:
            labels = self._labels
        build = {
            "memory": pipeline.memory_dataset,
            "stream": pipeline.stream_dataset,
            "cache": pipeline.stream_dataset,
            "tfio": pipeline.tfio_dataset,
        }[mode]
        return build(path, idx, labels, batch_size, shuffle, seed, repeat)


def _check_repeat(split: str, examples: int, batch_size: int, repeat: bool) -> None:
    """UserError when a repeated (full-batches-only) pipeline would have no batch at all."""
    if repeat and examples < batch_size:
        raise UserError(f"the {split} split has {examples} examples, fewer than one batch of {batch_size}: "
                        "lower batch_size, or use more examples (synthetic_examples in the matrix)")


def pipeline_mode_available(mode: str) -> tuple[bool, str]:
    """(True, "") for numpy, and for memory/stream/cache where TensorFlow is installed; for tfio, whether
    tensorflow-io loads here; else (False, why)."""
    if mode not in PIPELINE_MODES:
        return False, f"unknown pipeline mode {mode!r} (known: {', '.join(PIPELINE_MODES)})"
    if mode == "numpy":
        return True, ""
    from bench.importblock import installed

    if not installed("tensorflow"):
        return False, (f'{mode} is a tf.data pipeline and TensorFlow is not installed here; '
                       'use pipeline = "numpy" (h5py batches, no TensorFlow)')
    if mode != "tfio":
        return True, ""
    from datasets.pipeline import tfio_available

    return tfio_available()


def _user_h5_dir(root: Path, path: Path) -> Path:
    st = path.stat()
    name = os.fsencode(path.resolve()) + f"|{st.st_size}|{st.st_mtime_ns}".encode()  # any file name's bytes
    key = hashlib.sha1(name).hexdigest()[:12]
    return root / "h5" / f"{path.stem}-{key}"


def open_dataset(name: str, *, data_dir: Path | None = None, seed: int = 0) -> Dataset:
    """Open a dataset by name (never downloads); missing or bad data is a UserError naming the fix."""
    root = paths.data_dir(data_dir)
    if name.startswith("synthetic:"):
        synthetic.parse(name)
        work = root / "synthetic" / name.removeprefix("synthetic:").replace(":", "-")
        path, verified = synthetic.ensure(name, work), False
        info = inspect_h5(path)
    elif name.startswith("h5:"):
        path = Path(name.removeprefix("h5:")).expanduser()
        info = inspect_h5(path)
        work, verified = _user_h5_dir(root, path), False
    else:
        spec = sources.spec_for(name)
        path, verified = sources.prepare(root, name)
        info = inspect_h5(path, num_classes=spec.num_classes, shape=spec.image_shape)
        work = sources.folder(root, name)
    with h5py.File(path, "r") as f:
        labels = f[LABELS][()]
    splits = split.load_or_make(work, labels, info.official_test_examples, seed)
    class_names = list(SPECS[name].class_names) if name in SPECS else info.class_names
    return Dataset(
        name=name,
        synthetic=name.startswith("synthetic:"),
        verified=verified,
        path=path,
        image_shape=info.image_shape,
        num_classes=info.num_classes,
        class_names=class_names,
        split_sizes={k: len(v) for k, v in splits.items()},
        _splits=splits,
        _labels=labels,
        _work_dir=work,
        _split_seed=seed,
    )
