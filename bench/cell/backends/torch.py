"""The torch backend of a cell: PyTorch with the cell's intra-/inter-op threads, its GPU checked through
torch.cuda."""

from __future__ import annotations

from bench.cell.backends.base import MB, Backend, cpu_name
from bench.config.cell import Cell


def start(cell: Cell) -> Backend:
    """Import PyTorch with the cell's thread settings; raises when its device is not what torch sees."""
    import torch

    if cell.threads != "auto":
        torch.set_num_threads(int(cell.threads))
    if cell.inter_threads != "auto":
        torch.set_num_interop_threads(int(cell.inter_threads))
    sees = torch.cuda.is_available() and torch.cuda.device_count() > 0
    if cell.device == "cpu" and sees:
        raise RuntimeError("cpu cell still sees a CUDA GPU; CUDA_VISIBLE_DEVICES was not honoured")
    if cell.device != "cpu" and not sees:
        build = torch.version.cuda or "none (a CPU-only torch build)"
        raise RuntimeError(f"{cell.device} is not visible to PyTorch {torch.__version__} "
                           f"(CUDA build: {build})")
    name = torch.cuda.get_device_name(0) if cell.device != "cpu" else cpu_name()
    return Backend("torch", torch.__version__, name, lambda: torch.cuda.max_memory_allocated(0) / MB,
                   "torch.cuda.max_memory_allocated")
