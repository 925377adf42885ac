"""The seed's data augmentation for the galaxy models, as Keras layers inside the model.

Keras' random image layers transform only when called with ``training=True``; at inference they
pass images through unchanged, so the same model serves training and prediction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def augmentation() -> keras.Sequential:
    """RandomFlip horizontal, RandomRotation(0.2), RandomTranslation(0.2, 0.2): the seed's pipeline."""
    import keras

    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomRotation(0.2),
            keras.layers.RandomTranslation(0.2, 0.2),
        ],
        name="augmentation",
    )
