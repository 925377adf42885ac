"""Input pipeline throughput (images/s delivered from the train split) per mode, on files shaped and
chunked like the real ones. Run with `python -m pytest tests/benchmarks -m benchmark`.

The Galaxy10-shaped file has GALAXY_N images (not 17,736, to keep the run to minutes) of the real
per-image shape and with the chunk shape h5py picks for the full 17,736-image file, gzip-compressed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from datasets.api import open_dataset

pytestmark = pytest.mark.benchmark

GALAXY_N = 3000
GALAXY = {"n": GALAXY_N, "shape": (256, 256, 3), "chunk_like": 17_736}
BATCH = 32
REPO = Path(__file__).resolve().parents[2]


def _epoch_benchmark(benchmark, name: str, mode: str, data_dir: Path, rounds: int = 3) -> None:
    """Time whole epochs of the train split; images/s of each round go into extra_info."""
    ds = open_dataset(name, data_dir=data_dir)
    pipe = ds.tf_dataset("train", BATCH, mode=mode, shuffle=True, seed=0)  # builds the cache in cache mode
    n = ds.split_sizes["train"]

    def epoch() -> int:
        return sum(int(y.shape[0]) for _, y in pipe)

    assert benchmark.pedantic(epoch, rounds=rounds, iterations=1) == n
    times = benchmark.stats.stats.data
    benchmark.extra_info.update(
        examples=n,
        img_s_rounds=[round(n / t, 1) for t in times],
        img_s_median=round(n / benchmark.stats.stats.median, 1),
    )


@pytest.mark.parametrize("mode", ["stream", "cache", "memory"])
def test_galaxy10_shaped_gzip(benchmark, bench_files, tmp_path: Path, mode: str):
    path = bench_files("galaxy-autochunks", **GALAXY)
    _epoch_benchmark(benchmark, f"h5:{path}", mode, tmp_path)


def test_galaxy10_shaped_gzip_per_image_chunks(benchmark, bench_files, tmp_path: Path):
    path = bench_files("galaxy-imagechunks", GALAXY_N, (256, 256, 3), chunk_like=1, per_image=True)
    _epoch_benchmark(benchmark, f"h5:{path}", "stream", tmp_path)


@pytest.mark.parametrize("mode", ["memory", "stream", "cache"])
@pytest.mark.parametrize(
    ("name", "n", "shape"), [("mnist", 70_000, (28, 28, 1)), ("cifar10", 60_000, (32, 32, 3))]
)
def test_small_images(benchmark, bench_files, tmp_path: Path, name: str, n: int, shape, mode: str):
    path = bench_files(f"{name}-shaped", n, shape, chunk_like=n, gzip=False)  # as convert.py writes them
    _epoch_benchmark(benchmark, f"h5:{path}", mode, tmp_path)


@pytest.mark.parametrize("mode", ["stream", "cache", "memory"])
def test_galaxy10_shaped_peak_rss(benchmark, bench_files, tmp_path: Path, mode: str):
    """`bench pipeline` in its own process, so ru_maxrss is the pipeline's alone."""
    path = bench_files("galaxy-autochunks", **GALAXY)
    out = tmp_path / "result.json"
    cmd = [sys.executable, "-m", "bench", "pipeline", f"h5:{path}", "--mode", mode, "--epochs", "2"]
    cmd += ["--data-dir", str(tmp_path), "--json", str(out)]
    benchmark.pedantic(
        lambda: subprocess.run(cmd, cwd=REPO, check=True, capture_output=True), rounds=1, iterations=1
    )
    result = json.loads(out.read_text())
    benchmark.extra_info.update(
        {k: result[k] for k in ("pipeline_img_s_epochs", "rss_before_mb", "peak_rss_mb")}
    )
