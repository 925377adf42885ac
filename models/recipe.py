"""The seed's training recipe as data: optimizer, loss, epochs, validation and early stopping.

Each model module holds its own ``RECIPE``; override any part with ``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """How the seed trained a model: Adam, cross-entropy, 20% validation, early stopping."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    loss: str = "sparse_categorical_crossentropy"  # integer labels; same loss as categorical CE
    epochs: int
    batch_size: int = 32
    validation_split: float = 0.2
    early_stopping_patience: int = 5
    monitor: str = "val_accuracy"
    restore_best_weights: bool = True

    def compile(self, model: keras.Model, *, jit_compile: bool = False) -> None:
        """Compile ``model`` with this recipe's optimizer, learning rate and loss, tracking accuracy."""
        import keras

        config = {"learning_rate": self.learning_rate}
        optimizer = keras.optimizers.get({"class_name": self.optimizer, "config": config})
        model.compile(optimizer=optimizer, loss=self.loss, metrics=["accuracy"], jit_compile=jit_compile)

    def callbacks(self) -> list[keras.callbacks.Callback]:
        """Early stopping on ``monitor`` with this recipe's patience, restoring the best weights."""
        import keras

        return [
            keras.callbacks.EarlyStopping(
                monitor=self.monitor,
                patience=self.early_stopping_patience,
                restore_best_weights=self.restore_best_weights,
            )
        ]
