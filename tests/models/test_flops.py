"""FLOP counting: the MNIST CNN against a hand count, nesting, training factor, and refusals."""

from __future__ import annotations

import keras
import pytest

from models.flops import forward_flops, train_flops
from models.registry import MODELS


def test_mnist_cnn_matches_hand_count() -> None:
    # multiply-adds per image: output positions x kernel size, at 28x28x1 with valid padding
    conv1 = 26 * 26 * 32 * (3 * 3 * 1)
    conv2 = 11 * 11 * 64 * (3 * 3 * 32)
    dense1 = (5 * 5 * 64) * 64
    dense2 = 64 * 10
    model = MODELS["mnist_cnn"].build((28, 28, 1), 10)
    assert forward_flops(model) == 2 * (conv1 + conv2 + dense1 + dense2) == 5_056_000
    assert train_flops(model) == 3 * 5_056_000


def test_counts_layers_inside_nested_models() -> None:
    inner = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(6, 3), keras.layers.Flatten()])
    inputs = keras.Input((8, 8, 4))
    outer = keras.Model(inputs, keras.layers.Dense(5)(inner(inputs)))
    assert forward_flops(outer) == 2 * (6 * 6 * 6 * 3 * 3 * 4 + 6 * 6 * 6 * 5)


def test_depthwise_convolution() -> None:
    inputs = keras.Input((10, 10, 4))
    model = keras.Model(inputs, keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(inputs))
    assert forward_flops(model) == 2 * (10 * 10 * 3 * 3 * 4 * 2)


def test_refuses_layers_it_cannot_count() -> None:
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2DTranspose(4, 3)(inputs))
    with pytest.raises(ValueError, match="cannot count"):
        forward_flops(model)


def test_densenet121_features_match_the_published_count() -> None:
    """Keras' DenseNet121 at 224x224 (with its top): the paper reports ~2.87 G multiply-adds."""
    model = keras.applications.DenseNet121(weights=None, input_shape=(224, 224, 3))
    assert forward_flops(model) / 2 == pytest.approx(2.87e9, rel=0.03)


@pytest.mark.parametrize("name", ["mnist_cnn", "cifar_cnn"])
def test_agrees_with_tensorflow_profiler(name: str) -> None:
    """TF's own profiler on the traced forward graph counts the same convolutions and matmuls, plus
    the bias adds, pooling and rescaling that our convention leaves out: at most 2% more."""
    import tensorflow as tf

    spec = MODELS[name]
    model = spec.build(spec.default_input, 10)
    graph = (
        tf.function(lambda x: model(x, training=False))
        .get_concrete_function(tf.TensorSpec([1, *spec.default_input], tf.uint8))
        .graph
    )
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    profiled = tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops
    ours = forward_flops(model)
    assert ours <= profiled <= 1.02 * ours
