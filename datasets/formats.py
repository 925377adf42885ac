"""Readers of the published raw formats (MNIST IDX/.npz, CIFAR-10 binary tarball, sklearn digits) into
uint8 arrays N x H x W x C plus uint8 labels. Nothing is unpickled; archives are never extracted."""

from __future__ import annotations

import gzip
import struct
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from bench.errors import UserError

IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801
CIFAR_DIR = "cifar-10-batches-bin"
CIFAR_TRAIN = tuple(f"{CIFAR_DIR}/data_batch_{i}.bin" for i in range(1, 6))
CIFAR_TEST = (f"{CIFAR_DIR}/test_batch.bin",)
CIFAR_RECORD = 1 + 32 * 32 * 3

Arrays = tuple[np.ndarray, np.ndarray]


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (.gz or raw): images as N x H x W x 1 uint8, labels as N uint8."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{path} is not a readable IDX file ({exc}); download it again") from None
    if len(data) < 8:
        raise UserError(f"{path} is too short to be an IDX file; download it again")
    magic = struct.unpack(">I", data[:4])[0]
    ndim = {IDX_IMAGES_MAGIC: 3, IDX_LABELS_MAGIC: 1}.get(magic)
    if ndim is None:
        raise UserError(f"{path} has IDX magic {magic:#010x}, not an MNIST images/labels file")
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise UserError(f"{path} holds {body.size} bytes for shape {dims}: truncated; download it again")
    return body.reshape(*dims, 1) if ndim == 3 else body.reshape(dims)


def read_idx_pair(images: Path, labels: Path) -> Arrays:
    """An MNIST images/labels IDX pair, checked to have matching lengths and labels 0..9."""
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 4 or y.ndim != 1 or len(x) != len(y):
        raise UserError(f"{images.name} and {labels.name} do not form an images/labels pair of equal length")
    return x, y


def read_mnist_npz(path: Path) -> tuple[Arrays, Arrays]:
    """Keras's mnist.npz (no pickle): ((x_train, y_train), (x_test, y_test)), images N x 28 x 28 x 1."""
    try:
        with np.load(path, allow_pickle=False) as z:
            parts = [z[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, ValueError, KeyError, zlib.error, EOFError) as exc:
        raise UserError(f"{path} is not a readable mnist.npz ({exc}); download it again") from None
    xtr, ytr, xte, yte = parts
    return (xtr[..., None].astype(np.uint8), ytr.astype(np.uint8)), (
        xte[..., None].astype(np.uint8),
        yte.astype(np.uint8),
    )


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Refuse members that could escape an extraction folder: absolute, '..', links, devices."""
    p = PurePosixPath(member.name)
    if p.is_absolute() or ".." in p.parts or not (member.isfile() or member.isdir()):
        raise UserError(
            f"{archive} holds an unsafe member {member.name!r} (absolute path, '..', link or device); "
            "it is not the CIFAR-10 tarball, download it again from the official site"
        )


def read_cifar_tar(path: Path) -> tuple[Arrays, Arrays]:
    """The CIFAR-10 binary tarball read member by member (never extracted): (train, test), HWC uint8."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = tar.getmembers()
            for m in members:
                _check_member(m, path)
            by_name = {m.name: m for m in members}
            missing = [n for n in CIFAR_TRAIN + CIFAR_TEST if n not in by_name]
            if missing:
                raise UserError(
                    f"{path} lacks {missing[0]}: not the CIFAR-10 binary tarball; download it again"
                )
            train = _cifar_batches(tar, [by_name[n] for n in CIFAR_TRAIN])
            test = _cifar_batches(tar, [by_name[n] for n in CIFAR_TEST])
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{path} is not a readable CIFAR-10 tarball ({exc}); download it again") from None
    return train, test


def _cifar_batches(tar: tarfile.TarFile, members: list[tarfile.TarInfo]) -> Arrays:
    """Records of 1 label byte + 3072 pixel bytes (CHW) from binary batch members."""
    raw = b"".join(tar.extractfile(m).read() for m in members)
    if len(raw) % CIFAR_RECORD:
        raise UserError(f"CIFAR-10 batch {members[0].name} is truncated; download the tarball again")
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
    images = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), rec[:, 0].copy()


def read_digits() -> Arrays:
    """scikit-learn's bundled 8x8 digits (values 0..16) as uint8 N x 8 x 8 x 1 scaled to 0..255."""
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return images, d.target.astype(np.uint8)
