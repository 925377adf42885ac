"""The seed's augmentation: random flips/rotations/translations in training only."""

from __future__ import annotations

import numpy as np

from models.augment import augmentation
from models.registry import MODELS


def test_changes_images_only_in_training() -> None:
    images = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    layer = augmentation()
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    assert not np.allclose(np.asarray(layer(images, training=True)), images)


def test_galaxy_models_augment_and_mnist_cifar_do_not() -> None:
    for name, spec in MODELS.items():
        model = spec.build((64, 64, 3), 10)
        has_augmentation = any(layer.name == "augmentation" for layer in model.layers)
        assert has_augmentation == name.startswith(("galaxy", "densenet")), name
