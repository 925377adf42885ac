"""The environment a cell's process starts with: the Keras backend, the GPUs it may see, quiet logs.

Both sides use it: the runner starts each cell's process with it (bench.launch.spawn), and the cell's
entry point applies it once more before its backend is imported (bench.cell.backends.setup), so a cell
started by another launcher (`python -m bench.child` on a remote node) gets the same process.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.config.cell import Cell
from bench.config.devices import cell_gpus

NO_GPU = "-1"  # CUDA lists no device from an invalid index on; "" would unset the variable on Windows


def child_env(cell: Cell, base: Mapping[str, str]) -> dict[str, str]:
    """The environment a cell's process must start with (Keras backend, device visibility, quiet logs)."""
    env = dict(base)
    env["KERAS_BACKEND"] = cell.backend
    env["CUDA_VISIBLE_DEVICES"] = visible_gpus(cell)
    if cell.strategy != "multiworker":  # a user's cluster TF_CONFIG is for multiworker cells only
        env.pop("TF_CONFIG", None)
    env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # CUDA's numbering = NVML's, so gpu:N is one device to both
    # JAX: cpu only on cpu cells; cuda only on gpu cells, so a missing GPU is an error, not a CPU run.
    env["JAX_PLATFORMS"] = "cpu" if cell.device == "cpu" else "cuda"
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # JAX grows GPU memory as TF's memory growth does
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def visible_gpus(cell: Cell) -> str:
    """CUDA_VISIBLE_DEVICES for the cell: none (cpu: "-1", since on Windows an empty value deletes the
    variable and every GPU shows), gpu:N, or gpu:N..N+replicas-1 (mirrored on GPUs)."""
    return ",".join(str(i) for i in cell_gpus(cell)) or NO_GPU
