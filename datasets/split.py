"""Seeded, stratified train/val/test splits, stored beside the HDF5 data so every cell of a run agrees."""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from bench.errors import UserError, notice
from datasets.specs import split_counts

SPLITS = ("train", "val", "test")


def make_splits(labels: np.ndarray, official_test: int, seed: int) -> dict[str, np.ndarray]:
    """Official test rows (the last ones) or a stratified 20% test split, then 20% of the rest as val."""
    n = len(labels)
    counts = split_counts(n, official_test or None)
    if official_test:
        test, rest = np.arange(n - official_test, n), np.arange(n - official_test)
    else:
        rest, test = _stratified(np.arange(n), labels, counts["test"], seed)
    train, val = _stratified(rest, labels[rest], counts["val"], seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def _stratified(idx: np.ndarray, y: np.ndarray, n_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        return train_test_split(idx, test_size=n_out, stratify=y, random_state=seed)
    except ValueError as exc:
        raise UserError(
            f"cannot make a stratified split of {len(idx)} examples ({exc}); use more examples per class"
        ) from None


def _labels_digest(labels: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(labels, dtype=np.int64).tobytes()).hexdigest()


def split_path(folder: Path, seed: int) -> Path:
    """Where the splits of one seed are stored."""
    return folder / f"splits-seed{seed}.npz"


def _read_stored(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a splits file; None when there is none, or (said on stderr) when it is damaged."""
    if not path.exists():
        return None
    keys = ("labels_sha1", "official_test", *SPLITS)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in keys}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        notice(f"{path} is damaged ({exc or type(exc).__name__}); making the splits again "
               "(seeded: the same ones)")
        return None


def load_or_make(folder: Path, labels: np.ndarray, official_test: int, seed: int) -> dict[str, np.ndarray]:
    """The stored splits for ``seed`` if they belong to these labels, else made now and stored."""
    path = split_path(folder, seed)
    digest = _labels_digest(labels)
    stored = _read_stored(path)
    if stored is not None and str(stored["labels_sha1"]) == digest \
            and int(stored["official_test"]) == official_test:
        return {k: stored[k] for k in SPLITS}
    splits = make_splits(labels, official_test, seed)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.savez(f, labels_sha1=digest, official_test=official_test, **splits)
    tmp.replace(path)
    return splits
