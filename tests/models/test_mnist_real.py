"""The seed's MNIST CNN, trained with its recipe on 8,000 real MNIST images (the t10k set's stratified
train + validation splits), scores >= 0.95 on the other 2,000 (its test split)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from datasets import sources
from datasets.api import open_dataset
from models.registry import get_model


def test_mnist_cnn_reaches_95_percent_on_real_mnist(mnist_dir: Path, data_dir: Path) -> None:
    sources.import_source(data_dir, "mnist", mnist_dir)
    ds = open_dataset("mnist")
    assert ds.verified and not ds.synthetic
    assert ds.split_sizes == {"train": 6_400, "val": 1_600, "test": 2_000}  # val = 20% of 8,000
    keras.utils.set_random_seed(0)
    spec = get_model("mnist_cnn")
    recipe = spec.recipe
    model = spec.build(ds.image_shape, ds.num_classes)
    recipe.compile(model)
    model.fit(
        ds.tf_dataset("train", recipe.batch_size, shuffle=True, seed=0),
        validation_data=ds.tf_dataset("val", recipe.batch_size),
        epochs=recipe.epochs,
        callbacks=recipe.callbacks(),
        shuffle=False,  # the training split is already shuffled by tf_dataset(shuffle=True)
        verbose=0,
    )
    probs = model.predict(ds.tf_dataset("test", 256), verbose=0)
    accuracy = float(np.mean(probs.argmax(axis=1) == ds.labels("test")))
    assert accuracy >= 0.95
