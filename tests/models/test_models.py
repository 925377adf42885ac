"""Every model: documented parameter count, smallest input, a training step, a prediction, and
float32 probabilities under mixed precision."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bench.errors import UserError
from models.registry import MODELS

# Hand counts at the default input and 10 classes (see each module's docstring).
EXPECTED_PARAMS = {
    "mnist_cnn": 121_930,
    "cifar_cnn": 122_570,
    "galaxy_cnn": 3_743_434,
    "galaxy_deep": 3_532_314,
    "densenet121": 7_302_474,
}
NAMES = list(MODELS)


def _images(shape: tuple[int, ...], n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)


def test_registry_holds_exactly_the_documented_models() -> None:
    assert set(MODELS) == set(EXPECTED_PARAMS)


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count_at_default_input(name: str) -> None:
    spec = MODELS[name]
    model = spec.build(spec.default_input, 10)
    assert model.count_params() == EXPECTED_PARAMS[name]
    if name in ("mnist_cnn", "cifar_cnn", "galaxy_deep"):
        assert model.count_params() == spec.seed_params


# DenseNet121's first graph-mode training step spends ~90 s tracing and optimising its graph on a
# 2-core CPU, so the default suite runs its step eagerly and the graph-mode step is a slow test.
STEP_CASES = [pytest.param(n, False, id=n) for n in NAMES if n != "densenet121"] + [
    pytest.param("densenet121", True, id="densenet121-eager"),
    pytest.param("densenet121", False, id="densenet121-graph", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("name", "eager"), STEP_CASES)
def test_trains_and_predicts_at_smallest_non_square_input(name: str, eager: bool) -> None:
    """At the smallest side the layers allow, non-square, 1 channel, 3 classes: one step each."""
    spec = MODELS[name]
    shape = (spec.min_side, spec.min_side + 5, 1)
    model = spec.build(shape, 3)
    assert model.input.dtype == "uint8"
    spec.recipe.compile(model)
    model.run_eagerly = eager
    x, y = _images(shape, 4), np.array([0, 1, 2, 1], dtype=np.int32)
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    probs = model.predict_on_batch(x)
    assert probs.shape == (4, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_rejects_input_below_smallest_side(name: str) -> None:
    spec = MODELS[name]
    with pytest.raises(UserError, match=f"at least {spec.min_side}x{spec.min_side}"):
        spec.build((spec.min_side - 1, spec.min_side + 5, 3), 10)


def test_rejects_fewer_than_two_classes() -> None:
    with pytest.raises(UserError, match="at least 2 classes"):
        MODELS["mnist_cnn"].build((28, 28, 1), 1)


@pytest.mark.parametrize("name", ["galaxy_cnn", "galaxy_deep"])
def test_galaxy_models_take_sdss_images(name: str) -> None:
    model = MODELS[name].build((69, 69, 3), 10)
    assert model(_images((69, 69, 3), 2), training=False).shape == (2, 10)


@pytest.mark.parametrize("name", NAMES)
def test_float32_probabilities_under_mixed_precision(name: str, mixed_policy: str) -> None:
    spec = MODELS[name]
    shape = (max(spec.min_side, 32), max(spec.min_side, 32), 3)
    model = spec.build(shape, 5)
    compute_dtypes = {layer.compute_dtype for layer in model.layers}
    assert mixed_policy.removeprefix("mixed_") in compute_dtypes  # the policy reached the layers
    probs = model(_images(shape, 2), training=False)
    assert keras.backend.standardize_dtype(probs.dtype) == "float32"
    np.testing.assert_allclose(np.asarray(probs).sum(axis=1), 1.0, rtol=1e-2)


def test_trains_with_augmentation_under_mixed_precision(mixed_policy: str) -> None:
    """A training step (augmentation active) in reduced precision keeps finite loss, float32 output."""
    spec = MODELS["galaxy_cnn"]
    model = spec.build((40, 40, 3), 4)
    spec.recipe.compile(model)
    x, y = _images((40, 40, 3), 4), np.array([0, 1, 2, 3], dtype=np.int32)
    assert np.isfinite(model.train_on_batch(x, y, return_dict=True)["loss"])
    assert model.predict_on_batch(x).dtype == np.float32
