"""Shared set-up of every scenario: open the data, build and compile the model, describe both."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from bench.config.cell import Cell
from bench.errors import UserError
from bench.outcome import DataUnavailable


@dataclass
class Workload:
    """What a scenario works on, and the record fields that describe it."""

    dataset: Any  # datasets.api.Dataset
    model: Any  # keras.Model, compiled
    recipe: Any  # models.recipe.Recipe
    fields: dict[str, Any]
    strategy: Any = None  # the cell's tf.distribute strategy (bench.cell.strategy), None for strategy none


def load(cell: Cell) -> Workload:
    """Open the dataset (never downloads), build and compile the model with the cell's settings
    (inside the cell's tf.distribute strategy scope, when it has one)."""
    from bench.cell import strategy as distribution
    from bench.cell.scenarios.feed import input_feed
    from datasets.api import open_dataset
    from datasets.specs import SPECS
    from models.flops import forward_flops
    from models.registry import get_model

    spec = get_model(cell.model)  # UserError for an unknown model is a configuration error
    strategy = distribution.make_strategy(cell)  # before any TensorFlow op (multiworker needs that)
    try:
        ds = open_dataset(cell.dataset, seed=cell.seed)
    except UserError as exc:
        raise DataUnavailable(str(exc)) from None
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = spec.build(tuple(ds.image_shape), ds.num_classes)
        spec.recipe.compile(model, jit_compile=cell.jit_compile)
    named = cell.stands_for or cell.dataset
    flops = forward_flops(model)
    fields = {
        "input_feed": input_feed(cell),
        "synthetic": bool(ds.synthetic), "data_verified": bool(ds.verified), "dataset_path": str(ds.path),
        "input_shape": list(ds.image_shape), "num_classes": ds.num_classes,
        "train_examples": _train_examples(ds, cell),
        "full_epoch_examples": SPECS[named].full_epoch_examples if named in SPECS else None,
        "params": int(model.count_params()), "forward_flops_per_image": int(flops),
        "train_flops_per_image": 3 * int(flops), **distribution.fields(cell),
    }
    return Workload(dataset=ds, model=model, recipe=spec.recipe, fields=fields, strategy=strategy)


def _train_examples(ds: Any, cell: Cell) -> int:
    """Training examples the cell uses (the split, capped by max_train_examples)."""
    n = int(ds.split_sizes["train"])
    return min(n, cell.max_train_examples) if cell.max_train_examples else n
