"""A made-up run folder for the share, registry and machines tests.

EVERY NUMBER HERE IS MADE UP TEST INPUT (not a measurement): it only exercises the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENV: dict[str, Any] = {
    "hostname": "testbox",
    "os": "Linux-6.1-x86_64-with-glibc2.36",
    "python": "3.11.7",
    "cpu_model": "Made-Up CPU 9000",
    "cpu": {"brand_raw": "Made-Up CPU 9000", "arch": "X86_64", "count": 2, "flags": ["avx2"]},
    "logical_cores": 2,
    "physical_cores": 2,
    "ram_gb": 15.6,
    "packages": {"tensorflow-cpu": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"},
    "env": {},
    "nvml_gpus": [],
    "tf_version": "2.21.0",
    "keras_version": "3.15.1",
    "tf_gpus": [],
    "gpu_count": 0,
    "peak_gflop_s": {"cpu": 100.0},
    "peak_source": {"cpu": "tensorflow"},
}
MATRIX = 'name = "made-up"\nsource = "made-up.toml"\n'
PAIRS = {"mnist_cnn": ("mnist", "28x28x1", 48_000, 15.0e6),
         "galaxy_cnn": ("galaxy10", "256x256x3", 11_350, 1.0e9)}


def record(cell_id: str, img_s: float, model: str = "mnist_cnn", **fields: Any) -> dict[str, Any]:
    """A made-up ok throughput record on synthetic data of the real shape, overridden by fields."""
    data, shape, examples, flops = PAIRS[model]
    out: dict[str, Any] = {
        "schema_version": 1, "cell_id": cell_id, "status": "ok", "reason": None,
        "dataset": f"synthetic:{shape}:10:256", "stands_for": data, "model": model, "device": "cpu",
        "threads": "auto", "inter_threads": "auto", "backend": "tensorflow", "strategy": "none",
        "replicas": 1, "batch_size": 32, "precision": "float32", "jit_compile": False, "pipeline": "memory",
        "mode": "throughput", "seed": 0, "synthetic": True, "full_epoch_examples": examples,
        "train_img_s": img_s, "infer_img_s": 3 * img_s, "train_flops_per_image": flops,
        "train_gflop_s": img_s * flops / 1e9, "peak_gflop_s": 100.0, "peak_rss_mb": 900.0, "wall_s": 20.0,
        "finished_at": "2026-11-25T20:00:00+00:00",
    }
    out.update(fields)
    return out


def write_run(folder: Path, records: list[dict[str, Any]], env: dict[str, Any] | None = None,
              matrix: str = MATRIX) -> Path:
    """A run folder holding these records, env.json and matrix.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "env.json").write_text(json.dumps(ENV if env is None else env))
    (folder / "matrix.toml").write_text(matrix)
    return folder
