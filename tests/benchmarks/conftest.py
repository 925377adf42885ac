"""Benchmark data: files shaped and chunked like the published ones, with image-like content."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from h5py._hl.filters import guess_chunk

SKY_NOISE = 6.0  # std of the sky's noise (test_pipeline.GALAXY sets the Galaxy10-shaped file's)


def galaxy_like_images(
    n: int, shape: tuple[int, int, int], seed: int = 0, noise: float = SKY_NOISE
) -> np.ndarray:
    """Smooth bright blobs on a noisy sky; ``noise`` sets how much gzip compresses them (the published
    Galaxy10 DECaLS file: compressed/raw ~0.73)."""
    rng = np.random.default_rng(seed)
    h, w, c = shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.empty((n, h, w, c), dtype=np.uint8)
    for i in range(n):
        r = np.hypot(yy - h / 2 + rng.normal(0, 4), xx - w / 2 + rng.normal(0, 4)) / (h / rng.uniform(6, 12))
        blob = 200 * np.exp(-r)[..., None] * rng.uniform(0.5, 1.0, c)
        out[i] = np.clip(blob + rng.normal(12, noise, (h, w, c)), 0, 255).astype(np.uint8)
    return out


def write_like_published(
    path: Path, n: int, shape: tuple[int, int, int], *, chunk_like: int, gzip: bool, per_image: bool = False,
    noise: float = SKY_NOISE,
) -> Path:
    """A Galaxy10-layout file written the way `create_dataset(..., compression="gzip")` lays out a file of
    ``chunk_like`` images (h5py's automatic chunk shape for that size), or one gzip chunk per image."""
    if path.exists():
        return path
    chunks = (1, *shape) if per_image else guess_chunk((chunk_like, *shape), None, 1) if gzip else None
    tmp = path.with_suffix(".tmp")
    with h5py.File(tmp, "w") as f:
        images = f.create_dataset(
            "images", shape=(n, *shape), dtype=np.uint8, chunks=chunks, compression="gzip" if gzip else None
        )
        f.create_dataset("ans", data=(np.arange(n) % 10).astype(np.uint8))
        step = max(1, (64 << 20) // int(np.prod(shape)))
        template = galaxy_like_images(min(step, 512), shape, noise=noise)
        rng = np.random.default_rng(1)
        for s in range(0, n, step):
            m = min(step, n - s)
            images[s : s + m] = np.roll(template, int(rng.integers(0, 512)), axis=0)[
                np.arange(m) % len(template)
            ]
    tmp.replace(path)
    return path


@pytest.fixture(scope="session")
def bench_files(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build (once per session) a benchmark file; see write_like_published."""
    root = tmp_path_factory.mktemp("bench-data")

    def make(
        name: str, n: int, shape: tuple[int, int, int], *, chunk_like: int, gzip: bool = True, **kw
    ) -> Path:
        return write_like_published(root / f"{name}.h5", n, shape, chunk_like=chunk_like, gzip=gzip, **kw)

    return make
