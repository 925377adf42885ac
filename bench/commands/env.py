"""`python -m bench env`: this machine's fingerprint (what env.json of a run records)."""

from __future__ import annotations

import argparse
import json

NAME = "env"
HELP = "show this machine's CPU, cores, RAM, GPUs, OS, Python, TensorFlow/Keras and CUDA builds"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the JSON that runs store as env.json")
    parser.add_argument("--peak", action="store_true", help="also measure each device's float32 GEMM peak")


def run(args: argparse.Namespace) -> int:
    from bench.launch.runner import probe_env

    info = probe_env(peak=args.peak)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False)
    for key, value in info.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    Console().print(table)
    return 0
