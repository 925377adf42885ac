"""bench.config.devices: the one parser of a cell's device, and the GPUs a cell uses."""

from __future__ import annotations

import pytest

from bench.config.cell import Cell
from bench.config.devices import cell_gpus, gpu_index, gpu_indices, is_device
from bench.config.environment import visible_gpus


@pytest.mark.parametrize(("device", "index"), [("cpu", None), ("gpu:0", 0), ("gpu:12", 12)])
def test_gpu_index(device: str, index: int | None) -> None:
    assert gpu_index(device) == index and is_device(device)


@pytest.mark.parametrize("device", ["gpu", "gpu:", "gpu:x", "GPU:0", "gpu:0 ", "cuda:0", "all", ""])
def test_anything_else_is_not_a_device(device: str) -> None:
    assert not is_device(device)
    with pytest.raises(ValueError, match='expected "cpu" or "gpu:N"'):
        gpu_index(device)


def test_the_gpus_a_cell_uses() -> None:
    assert gpu_indices("cpu", "mirrored", 2) == []
    assert gpu_indices("gpu:2") == [2]
    assert gpu_indices("gpu:2", "multiworker", 2) == [2]  # each worker process has one GPU
    assert cell_gpus(Cell("d", "m", device="gpu:1", strategy="mirrored", replicas=3)) == [1, 2, 3]


def test_the_process_sees_the_gpus_the_trackers_read() -> None:
    mirrored = Cell("d", "m", device="gpu:1", strategy="mirrored", replicas=2)
    assert visible_gpus(mirrored) == "1,2" and visible_gpus(Cell("d", "m")) == "-1"
