"""The registry of named (real) datasets: shapes, class names, source files, URLs and checksums."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.errors import UserError

TEST_FRACTION = 0.2
VAL_FRACTION = 0.2


@dataclass(frozen=True)
class SourceFile:
    """One published file; ``digest`` is "sha256:<hex>" or "md5:<hex>" of the file as published,
    ``content_digest`` the same for its gzip-decompressed bytes (the canonical check for IDX .gz)."""

    name: str
    url: str
    digest: str | None = None
    size: int | None = None
    content_digest: str | None = None

    @property
    def sha256(self) -> str | None:
        """The published sha256, where the publisher gives one."""
        return self.digest.split(":", 1)[1] if self.digest and self.digest.startswith("sha256:") else None


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: what it holds and where it comes from."""

    name: str
    description: str
    image_shape: tuple[int, int, int]
    num_classes: int
    class_names: tuple[str, ...]
    num_examples: int
    official_test_examples: int | None
    files: tuple[SourceFile, ...]
    alt_files: tuple[SourceFile, ...] = ()  # another accepted form (MNIST's four IDX .gz files)
    bundled: bool = False  # ships with a package (digits): nothing to download

    @property
    def urls(self) -> tuple[str, ...]:
        """Download URLs of the primary files."""
        return tuple(f.url for f in self.files)

    @property
    def full_epoch_examples(self) -> int:
        """Training images per epoch of the full dataset: test removed, then 20% validation removed."""
        return split_counts(self.num_examples, self.official_test_examples)["train"]


def split_counts(n: int, official_test: int | None) -> dict[str, int]:
    """Split sizes of the standard recipe (sklearn's train_test_split rounding: test = ceil(f * n))."""
    test = official_test if official_test else math.ceil(TEST_FRACTION * n)
    rest = n - test
    val = math.ceil(VAL_FRACTION * rest)
    return {"train": rest - val, "val": val, "test": test}


DIGIT_NAMES = tuple(str(d) for d in range(10))
CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# Galaxy10 DECaLS (Leung & Bovy; Walmsley et al. Galaxy Zoo DECaLS). astroNN's galaxy10cls_lookup is the
# SDSS list and is wrong for DECaLS (it calls class 3 "Smooth, Cigar shaped").
GALAXY10_DECALS_NAMES = (
    "Disturbed",
    "Merging",
    "Round Smooth",
    "In-between Round Smooth",
    "Cigar Shaped Smooth",
    "Barred Spiral",
    "Unbarred Tight Spiral",
    "Unbarred Loose Spiral",
    "Edge-on without Bulge",
    "Edge-on with Bulge",
)
GALAXY10_SDSS_NAMES = (
    "Disk, Face-on, No Spiral",
    "Smooth, Completely round",
    "Smooth, in-between round",
    "Smooth, Cigar shaped",
    "Disk, Edge-on, Rounded Bulge",
    "Disk, Edge-on, Boxy Bulge",
    "Disk, Edge-on, No Bulge",
    "Disk, Face-on, Tight Spiral",
    "Disk, Face-on, Medium Spiral",
    "Disk, Face-on, Loose Spiral",
)

_MNIST_IDX = "https://storage.googleapis.com/cvdf-datasets/mnist/"

SPECS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec(
            name="mnist",
            description="MNIST handwritten digits (LeCun et al.), 28x28 grey",
            image_shape=(28, 28, 1),
            num_classes=10,
            class_names=DIGIT_NAMES,
            num_examples=70_000,
            official_test_examples=10_000,
            files=(
                SourceFile(
                    "mnist.npz",
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                    "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                ),
            ),
            alt_files=(
                SourceFile(
                    "train-images-idx3-ubyte.gz",
                    _MNIST_IDX + "train-images-idx3-ubyte.gz",
                    "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
                    content_digest="md5:6bbc9ace898e44ae57da46a324031adb",
                ),
                SourceFile(
                    "train-labels-idx1-ubyte.gz",
                    _MNIST_IDX + "train-labels-idx1-ubyte.gz",
                    "md5:d53e105ee54ea40749a09fcbcd1e9432",
                    content_digest="md5:a25bea736e30d166cdddb491f175f624",
                ),
                SourceFile(
                    "t10k-images-idx3-ubyte.gz",
                    _MNIST_IDX + "t10k-images-idx3-ubyte.gz",
                    "md5:9fb629c4189551a2d022fa330f9573f3",
                    content_digest="md5:2646ac647ad5339dbf082846283269ea",
                ),
                SourceFile(
                    "t10k-labels-idx1-ubyte.gz",
                    _MNIST_IDX + "t10k-labels-idx1-ubyte.gz",
                    "md5:ec29112dd5afa0611ce80d1b7f02629c",
                    content_digest="md5:27ae3e4e09519cfbb04c329615203637",
                ),
            ),
        ),
        DatasetSpec(
            name="cifar10",
            description="CIFAR-10 (Krizhevsky), 32x32 colour, binary version (no pickle)",
            image_shape=(32, 32, 3),
            num_classes=10,
            class_names=CIFAR10_NAMES,
            num_examples=60_000,
            official_test_examples=10_000,
            files=(
                SourceFile(
                    "cifar-10-binary.tar.gz",
                    "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                    "md5:c32a1d4ab5d03f1284b67883e8d87530",
                    size=170_052_171,
                ),
            ),
        ),
        DatasetSpec(
            name="galaxy10",
            description="Galaxy10 DECaLS (astroNN), 256x256 colour galaxy images, one HDF5 file",
            image_shape=(256, 256, 3),
            num_classes=10,
            class_names=GALAXY10_DECALS_NAMES,
            num_examples=17_736,
            official_test_examples=None,
            files=(
                SourceFile(
                    "Galaxy10_DECals.h5",
                    "https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
                    "sha256:19aefc477c41bb7f77ff07599a6b82a038dc042f889a111b0d4d98bb755c1571",
                ),
            ),
        ),
        DatasetSpec(
            name="galaxy10_sdss",
            description="Galaxy10 SDSS (astroNN), 69x69 colour galaxy images, one HDF5 file",
            image_shape=(69, 69, 3),
            num_classes=10,
            class_names=GALAXY10_SDSS_NAMES,
            num_examples=21_785,
            official_test_examples=None,
            files=(
                SourceFile(
                    "Galaxy10.h5",
                    "https://zenodo.org/records/10844811/files/Galaxy10.h5",
                    "sha256:969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af",
                ),
            ),
        ),
        DatasetSpec(
            name="digits",
            description="scikit-learn's bundled 8x8 handwritten digits (UCI), scaled to 0..255",
            image_shape=(8, 8, 1),
            num_classes=10,
            class_names=DIGIT_NAMES,
            num_examples=1_797,
            official_test_examples=None,
            files=(),
            bundled=True,
        ),
    )
}


def synthetic_name_for(real_name: str, n: int) -> str:
    """The synthetic dataset name with a real dataset's image shape and class count."""
    if real_name not in SPECS:
        raise UserError(f"unknown dataset {real_name!r}; choose one of {', '.join(SPECS)}")
    spec = SPECS[real_name]
    h, w, c = spec.image_shape
    return f"synthetic:{h}x{w}x{c}:{spec.num_classes}:{n}"
