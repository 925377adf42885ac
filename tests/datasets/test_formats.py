"""Readers and converters of the published formats, on files of the real formats built here and on
the real MNIST test set."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from bench.errors import UserError
from datasets import convert, formats, sources
from datasets.api import open_dataset


def write_idx(path: Path, array: np.ndarray) -> Path:
    magic = formats.IDX_IMAGES_MAGIC if array.ndim == 3 else formats.IDX_LABELS_MAGIC
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes())
    return path


def test_idx_roundtrip(tmp_path: Path):
    x = np.arange(5 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(5, 28, 28)
    y = np.array([3, 1, 4, 1, 5], np.uint8)
    images, labels = formats.read_idx_pair(write_idx(tmp_path / "i.gz", x), write_idx(tmp_path / "l.gz", y))
    assert images.shape == (5, 28, 28, 1) and np.array_equal(images[..., 0], x) and np.array_equal(labels, y)


def test_idx_truncated_and_bad_magic(tmp_path: Path):
    path = tmp_path / "t.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">IIII", formats.IDX_IMAGES_MAGIC, 10, 28, 28) + b"\0" * 100)
    with pytest.raises(UserError, match="truncated"):
        formats.read_idx(path)
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">II", 1234, 1))
    with pytest.raises(UserError, match="magic"):
        formats.read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match="not a readable IDX"):
        formats.read_idx(path)


def test_real_mnist_t10k_imports_with_published_label_counts(mnist_dir: Path, data_dir: Path):
    sources.import_source(data_dir, "mnist", mnist_dir)
    ds = open_dataset("mnist")
    assert ds.verified and not ds.synthetic and ds.image_shape == (28, 28, 1)
    with h5py.File(ds.path, "r") as f:
        counts = np.bincount(f["ans"][()], minlength=10)
        assert f["images"].shape == (10_000, 28, 28, 1) and f["images"][()].max() == 255
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    # the t10k-only folder is a smaller dataset: a stratified 20% test split, then 20% validation
    assert ds.split_sizes == {"train": 6400, "val": 1600, "test": 2000}


def test_real_mnist_checksum_mismatch_is_refused(mnist_dir: Path, data_dir: Path, tmp_path: Path):
    bad = tmp_path / "idx"
    bad.mkdir()
    x, y = formats.read_idx_pair(
        mnist_dir / "t10k-images-idx3-ubyte.gz", mnist_dir / "t10k-labels-idx1-ubyte.gz"
    )
    x = x.copy()
    x[0, 0, 0, 0] ^= 1
    write_idx(bad / "t10k-images-idx3-ubyte.gz", x[..., 0])
    write_idx(bad / "t10k-labels-idx1-ubyte.gz", y)
    with pytest.raises(UserError, match="checksum mismatch"):
        sources.import_source(data_dir, "mnist", bad)


def test_mnist_npz_has_official_test_split(tmp_path: Path):
    rng = np.random.default_rng(0)
    npz = tmp_path / "mnist.npz"
    np.savez(
        npz,
        x_train=rng.integers(0, 256, (500, 28, 28), dtype=np.uint8),
        y_train=np.arange(500) % 10,
        x_test=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
        y_test=np.arange(100) % 10,
    )
    (train, test) = formats.read_mnist_npz(npz)
    assert train[0].shape == (500, 28, 28, 1) and test[1].dtype == np.uint8
    out = convert.convert("mnist", npz, tmp_path / "mnist.h5", verified=False)
    with h5py.File(out, "r") as f:
        assert f.attrs["official_test_examples"] == 100 and np.array_equal(
            f["images"][500:, ..., 0], test[0][..., 0]
        )


def test_mnist_npz_with_pickled_objects_is_refused(tmp_path: Path):
    npz = tmp_path / "mnist.npz"
    np.savez(npz, x_train=np.array([object()], dtype=object))
    with pytest.raises(UserError, match="not a readable mnist.npz"):
        formats.read_mnist_npz(npz)


def _cifar_tar(path: Path, n: int = 4, extra: tarfile.TarInfo | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (6 * n, 32, 32, 3), dtype=np.uint8)
    labels = (np.arange(6 * n) % 10).astype(np.uint8)
    with tarfile.open(path, "w:gz") as tar:
        for b, name in enumerate(formats.CIFAR_TRAIN + formats.CIFAR_TEST):
            sl = slice(b * n, (b + 1) * n)
            rec = np.concatenate([labels[sl, None], images[sl].transpose(0, 3, 1, 2).reshape(n, -1)], axis=1)
            info = tarfile.TarInfo(name)
            info.size = rec.nbytes
            tar.addfile(info, io.BytesIO(rec.tobytes()))
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"x" * extra.size) if extra.isfile() else None)
    return images, labels


def test_cifar_binary_tarball(tmp_path: Path):
    images, labels = _cifar_tar(tmp_path / "c.tar.gz")
    (xtr, ytr), (xte, yte) = formats.read_cifar_tar(tmp_path / "c.tar.gz")
    assert (
        xtr.shape == (20, 32, 32, 3) and np.array_equal(xtr, images[:20]) and np.array_equal(yte, labels[20:])
    )


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink"])
def test_cifar_unsafe_members_are_refused(tmp_path: Path, kind: str):
    name = {"absolute": "/etc/evil", "dotdot": "cifar-10-batches-bin/../../evil", "symlink": "link"}[kind]
    info = tarfile.TarInfo(name)
    if kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    else:
        info.size = 1
    _cifar_tar(tmp_path / "c.tar.gz", extra=info)
    with pytest.raises(UserError, match="unsafe member") as exc:
        formats.read_cifar_tar(tmp_path / "c.tar.gz")
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "evil").exists()


def test_cifar_truncated_tarball(tmp_path: Path):
    _cifar_tar(tmp_path / "c.tar.gz")
    data = (tmp_path / "c.tar.gz").read_bytes()
    (tmp_path / "c.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="CIFAR-10"):
        formats.read_cifar_tar(tmp_path / "c.tar.gz")


def test_digits_is_real_uint8_data(data_dir: Path):
    ds = open_dataset("digits")
    assert ds.image_shape == (8, 8, 1) and sum(ds.split_sizes.values()) == 1797 and not ds.verified
    with h5py.File(ds.path, "r") as f:
        images = f["images"][()]
    assert images.dtype == np.uint8 and images.max() == 255 and images.min() == 0
