"""One training step and one inference step of each model (pytest-benchmark), batch 8, float32.

Shapes: each model's default input, except DenseNet121 at 64x64x3 (at 256x256 one CPU training
step takes seconds). The first graph-mode training step of DenseNet121 traces for ~1.5 minutes on a
2-core CPU; it happens once, untimed, in the fixture.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.flops import forward_flops
from models.registry import MODELS

pytestmark = pytest.mark.benchmark

BATCH = 8
SHAPES = {name: spec.default_input for name, spec in MODELS.items()} | {"densenet121": (64, 64, 3)}


@pytest.fixture(scope="module", params=list(MODELS))
def compiled(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A compiled model of each kind with a batch of uint8 images, already stepped once."""
    spec, shape = MODELS[request.param], SHAPES[request.param]
    model = spec.build(shape, 10)
    spec.recipe.compile(model)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(BATCH, *shape), dtype=np.uint8)
    y = rng.integers(0, 10, size=BATCH).astype(np.int32)
    model.train_on_batch(x, y)
    model.predict_on_batch(x)
    info = {"model": spec.name, "input": "x".join(map(str, shape)), "batch": BATCH,
            "forward_flops_per_image": forward_flops(model)}
    return {"model": model, "x": x, "y": y, "info": info}


def test_train_step(benchmark: Any, compiled: dict[str, Any]) -> None:
    benchmark.group = f"train_step {compiled['info']['model']}"
    benchmark.extra_info.update(compiled["info"])
    logs = benchmark.pedantic(
        compiled["model"].train_on_batch, args=(compiled["x"], compiled["y"]), kwargs={"return_dict": True},
        rounds=5, warmup_rounds=1,
    )
    assert np.isfinite(logs["loss"])


def test_inference_step(benchmark: Any, compiled: dict[str, Any]) -> None:
    benchmark.group = f"inference_step {compiled['info']['model']}"
    benchmark.extra_info.update(compiled["info"])
    probs = benchmark.pedantic(compiled["model"].predict_on_batch, args=(compiled["x"],), rounds=10,
                               warmup_rounds=1)
    assert probs.shape == (BATCH, 10)
