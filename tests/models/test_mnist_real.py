"""The seed's MNIST CNN, trained with its recipe on 8,000 real MNIST images, scores >= 0.95 on 2,000
others (the real t10k set, stratified split)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from models.registry import get_model


def _read_idx(path: Path) -> np.ndarray:
    """A uint8 IDX array from a .gz file (header: 0, 0, type 0x08, ndim; then big-endian dims)."""
    with gzip.open(path, "rb") as f:
        zero, dtype, ndim = struct.unpack(">HBB", f.read(4))
        assert (zero, dtype) == (0, 0x08), f"{path} is not a uint8 IDX file"
        shape = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


def test_mnist_cnn_reaches_95_percent_on_real_mnist(mnist_dir: Path) -> None:
    images = _read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[..., None]
    labels = _read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz").astype(np.int32)
    assert images.shape == (10_000, 28, 28, 1) and labels.shape == (10_000,)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, train_size=8_000, test_size=2_000, stratify=labels, random_state=0
    )
    keras.utils.set_random_seed(0)
    spec = get_model("mnist_cnn")
    recipe = spec.recipe
    model = spec.build((28, 28, 1), 10)
    recipe.compile(model)
    model.fit(
        x_train,
        y_train,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        validation_split=recipe.validation_split,
        callbacks=recipe.callbacks(),
        verbose=0,
    )
    accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    assert accuracy >= 0.95
