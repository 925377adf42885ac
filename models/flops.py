"""Forward FLOPs per image, counted from a built Keras model's own layers and output shapes.

Convention (as in the ResNet/DenseNet papers): every multiply-add of a convolution or dense layer
is 2 FLOPs; bias adds, activations, pooling, normalization and augmentation are not counted. Any
other layer with a matrix-shaped weight raises, so nothing heavy is silently left out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

TRAIN_FACTOR = 3  # a training step ~ forward + backward (2x forward): 3x the forward FLOPs


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one image's forward pass through ``model`` (multiply-add = 2)."""
    return 2 * sum(_layer_macs(layer) for layer in _leaf_layers(model))


def train_flops(model: keras.Model) -> int:
    """FLOPs of one image's training step: ``TRAIN_FACTOR`` x the forward FLOPs."""
    return TRAIN_FACTOR * forward_flops(model)


def _leaf_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Every non-model layer of ``model``, descending into nested models (e.g. DenseNet121)."""
    import keras

    leaves = []
    for layer in model.layers:
        leaves.extend(_leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return leaves


def _layer_macs(layer: keras.layers.Layer) -> int:
    """Multiply-adds per image: every output position applies the whole kernel once."""
    from keras import layers

    if isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D, layers.DepthwiseConv2D, layers.Dense)):
        positions = math.prod(int(d) for d in layer.output.shape[1:-1])
        return positions * math.prod(layer.kernel.shape)
    if any(len(w.shape) >= 2 for w in layer.weights):
        raise ValueError(f"forward_flops cannot count layer {layer.name!r} ({type(layer).__name__})")
    return 0
