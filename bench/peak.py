"""A device's float32 GEMM peak (GFLOP/s), measured once per run so achieved FLOP/s has a scale.

With TensorFlow installed its matmul measures the CPU and the GPUs it sees; a GPU only PyTorch sees (e.g.
native Windows, where TensorFlow has no GPU support) is measured with torch; without TensorFlow the CPU
is measured with torch, else numpy. env.json's peak_source names the library used per device.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.importblock import installed

GEMM_N = 2048


def gemm_peak_gflop_s(tf: Any, device: str, n: int = GEMM_N, repeats: int = 10) -> float:
    """Best of `repeats` timed n x n float32 matmuls on `device` ("/CPU:0", "/GPU:0"), in GFLOP/s."""
    with tf.device(device):
        a = tf.random.uniform((n, n), dtype=tf.float32)
        b = tf.random.uniform((n, n), dtype=tf.float32)

        @tf.function
        def matmul_corner(x: Any, y: Any) -> Any:
            return tf.matmul(x, y)[0, 0]  # fetching one element waits for the whole product

        matmul_corner(a, b).numpy()
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            matmul_corner(a, b).numpy()
            best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def _best_gflop_s(matmul: Callable[[], Any], n: int, repeats: int) -> float:
    """GFLOP/s of the fastest of `repeats` calls of a synchronous n x n matmul (after one warm-up)."""
    matmul()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        matmul()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def torch_peak_gflop_s(device: str, n: int = GEMM_N, repeats: int = 10) -> float:
    """The same measurement with torch on "cpu" or "cuda:N" (synchronised after each product)."""
    import torch

    a = torch.rand((n, n), dtype=torch.float32, device=device)
    b = torch.rand((n, n), dtype=torch.float32, device=device)

    def matmul() -> None:
        torch.matmul(a, b)
        if device.startswith("cuda"):
            torch.cuda.synchronize(device)

    return _best_gflop_s(matmul, n, repeats)


def numpy_peak_gflop_s(n: int = GEMM_N, repeats: int = 10) -> float:
    """The same measurement with numpy's BLAS on the CPU."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    return _best_gflop_s(lambda: a @ b, n, repeats)


def device_peaks(info: dict[str, Any]) -> dict[str, Any]:
    """peak_gflop_s and peak_source for cpu and every GPU a backend sees (env.json's backend_gpus)."""
    peaks: dict[str, float] = {}
    source: dict[str, str] = {}
    tf_gpus = info["backend_gpus"].get("tensorflow", 0)
    if info.get("tf_version"):
        import tensorflow as tf

        peaks["cpu"], source["cpu"] = gemm_peak_gflop_s(tf, "/CPU:0"), "tensorflow"
        for i in range(tf_gpus):
            peaks[f"gpu:{i}"], source[f"gpu:{i}"] = gemm_peak_gflop_s(tf, f"/GPU:{i}"), "tensorflow"
    elif installed("torch"):
        peaks["cpu"], source["cpu"] = torch_peak_gflop_s("cpu"), "torch"
    else:
        peaks["cpu"], source["cpu"] = numpy_peak_gflop_s(), "numpy"
    for i in range(tf_gpus, info["backend_gpus"].get("torch", 0)):
        peaks[f"gpu:{i}"], source[f"gpu:{i}"] = torch_peak_gflop_s(f"cuda:{i}"), "torch"
    return {"peak_gflop_s": peaks, "peak_source": source}


DRIFT_FRACTION = 0.10  # a device whose end peak differs from its start peak by more: the run is drifting


def drifting(start: dict[str, Any], end: dict[str, Any]) -> bool | None:
    """True when any device measured at both ends of a run (env.json's peak_gflop_s and peak_gflop_s_end)
    has peaks more than 10% apart, relative to the start's; None when no device has both."""
    changes = [abs(end[d] - start[d]) / start[d] for d in start.keys() & end.keys()
               if _positive(start[d]) and _positive(end[d])]
    return any(c > DRIFT_FRACTION for c in changes) if changes else None


def _positive(value: Any) -> bool:
    """A usable peak: a positive finite number (env.json may come from another machine)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < float("inf")
