"""The seed's galaxy Model 2: seven conv layers from a 10x10x8 first kernel, with augmentation.

The seed describes it only as 7 conv layers, the first 10x10 with 8 filters, filter counts growing
gradually and a mix of kernel sizes, with 3,532,314 parameters. This reconstruction keeps that
description and the CIFAR-style head (Dense(64), dropout, softmax) of Model 1, and picks the
unstated details (filters 8-16-24-32-32-64-64, kernels 10-5-5-3-3-3-3, max-pools after conv 2, 4
and 6, 'valid' padding on the last two convs) so the count is exactly the seed's at 256x256x3:
convs 86,864 + dense (29*29*64 -> 64) 3,444,800 + 650 = 3,532,314. Many other layouts also match,
so FLOPs and speed are this model's, not necessarily the seed's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.augment import augmentation
from models.layers import check_build_args, image_input, softmax_output
from models.recipe import Recipe

if TYPE_CHECKING:
    import keras

NAME = "galaxy_deep"
DESCRIPTION = "seed Model 2 (reconstructed): 7 convs 10x10x8 .. 3x3x64, dense64, with augmentation"
DEFAULT_INPUT = (256, 256, 3)
DATASETS = ("galaxy10", "galaxy10_sdss")
SEED_PARAMS = 3_532_314
MIN_SIDE = 32  # 32 -> pool 16 -> pool 8 -> valid 6 -> pool 3 -> valid 1
RECIPE = Recipe(epochs=50)
DROPOUT = 0.5
# (filters, kernel, padding, max-pool after)
CONVS = (
    (8, 10, "same", False),
    (16, 5, "same", True),
    (24, 5, "same", False),
    (32, 3, "same", True),
    (32, 3, "same", False),
    (64, 3, "valid", True),
    (64, 3, "valid", False),
)


def build(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """The 7-conv galaxy CNN for ``input_shape`` uint8 images and ``num_classes`` classes (uncompiled)."""
    import keras
    from keras import layers

    check_build_args(NAME, input_shape, num_classes, MIN_SIDE)
    inputs, x = image_input(input_shape)
    x = augmentation()(x)
    for filters, kernel, padding, pool in CONVS:
        x = layers.Conv2D(filters, kernel, padding=padding, activation="relu")(x)
        if pool:
            x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(DROPOUT)(x)
    return keras.Model(inputs, softmax_output(x, num_classes), name=NAME)
