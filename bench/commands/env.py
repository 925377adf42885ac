"""`python -m bench env`: this machine in a few lines (CPU and the instructions deep learning uses, cores,
RAM, GPUs, the libraries); --all prints every field of the fingerprint, --json what runs store as env.json."""

from __future__ import annotations

import argparse
import json
from typing import Any

NAME = "env"
HELP = "show this machine: CPU and its deep-learning instructions, cores, RAM, GPUs, library versions"

# CPU flags (as py-cpuinfo names them) that deep-learning libraries use, in the order shown.
DL_FLAGS = (
    (("avx2",), "AVX2"),
    (("fma",), "FMA"),
    (("avx512f",), "AVX-512"),
    (("avx512_vnni", "avx512vnni", "avx_vnni"), "VNNI"),
    (("avx512_bf16",), "AVX-512 BF16"),
    (("avx512_fp16",), "AVX-512 FP16"),
    (("amx_tile",), "AMX"),
    (("amx_bf16",), "AMX BF16"),
    (("amx_int8",), "AMX INT8"),
    (("asimd", "neon"), "NEON"),
    (("sve",), "SVE"),
)
LIBRARIES = ("tensorflow", "tensorflow-cpu", "keras", "jax", "torch", "numpy", "h5py")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the JSON that runs store as env.json")
    parser.add_argument("--all", action="store_true", help="print every field (all CPU flags, build info)")
    parser.add_argument("--peak", action="store_true", help="also measure each device's float32 GEMM peak")


def run(args: argparse.Namespace) -> int:
    from bench.launch.runner import probe_env

    info = probe_env(peak=args.peak)
    if args.json:
        print(json.dumps(info, indent=2))
    elif args.all:
        _print_all(info)
    else:
        print("\n".join(summary_lines(info)))
    return 0


def summary_lines(info: dict[str, Any]) -> list[str]:
    """The fingerprint in a few lines of at most 80 columns: what decides deep-learning speed here."""
    from bench.report.numbers import number

    cpu = info.get("cpu") or {}
    cores = f"{info.get('logical_cores')} logical cores ({info.get('physical_cores')} physical)"
    clock = _ghz(cpu.get("hz_advertised_friendly"))
    lines = [
        f"CPU        {info.get('cpu_model')}, {cores}" + (f", {clock}" if clock else ""),
        f"DL instr.  {dl_instructions(cpu.get('flags') or [])}",
        f"RAM        {number(info.get('ram_gb'))} GB",
        f"GPUs       {_gpus(info)}",
        f"OS         {info.get('os')}, Python {info.get('python')}",
        f"libraries  {_libraries(info)}",
    ]
    peaks = info.get("peak_gflop_s") or {}
    if peaks:
        lines.append("GEMM peak  " + ", ".join(f"{d} {number(v)} GFLOP/s" for d, v in peaks.items() if v) +
                     " (measured just now; it moves with the machine's load)")
    lines.append("(every field: python -m bench env --all; as a run stores it: --json)")
    return [_fit(line) for line in lines]


def dl_instructions(flags: list[str]) -> str:
    """'AVX2, FMA, AVX-512, VNNI, AVX-512 BF16; no AMX': the CPU's instructions deep learning uses."""
    have = {str(f).lower() for f in flags}
    found = [name for names, name in DL_FLAGS if have & set(names)]
    if not flags:
        return "unknown (the CPU's flags could not be read)"
    x86 = "avx2" in have or "sse2" in have
    missing = [n for n in ("AVX-512", "AMX") if x86 and n not in found]
    shown = ", ".join(found) or "none of " + ", ".join(name for _, name in DL_FLAGS)
    return shown + (f"; no {', no '.join(missing)}" if missing else "")


def _gpus(info: dict[str, Any]) -> str:
    """'NVIDIA H100 80GB (80 GB), driver 550.54; CUDA 12.3 build' or 'none (why)'."""
    from bench.report.numbers import number

    gpus = info.get("nvml_gpus") or []
    if gpus:
        names = ", ".join(f"{g.get('name')} ({number((g.get('memory_total_mb') or 0) / 1024)} GB)"
                          for g in gpus)
        cuda = f"; TensorFlow CUDA build {info['cuda_build']}" if info.get("cuda_build") else ""
        return f"{names}, driver {info.get('nvml_driver')}" + cuda
    tf = info.get("tf_gpus") or []
    if tf:
        return ", ".join(str(g.get("name")) for g in tf)
    return f"none ({info.get('gpu_note') or 'no GPU detected'})"


def _libraries(info: dict[str, Any]) -> str:
    """'tensorflow-cpu 2.21.0, keras 3.15.1, numpy 2.4.6, h5py 3.14.0; oneDNN on'."""
    packages = info.get("packages") or {}
    shown = ", ".join(f"{p} {packages[p]}" for p in LIBRARIES if packages.get(p))
    onednn = (info.get("onednn") or {}).get("enabled")
    return shown + ("" if onednn is None else f"; oneDNN {'on' if onednn else 'off'}")


def _fit(line: str, width: int = 80) -> str:
    """A line wrapped at width, continuation lines under the value column."""
    import textwrap

    return textwrap.fill(line, width, subsequent_indent=" " * 11)


def _print_all(info: dict[str, Any]) -> None:
    """Every field as a two-column table (nested values as JSON)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False)
    for key, value in info.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    Console().print(table)


def _ghz(friendly: object) -> str | None:
    """py-cpuinfo's advertised clock ('2.5961 GHz', '800.0000 MHz') as people write it, '2.6 GHz'; None
    when unknown."""
    import re

    from bench.report.numbers import number

    found = re.fullmatch(r"\s*([0-9.]+)\s*([kMG]?)Hz\s*", str(friendly or ""))
    if not found:
        return None
    scale = {"": 1e-9, "k": 1e-6, "M": 1e-3, "G": 1.0}[found.group(2)]
    return f"{number(float(found.group(1)) * scale)} GHz"
