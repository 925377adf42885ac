"""A cell's device ("cpu" or "gpu:N") parsed in one place: which GPU it names, and which GPUs a cell uses.

GPU numbers are CUDA's and NVML's alike: a cell's process starts with CUDA_DEVICE_ORDER=PCI_BUS_ID
(bench.config.environment), so gpu:N is one device to TensorFlow, the trackers (NVML) and the runner.
"""

from __future__ import annotations

import re
from typing import Any

CPU = "cpu"
GPU_DEVICE = re.compile(r"gpu:(\d+)")


def is_device(text: object) -> bool:
    """True for "cpu" and "gpu:N"."""
    return text == CPU or (isinstance(text, str) and GPU_DEVICE.fullmatch(text) is not None)


def gpu_index(device: str) -> int | None:
    """N of "gpu:N"; None for "cpu". Any other text is a ValueError naming the two forms."""
    if device == CPU:
        return None
    found = GPU_DEVICE.fullmatch(device) if isinstance(device, str) else None
    if found is None:
        raise ValueError(f'device {device!r}: expected "cpu" or "gpu:N"')
    return int(found.group(1))


def gpu_indices(device: str, strategy: str = "none", replicas: int = 1) -> list[int]:
    """The GPUs a cell's process uses: none for a cpu cell, [N] for gpu:N, N..N+replicas-1 when it mirrors
    over several GPUs from gpu:N."""
    first = gpu_index(device)
    if first is None:
        return []
    return list(range(first, first + (replicas if strategy == "mirrored" else 1)))


def cell_gpus(cell: Any) -> list[int]:
    """gpu_indices of a cell (anything with device, strategy and replicas: a Cell)."""
    return gpu_indices(cell.device, cell.strategy, cell.replicas)
