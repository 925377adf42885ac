"""`python -m bench models`: the model zoo with parameters, FLOPs, inputs, datasets and recipes."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.registry import ModelSpec

NAME = "models"
HELP = "list the models: parameters, forward GFLOPs per image, default input, datasets, recipe epochs"
NUM_CLASSES = 10  # the class count of every seed dataset (MNIST, CIFAR-10, Galaxy10)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="MODEL", help="only these models (default: all)")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")


def run(args: argparse.Namespace) -> int:
    from models.registry import MODELS, get_model

    specs = [get_model(n) for n in args.names] if args.names else list(MODELS.values())
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    rows = [_describe(spec) for spec in specs]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
    return 0


def _describe(spec: ModelSpec) -> dict:
    """One model's row: built at its default input with NUM_CLASSES classes, then measured."""
    from models.flops import forward_flops

    model = spec.build(spec.default_input, NUM_CLASSES)
    return {
        "name": spec.name,
        "params": model.count_params(),
        "seed_params": spec.seed_params,
        "forward_flops_per_image": forward_flops(model),
        "default_input": list(spec.default_input),
        "datasets": list(spec.datasets),
        "epochs": spec.recipe.epochs,
        "description": spec.description,
    }


def seed_difference(params: int, seed: int | None) -> str:
    """'exact', '+2.6%' or '-' (the seed reports no count)."""
    if seed is None:
        return "-"
    return "exact" if params == seed else f"{(params - seed) / seed:+.1%}"


def _print_table(rows: list[dict]) -> None:
    """The rows as a rich table."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from bench.report.numbers import number

    table = Table(
        title=f"models at their default input, {NUM_CLASSES} classes",
        caption="GFLOPs: forward GFLOPs per image; seed: the parameter count the seed reports; vs seed: "
        "ours against it (no layout of the seed's Model 1 has its count: models/galaxy_cnn.py)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("model", no_wrap=True)
    for column in ("params", "seed", "vs seed", "GFLOPs", "input", "epochs"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("datasets", min_width=13, no_wrap=True)
    for r in rows:
        table.add_row(
            r["name"],
            f"{r['params']:,}",
            f"{r['seed_params']:,}" if r["seed_params"] is not None else "-",
            seed_difference(r["params"], r["seed_params"]),
            number(r["forward_flops_per_image"] / 1e9, significant=4),  # exact counts: four digits
            "x".join(map(str, r["default_input"])),
            str(r["epochs"]),
            "\n".join(r["datasets"]),
        )
    # Piped output (no terminal) gets 120 columns, not rich's 80, so no number is cut short.
    Console(width=None if sys.stdout.isatty() else 120).print(table)
