"""The model registry: each network's spec (shape, datasets, recipe, builder) and the seed's pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

from bench.errors import UserError
from models import cifar_cnn, densenet121, galaxy_cnn, galaxy_deep, mnist_cnn
from models.recipe import Recipe

if TYPE_CHECKING:
    import keras

# The seed's (dataset, model) pairs: the default suite.
SEED_PAIRS = [
    ("mnist", "mnist_cnn"),
    ("cifar10", "cifar_cnn"),
    ("galaxy10", "galaxy_cnn"),
    ("galaxy10", "galaxy_deep"),
    ("galaxy10", "densenet121"),
]


@dataclass(frozen=True)
class ModelSpec:
    """One network: what it is, its default input, the datasets it pairs with, and its recipe."""

    name: str
    description: str
    default_input: tuple[int, int, int]
    datasets: tuple[str, ...]
    recipe: Recipe
    min_side: int  # smallest image height/width its layers allow
    seed_params: int | None  # parameter count the seed reports at default_input (None: not reported)
    builder: Callable[[tuple[int, int, int], int], keras.Model] = field(repr=False, compare=False)

    def build(self, input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
        """The uncompiled model for uint8 ``input_shape`` images; float32 softmax over ``num_classes``."""
        return self.builder(tuple(input_shape), num_classes)


def _spec(module: ModuleType) -> ModelSpec:
    """A ModelSpec from a model module's NAME, DESCRIPTION, ..., RECIPE and build."""
    return ModelSpec(
        name=module.NAME,
        description=module.DESCRIPTION,
        default_input=module.DEFAULT_INPUT,
        datasets=module.DATASETS,
        recipe=module.RECIPE,
        min_side=module.MIN_SIDE,
        seed_params=module.SEED_PARAMS,
        builder=module.build,
    )


MODELS: dict[str, ModelSpec] = {
    m.NAME: _spec(m) for m in (mnist_cnn, cifar_cnn, galaxy_cnn, galaxy_deep, densenet121)
}


def get_model(name: str) -> ModelSpec:
    """The spec named ``name``; UserError listing the known names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise UserError(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None
