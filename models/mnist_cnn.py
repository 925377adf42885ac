"""The seed's MNIST CNN: two 3x3 conv/max-pool blocks, Dense(64), softmax; 121,930 parameters.

Keras' default 'valid' padding is what reproduces the seed's count at 28x28x1:
conv 320 + conv 18,496 + dense (5*5*64 -> 64) 102,464 + dense 650 = 121,930.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.layers import check_build_args, image_input, softmax_output
from models.recipe import Recipe

if TYPE_CHECKING:
    import keras

NAME = "mnist_cnn"
DESCRIPTION = "seed MNIST CNN: conv32-pool-conv64-pool-dense64 (valid padding)"
DEFAULT_INPUT = (28, 28, 1)
DATASETS = ("mnist",)
SEED_PARAMS = 121_930
MIN_SIDE = 10  # 10 -> conv 8 -> pool 4 -> conv 2 -> pool 1
RECIPE = Recipe(epochs=5)


def build(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """The MNIST CNN for ``input_shape`` uint8 images and ``num_classes`` classes (uncompiled)."""
    import keras
    from keras import layers

    check_build_args(NAME, input_shape, num_classes, MIN_SIDE)
    inputs, x = image_input(input_shape)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs, softmax_output(x, num_classes), name=NAME)
