"""`python -m bench pipeline DATASET`: the tf.data input pipeline alone, images/s and peak RSS."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

NAME = "pipeline"
HELP = "measure the input pipeline alone (images/s per epoch, peak RSS) for a dataset and mode"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset", help="mnist, cifar10, galaxy10, galaxy10_sdss, digits, h5:PATH, synthetic:HxWxC:K:N"
    )
    parser.add_argument("--mode", default="memory", help="memory, stream, cache or tfio (default: memory)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2, help="timed passes over the split (default: 2)")
    parser.add_argument("--split", default="train", choices=("train", "val", "test"))
    parser.add_argument("--no-shuffle", action="store_true", help="read in file order")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this JSON file")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (kernel ru_maxrss), MB."""
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def measure(args: argparse.Namespace) -> dict[str, object]:
    """Open the dataset, build the pipeline, and time each full epoch (images delivered per second)."""
    from datasets.api import open_dataset

    ds = open_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    t0 = time.perf_counter()
    pipe = ds.tf_dataset(
        args.split,
        args.batch_size,
        mode=args.mode,
        shuffle=not args.no_shuffle,
        seed=args.seed,
        repeat=True,
        max_examples=args.max_examples,
    )
    setup_s = time.perf_counter() - t0
    n = len(ds.labels(args.split, args.max_examples))
    steps = -(-n // args.batch_size)
    it = iter(pipe)
    epochs = []
    for _ in range(args.epochs):
        t = time.perf_counter()
        images = sum(int(next(it)[1].shape[0]) for _ in range(steps))
        epochs.append(images / (time.perf_counter() - t))
    return {
        "dataset": args.dataset,
        "dataset_path": str(ds.path),
        "synthetic": ds.synthetic,
        "pipeline": args.mode,
        "split": args.split,
        "batch_size": args.batch_size,
        "examples": n,
        "setup_s": round(setup_s, 3),
        "pipeline_img_s_epochs": [round(v, 1) for v in epochs],
        "pipeline_img_s_first": round(epochs[0], 1),
        "pipeline_img_s": round(sorted(epochs)[len(epochs) // 2], 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from bench.errors import UserError

    if args.epochs < 1:
        raise UserError(f"--epochs must be at least 1, not {args.epochs}")
    result = measure(args)
    table = Table(title=f"pipeline: {args.dataset} ({args.mode}, batch {args.batch_size})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("examples", "setup_s", "pipeline_img_s_first", "pipeline_img_s", "peak_rss_mb"):
        table.add_row(key, str(result[key]))
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0
