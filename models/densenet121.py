"""The seed's galaxy Model 3: augmentation, Keras' DenseNet121 (no pretrained weights), dense head.

The seed gives no parameter count for it. Head: global average pooling, Dense(256, relu), dropout,
softmax; 7,037,504 (DenseNet121 features) + 262,400 + 2,570 = 7,302,474 parameters at 10 classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.augment import augmentation
from models.layers import check_build_args, image_input, softmax_output
from models.recipe import Recipe

if TYPE_CHECKING:
    import keras

NAME = "densenet121"
DESCRIPTION = "seed Model 3: augmentation + DenseNet121 (weights=None) + dense256 head"
DEFAULT_INPUT = (256, 256, 3)
DATASETS = ("galaxy10", "galaxy10_sdss", "cifar10")
SEED_PARAMS = None
MIN_SIDE = 32  # keras.applications' minimum for DenseNet
RECIPE = Recipe(epochs=50)
DROPOUT = 0.5


def build(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """DenseNet121 with the seed's augmentation and a dense head, for uint8 images (uncompiled)."""
    import keras
    from keras import layers

    check_build_args(NAME, input_shape, num_classes, MIN_SIDE)
    inputs, x = image_input(input_shape)
    x = augmentation()(x)
    base = keras.applications.DenseNet121(weights=None, include_top=False, input_shape=tuple(input_shape))
    x = base(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(DROPOUT)(x)
    return keras.Model(inputs, softmax_output(x, num_classes), name=NAME)
