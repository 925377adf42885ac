"""Pieces every network shares: the uint8 input with rescaling, and the float32 softmax head."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def image_input(input_shape: tuple[int, int, int]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A uint8 image input and that image rescaled to [0, 1] in the global policy's compute dtype."""
    import keras

    inputs = keras.Input(shape=input_shape, dtype="uint8", name="image")
    return inputs, keras.layers.Rescaling(1.0 / 255, name="rescale")(inputs)


def softmax_output(x: keras.KerasTensor, num_classes: int) -> keras.KerasTensor:
    """Dense logits then a float32 softmax, so probabilities stay float32 under mixed precision."""
    import keras

    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.layers.Activation("softmax", dtype="float32", name="probabilities")(logits)


def check_build_args(name: str, input_shape: tuple[int, int, int], num_classes: int, min_side: int) -> None:
    """Raise UserError unless the image is HxWxC with both sides >= ``min_side`` and classes >= 2."""
    from bench.errors import UserError

    if num_classes < 2:
        raise UserError(f"{name} needs at least 2 classes, got {num_classes}; check the dataset's labels")
    if len(input_shape) != 3 or min(input_shape[:2]) < min_side or input_shape[2] < 1:
        raise UserError(
            f"{name} needs images of at least {min_side}x{min_side}xC, got {tuple(input_shape)}; "
            f"pick a dataset with larger images or another model (python -m bench models)"
        )
