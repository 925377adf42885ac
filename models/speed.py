"""Train img/s of two models side by side: interleaved rounds, each model in a fresh process.

``python -m models.speed galaxy_deep galaxy_cnn`` prints each round's img/s and the median ratio
first / second, on synthetic uint8 images of each model's default input (batch 32, float32, the
model's recipe). Interleaving puts both models under the same background load in every round, so
the ratio holds up on a shared machine where the img/s themselves do not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLASSES = 10


def measure(name: str, batch: int, warmup: int, steps: int) -> float:
    """Train img/s of model ``name`` over ``steps`` timed steps after ``warmup`` untimed ones."""
    import numpy as np

    from models.registry import get_model

    spec = get_model(name)
    model = spec.build(spec.default_input, CLASSES)
    spec.recipe.compile(model)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(batch, *spec.default_input), dtype=np.uint8)
    y = rng.integers(0, CLASSES, size=batch).astype(np.int32)
    for _ in range(warmup):
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return batch * steps / (time.perf_counter() - start)


def _child(name: str, batch: int, warmup: int, steps: int) -> float:
    """``measure`` in a fresh Python process (its own TensorFlow, no state from the other model)."""
    out = subprocess.run(
        [sys.executable, "-m", "models.speed", "--child", name, "--batch", str(batch),
         "--warmup", str(warmup), "--steps", str(steps)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["img_s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["galaxy_deep", "galaxy_cnn"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps({"img_s": measure(args.child, args.batch, args.warmup, args.steps)}))
        return 0
    first, second = args.models
    ratios = []
    for r in range(1, args.rounds + 1):
        a = _child(first, args.batch, args.warmup, args.steps)
        b = _child(second, args.batch, args.warmup, args.steps)
        ratios.append(a / b)
        print(f"round {r}: {first} {a:.2f} img/s, {second} {b:.2f} img/s, ratio {a / b:.3f}", flush=True)
    print(f"median train img/s ratio {first} / {second}: {statistics.median(ratios):.3f} "
          f"(time ratio {1 / statistics.median(ratios):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
