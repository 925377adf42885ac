"""A device's float32 GEMM peak (GFLOP/s), measured once per run so achieved FLOP/s has a scale."""

from __future__ import annotations

import time
from typing import Any


def gemm_peak_gflop_s(tf: Any, device: str, n: int = 2048, repeats: int = 10) -> float:
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
