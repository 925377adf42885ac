"""Synthetic datasets ``synthetic:HxWxC:K:N``: deterministic random uint8 images, for throughput only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.errors import UserError
from datasets.h5store import write_h5

PATTERN = re.compile(r"synthetic:(\d+)x(\d+)x(\d+):(\d+):(\d+)")
BLOCK_BYTES = 64 << 20


def parse(name: str) -> tuple[tuple[int, int, int], int, int]:
    """(image shape, classes, examples) from ``synthetic:HxWxC:K:N``."""
    m = PATTERN.fullmatch(name)
    if not m:
        raise UserError(
            f"bad synthetic dataset name {name!r}; "
            "write synthetic:HxWxC:K:N, e.g. synthetic:256x256x3:10:2048"
        )
    h, w, c, k, n = (int(g) for g in m.groups())
    if min(h, w, c, n) < 1 or not 2 <= k <= 256 or n < k:
        raise UserError(f"{name}: need H, W, C >= 1, 2..256 classes and at least one example per class")
    return (h, w, c), k, n


def _blocks(shape: tuple[int, int, int], k: int, n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)  # fixed: the same name always gives the same bytes
    rows = max(1, BLOCK_BYTES // int(np.prod(shape)))
    for s in range(0, n, rows):
        m = min(rows, n - s)
        yield (
            rng.integers(0, 256, size=(m, *shape), dtype=np.uint8),
            (np.arange(s, s + m) % k).astype(np.uint8),
        )


def ensure(name: str, folder: Path) -> Path:
    """The synthetic file for ``name`` in ``folder``, written once."""
    shape, k, n = parse(name)
    path = folder / f"{shape[0]}x{shape[1]}x{shape[2]}-{k}-{n}.h5"
    if not path.exists():
        write_h5(
            path,
            _blocks(shape, k, n),
            num_examples=n,
            image_shape=shape,
            class_names=[f"class {i}" for i in range(k)],
            attrs={"synthetic": True},
        )
    return path
