"""The machine's fingerprint for env.json: CPU, cores, RAM, GPUs (NVML, and as each installed Keras
backend sees them), OS, Python, TensorFlow/Keras with their CUDA/cuDNN build info, the oneDNN flag,
hostname. Without TensorFlow (a machine with only PyTorch or JAX) the tf fields are null and
``tf_unavailable`` says why.

``python -m bench.envinfo [--peak]`` prints it as JSON (with --peak, each device's GEMM peak, measured
with TensorFlow, else PyTorch, else numpy: ``peak_source`` says which); the runner calls it in a
subprocess so that its own process never initialises TensorFlow or a GPU.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import socket
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import cpuinfo
import psutil

from bench.importblock import blocked, installed

X86 = ("x86_64", "AMD64")  # TensorFlow enables oneDNN by default on x86 Linux/Windows since 2.9
PACKAGES = ("tensorflow", "tensorflow-cpu", "keras", "jax", "jaxlib", "torch", "numpy", "h5py",
            "scikit-learn", "nvidia-ml-py")


CPU_MODEL_ENV = "BENCH_CPU_MODEL"  # the runner's answer, handed to each cell (py-cpuinfo takes ~1.5 s)
CPU_KEYS = ("brand_raw", "vendor_id_raw", "arch", "bits", "count", "family", "model", "stepping",
            "hz_advertised_friendly", "hz_actual_friendly", "l2_cache_size", "l3_cache_size", "flags")


@functools.cache
def cpu_details() -> dict[str, Any]:
    """The CPU as py-cpuinfo reads it on each OS (CPUID, /proc/cpuinfo, sysctl, the Windows registry):
    model, vendor, flags (avx2, avx512f, ...), advertised/actual clock, caches."""
    info = cpuinfo.get_cpu_info()
    return {k: info[k] for k in CPU_KEYS if k in info}


def cpu_model() -> str:
    """The CPU's model name: BENCH_CPU_MODEL when the runner set it, else py-cpuinfo's (on Windows
    platform.processor() says only "Intel64 Family 6 Model ...", on Apple Silicon "arm")."""
    return (os.environ.get(CPU_MODEL_ENV) or cpu_details().get("brand_raw") or platform.processor()
            or platform.machine())


def cpu_freq_mhz() -> dict[str, float] | None:
    """Current/min/max clock from the OS (psutil), MHz; None where the OS does not say (psutil's 0.0)."""
    try:
        freq = psutil.cpu_freq()
    except (NotImplementedError, OSError):  # some VMs and Apple Silicon expose no frequency
        return None
    if freq is None:
        return None
    return {k: v or None for k, v in (("current", freq.current), ("min", freq.min), ("max", freq.max))}


def host_info() -> dict[str, Any]:
    """Everything that needs no TensorFlow."""
    return {
        "hostname": socket.gethostname(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "cpu_model": cpu_model(),
        "cpu": cpu_details(),
        "cpu_freq_mhz": cpu_freq_mhz(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 2),
        "packages": {p: _version(p) for p in PACKAGES},
        "env": {k: os.environ[k] for k in ("TF_ENABLE_ONEDNN_OPTS", "CUDA_VISIBLE_DEVICES",
                                            "OMP_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL") if k in os.environ},
    }


def _version(package: str) -> str | None:
    """The installed distribution's version; None when absent or blocked (BENCH_BLOCK_IMPORTS)."""
    if {"tensorflow-cpu": "tensorflow"}.get(package, package) in blocked():
        return None
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def nvml_info() -> dict[str, Any]:
    """GPUs as NVML sees them (name, driver, memory), or why NVML is unavailable."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound etc., or no pynvml at all
        return {"nvml_gpus": [], "nvml_unavailable": f"NVML unavailable: {exc}"}
    try:
        driver = pynvml.nvmlSystemGetDriverVersion()
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            gpus.append({"index": i, "name": pynvml.nvmlDeviceGetName(h), "driver": driver,
                         "memory_total_mb": mem.total / 2**20})
        return {"nvml_gpus": gpus, "nvml_driver": driver}
    finally:
        pynvml.nvmlShutdown()


def tf_info(tf: Any) -> dict[str, Any]:
    """TensorFlow/Keras versions, CUDA/cuDNN build info, oneDNN, and the GPUs TensorFlow sees."""
    import keras

    build = {k: str(v) for k, v in tf.sysconfig.get_build_info().items()}
    gpus = []
    for i, dev in enumerate(tf.config.list_physical_devices("GPU")):
        details = tf.config.experimental.get_device_details(dev)
        gpus.append({"device": f"gpu:{i}", "name": details.get("device_name"),
                     "compute_capability": details.get("compute_capability")})
    flag = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    return {
        "tf_version": tf.__version__, "keras_version": keras.__version__, "tf_build_info": build,
        "cuda_build": build.get("cuda_version"), "cudnn_build": build.get("cudnn_version"),
        "onednn": {"TF_ENABLE_ONEDNN_OPTS": flag,
                   "enabled": flag not in ("0", "false", "False") and platform.machine() in X86},
        "tf_gpus": gpus,
    }


def collect(peak: bool = False) -> dict[str, Any]:
    """The whole fingerprint (imports each installed backend); with peak, the GEMM peak of every device."""
    info = host_info() | nvml_info()
    if installed("tensorflow"):
        import tensorflow as tf

        info |= tf_info(tf)
    else:
        info |= {"tf_version": None, "keras_version": info["packages"]["keras"], "tf_gpus": [],
                 "tf_unavailable": "TensorFlow is not installed here (the jax/torch backends with "
                                   'pipeline = "numpy" need none)'}
    info |= backend_gpus(info)
    info["gpu_count"] = max(info["backend_gpus"].values(), default=0)
    if not info["gpu_count"]:
        cpu_tf = info["tf_version"] and build_is_cpu_only(info)
        info["gpu_note"] = "this TensorFlow is built without CUDA" if cpu_tf else "no CUDA GPU detected"
    if peak:
        from bench.peak import device_peaks

        info |= device_peaks(info)
    return info


def backend_gpus(info: dict[str, Any]) -> dict[str, Any]:
    """How many GPUs each installed Keras backend sees ({backend: count}); a backend that cannot tell
    is left out, with why in backend_gpus_unavailable."""
    counts: dict[str, int] = {}
    why: dict[str, str] = {}
    if info["tf_version"]:
        counts["tensorflow"] = len(info["tf_gpus"])
    if installed("torch"):
        import torch

        counts["torch"] = torch.cuda.device_count()
    if installed("jax"):
        # Counting GPUs must not take 75% of each one's memory (JAX's default preallocation), which
        # the GEMM peak measured next in this process (bench.peak, torch on a GPU) would then lack.
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        try:
            import jax

            counts["jax"] = len([d for d in jax.devices() if d.platform == "gpu"])
        except Exception as exc:  # a broken jaxlib/CUDA plugin raises its own types
            why["jax"] = f"jax.devices() failed: {' '.join(str(exc).split())[:200]}"
    return {"backend_gpus": counts, **({"backend_gpus_unavailable": why} if why else {})}


def build_is_cpu_only(info: dict[str, Any]) -> bool:
    """True when this TensorFlow was built without CUDA (tensorflow-cpu)."""
    return info.get("tf_build_info", {}).get("is_cuda_build") in ("False", None)


if __name__ == "__main__":
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # TensorFlow's own prints go to stderr; stdout carries only the JSON
    out.write(json.dumps(collect(peak="--peak" in sys.argv)) + "\n")
    out.flush()
