"""What every backend module gives the cell: the imported backend's version, device and GPU peak."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MB = 2**20


@dataclass(frozen=True)
class Backend:
    """The imported backend: its version, what the cell runs on, and its GPU allocator's peak."""

    name: str
    version: str
    device_name: str
    gpu_peak_mb: Callable[[], float]  # raises when the allocator cannot tell
    gpu_peak_source: str  # the call gpu_peak_mb makes, for the unavailable reason


def cpu_name() -> str:
    """The CPU's model, as env.json names it."""
    from bench.envinfo import cpu_model

    return cpu_model()
