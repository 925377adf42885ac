"""The seed's CIFAR-10 CNN: three 3x3 conv/max-pool blocks (32, 64, 64), Dense(64), dropout, softmax.

With 'same' padding the seed's 122,570 parameters come out exactly at 32x32x3:
896 + 18,496 + 36,928 + dense (4*4*64 -> 64) 65,600 + 650. The dropout rate is not in the seed's
text; 0.5 is the common choice. ``conv_classifier`` is shared with galaxy_cnn (the seed's Model 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.layers import check_build_args, image_input, softmax_output
from models.recipe import Recipe

if TYPE_CHECKING:
    import keras

NAME = "cifar_cnn"
DESCRIPTION = "seed CIFAR-10 CNN: 3x (conv3x3 same + pool) 32/64/64, dense64, dropout"
DEFAULT_INPUT = (32, 32, 3)
DATASETS = ("cifar10",)
SEED_PARAMS = 122_570
MIN_SIDE = 8  # 8 -> pool 4 -> pool 2 -> pool 1
RECIPE = Recipe(epochs=10)
DROPOUT = 0.5


def conv_classifier(x: keras.KerasTensor, num_classes: int, padding: str) -> keras.KerasTensor:
    """The CIFAR layers from a float image tensor to float32 class probabilities."""
    from keras import layers

    for filters in (32, 64, 64):
        x = layers.Conv2D(filters, 3, padding=padding, activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(DROPOUT)(x)
    return softmax_output(x, num_classes)


def build(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """The CIFAR-10 CNN for ``input_shape`` uint8 images and ``num_classes`` classes (uncompiled)."""
    import keras

    check_build_args(NAME, input_shape, num_classes, MIN_SIDE)
    inputs, x = image_input(input_shape)
    return keras.Model(inputs, conv_classifier(x, num_classes, padding="same"), name=NAME)
