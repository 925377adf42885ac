"""Synthetic datasets ``synthetic:HxWxC:K:N``: deterministic random uint8 images, for throughput only."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.errors import UserError
from datasets.h5safe import MAX_IMAGE_BYTES
from datasets.h5store import write_h5

PATTERN = re.compile(r"synthetic:(\d+)x(\d+)x(\d+):(\d+):(\d+)")
BLOCK_BYTES = 64 << 20
HEADROOM_BYTES = 64 << 20  # asked for beyond the file's pixels and labels (HDF5's metadata, other files)


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
    if h * w * c > MAX_IMAGE_BYTES:
        raise UserError(f"{name}: one image is {h * w * c:,} bytes, more than the {MAX_IMAGE_BYTES:,} "
                        "galaxybench reads at a time; give smaller images")
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


def _check_room(name: str, folder: Path, needed: int) -> None:
    """UserError when the disk holding ``folder`` has not ``needed`` bytes free (a write that would fill
    the disk is refused before it starts, not left half done)."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise UserError(f"{name} needs {_size(needed)} in {folder} and its disk has {_size(free)} free; "
                        "use fewer examples (the N of synthetic:HxWxC:K:N, or synthetic_examples), or "
                        "another data folder (--data-dir, BENCH_DATA_DIR)")


def _size(n: int) -> str:
    """Bytes as people write them: 1,234.5 GB, or MB below a GB."""
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{n / 1e6:,.1f} MB"


def ensure(name: str, folder: Path) -> Path:
    """The synthetic file for ``name`` in ``folder``, written once (write_h5: its temporary file is
    removed when the write fails)."""
    shape, k, n = parse(name)
    path = folder / f"{shape[0]}x{shape[1]}x{shape[2]}-{k}-{n}.h5"
    if not path.exists():
        _check_room(name, folder, n * (int(np.prod(shape)) + 1) + HEADROOM_BYTES)
        write_h5(
            path,
            _blocks(shape, k, n),
            num_examples=n,
            image_shape=shape,
            class_names=[f"class {i}" for i in range(k)],
            attrs={"synthetic": True},
        )
    return path
