"""The training recipe: the seed's values per model, overriding, compile and early stopping."""

from __future__ import annotations

import dataclasses

import keras
import pytest

from models.recipe import Recipe
from models.registry import MODELS


def test_seed_recipes() -> None:
    epochs = {name: spec.recipe.epochs for name, spec in MODELS.items()}
    assert epochs == {"mnist_cnn": 5, "cifar_cnn": 10, "galaxy_cnn": 50, "galaxy_deep": 50, "densenet121": 50}
    for spec in MODELS.values():
        r = spec.recipe
        assert (r.optimizer, r.validation_split, r.early_stopping_patience) == ("adam", 0.2, 5)
        assert (r.monitor, r.restore_best_weights) == ("val_accuracy", True)


def test_override_with_replace_keeps_the_original() -> None:
    seed = MODELS["cifar_cnn"].recipe
    mine = dataclasses.replace(seed, epochs=3, learning_rate=5e-4)
    assert (mine.epochs, mine.learning_rate, seed.epochs) == (3, 5e-4, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        seed.epochs = 1  # type: ignore[misc]


@pytest.mark.parametrize("jit", [False, True])
def test_compile_sets_optimizer_loss_metrics(jit: bool) -> None:
    model = MODELS["mnist_cnn"].build((28, 28, 1), 10)
    Recipe(epochs=1, learning_rate=2e-3).compile(model, jit_compile=jit)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    assert model.loss == "sparse_categorical_crossentropy"
    assert model.jit_compile is jit
    model.train_on_batch(keras.ops.zeros((2, 28, 28, 1), dtype="uint8"), keras.ops.convert_to_tensor([3, 7]))
    assert "accuracy" in model.get_metrics_result()


def test_callbacks_stop_early_on_validation_accuracy() -> None:
    (stop,) = Recipe(epochs=50, early_stopping_patience=3).callbacks()
    assert isinstance(stop, keras.callbacks.EarlyStopping)
    assert (stop.monitor, stop.patience, stop.restore_best_weights) == ("val_accuracy", 3, True)
