"""The seed's galaxy Model 1: its CIFAR-10 CNN on 256x256x3 Galaxy10 images, after augmentation.

The seed reports 3,649,546 parameters. No variant of the CIFAR layers reproduces that number: with
conv 3x3 32/64/64 and a Dense(64) head the count is 56,320 + 64*F + 714 for a flattened size F,
which would need F = 56,133, not a multiple of the 64 channels. Searches find no exact match: at
256x256 over 'same'/'valid' padding per layer, strides 1/2, max-pools of 2/3/4 (floor or ceil) or
none, with one hidden dense layer of any width or two of power-of-two widths (16-1,024); nor at
any square input from 28 to 600 with 2x2 pools or none and one hidden layer of 1-2,047. The closest
variant that keeps its widths (32/64/64, Dense(64)) is Keras' default 'valid' padding, used here:
256 -> 254/127 -> 125/62 -> 60/30, flattened 30*30*64 = 57,600, total 3,743,434 (+93,888, +2.6%
against the seed). With 'same' padding, as in cifar_cnn, it would be 4,251,338 (+16.5%).
The seed's sentence pairing its two counts ("3,649,546 vs 3,532,314") reads either way; neither can
be Model 1's: its Dense(64) takes H x W x 64 inputs, so the count is 57,034 + 4,096 x H x W, and
3,649,546 would need H x W = 877.08, 3,532,314 would need 848.46 (models/search.py,
model1_exact_counts). That holds at any input size, padding and pooling: no exact layout exists.
Augmentation: the seed's flip/rotation/translation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.augment import augmentation
from models.cifar_cnn import conv_classifier
from models.layers import check_build_args, image_input
from models.recipe import Recipe

if TYPE_CHECKING:
    import keras

NAME = "galaxy_cnn"
DESCRIPTION = "seed Model 1: the CIFAR CNN (valid padding) on galaxies, with augmentation"
DEFAULT_INPUT = (256, 256, 3)
DATASETS = ("galaxy10", "galaxy10_sdss")
SEED_PARAMS = 3_649_546
MIN_SIDE = 22  # 22 -> conv 20 -> pool 10 -> conv 8 -> pool 4 -> conv 2 -> pool 1
RECIPE = Recipe(epochs=50)


def build(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """The galaxy CIFAR-style CNN for ``input_shape`` uint8 images (uncompiled)."""
    import keras

    check_build_args(NAME, input_shape, num_classes, MIN_SIDE)
    inputs, x = image_input(input_shape)
    x = augmentation()(x)
    return keras.Model(inputs, conv_classifier(x, num_classes, padding="valid"), name=NAME)
