"""`python -m bench pipeline DATASET`: the input pipeline alone (tf.data, or the numpy mode's PyDataset),
images/s and peak RSS; with --model, also how much of the model's own training speed the pipeline keeps
(input_efficiency: end-to-end / model-only img/s, the model-only fit run with no pipeline iterator alive)."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

NAME = "pipeline"
HELP = "measure the input pipeline alone (images/s per epoch, peak RSS) for a dataset and mode; " \
       "with --model, its input_efficiency"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset", help="mnist, cifar10, galaxy10, galaxy10_sdss, digits, h5:PATH, synthetic:HxWxC:K:N"
    )
    parser.add_argument("--mode", default="memory",
                        help="memory, stream, cache, tfio or numpy (default: memory)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2, help="timed passes over the split (default: 2)")
    parser.add_argument("--split", default="train", choices=("train", "val", "test"))
    parser.add_argument("--no-shuffle", action="store_true", help="read in file order")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--model", default=None,
                        help="also train this model on the pipeline and on one constant batch "
                             "(input_efficiency)")
    parser.add_argument("--train-steps", type=int, default=50, help="timed training steps with --model")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this JSON file")


def measure(args: argparse.Namespace) -> dict[str, object]:
    """Open the dataset, build the pipeline, and time each full epoch (images delivered per second); the
    CPU time per epoch shows what the pipeline needs when other processes share the machine."""
    import psutil

    from bench.cell.scenarios.feed import iterate
    from bench.cell.trackers.memory import peak_rss_mb
    from bench.importblock import installed
    from datasets.api import open_dataset

    ds = open_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    if args.mode != "numpy":
        import tensorflow  # noqa: F401 - imported before the baseline so the RSS delta is the pipeline's
    elif not installed("tensorflow"):  # Keras (the PyDataset base class) needs some backend to import
        backend = next((b for b in ("torch", "jax") if installed(b)), "tensorflow")
        os.environ.setdefault("KERAS_BACKEND", backend)

    rss_before_mb = psutil.Process().memory_info().rss / 2**20
    t0 = time.perf_counter()
    pipe = ds.batches(
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
    it = iterate(pipe)
    epochs, cpu_s = [], []
    for _ in range(args.epochs):
        t, c = time.perf_counter(), time.process_time()
        images = sum(int(next(it)[1].shape[0]) for _ in range(steps))
        epochs.append(images / (time.perf_counter() - t))
        cpu_s.append(time.process_time() - c)
    del it
    result = {
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
        "cpu_s_epochs": [round(v, 2) for v in cpu_s],  # process CPU time, all threads
        "pipeline_img_s": round(sorted(epochs)[len(epochs) // 2], 1),
        "rss_before_mb": round(rss_before_mb, 1),
        "peak_rss_mb": None if (peak := peak_rss_mb()) is None else round(peak, 1),
    }
    return result | input_efficiency(args, ds, pipe)


def input_efficiency(args: argparse.Namespace, ds: object, pipe: object) -> dict[str, object]:
    """With --model: training img/s on one constant batch (first, no pipeline iterator alive) and on the
    pipeline, their ratio and the input-bound verdict; without, why there is none."""
    if not args.model:
        return {"input_efficiency": None,
                "unavailable": {"input_efficiency": "no --model given: the pipeline alone was measured"}}
    from bench.cell.scenarios import feed
    from bench.cell.trackers.timing import StepTimer
    from models.registry import get_model

    spec = get_model(args.model)
    model = spec.build(ds.image_shape, ds.num_classes)
    spec.recipe.compile(model)
    rates = {}
    for name, data in (("model_only_img_s", feed.cached(pipe)), ("train_img_s", pipe)):
        timer, warm = StepTimer(), 2
        model.fit(data, steps_per_epoch=warm + args.train_steps, epochs=1, verbose=0, callbacks=[timer])
        rates[name] = timer.repeat_img_s(warm, args.train_steps, 1, args.batch_size)[0]
    verdict = feed.input_verdict(rates["train_img_s"], rates["model_only_img_s"])
    return {"model": args.model, **{k: round(v, 1) for k, v in rates.items()},
            "input_efficiency": round(verdict["input_efficiency"], 3), "input_bound": verdict["input_bound"]}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from bench.errors import UserError
    from datasets.paths import shown

    # TensorFlow's C++ warnings print the traceback of every failed read inside tf.data; the failure
    # itself reaches the user as one line (_measure_or_say_why)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.epochs < 1:
        raise UserError(f"--epochs must be at least 1, not {args.epochs}")
    if args.json and not args.json.parent.is_dir():
        raise UserError(f"--json {args.json}: folder {args.json.parent} does not exist; create it or give "
                        "another path")
    if args.train_steps < 1:
        raise UserError(f"--train-steps must be at least 1, not {args.train_steps}")
    result = _measure_or_say_why(args)
    table = Table(title=f"pipeline: {shown(args.dataset)} ({args.mode}, batch {args.batch_size})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "examples",
        "setup_s",
        "pipeline_img_s_first",
        "pipeline_img_s",
        "rss_before_mb",
        "peak_rss_mb",
        "model_only_img_s",
        "train_img_s",
        "input_efficiency",
        "input_bound",
    ):
        if key in result:
            table.add_row(key, str(result[key]))
    Console().print(table)
    if args.json:
        _write_json(args.json, result)
    return 0


def _measure_or_say_why(args: argparse.Namespace) -> dict[str, object]:
    """measure, with a corrupt chunk met mid-stream (TensorFlow re-raises it as its own error) and a split
    too big for memory turned into one line naming the file and the fix."""
    from bench.errors import UserError
    from datasets import verify

    try:
        return measure(args)
    except MemoryError:
        raise UserError(f"{args.dataset}: the {args.split} split does not fit in memory in mode {args.mode}; "
                        "use --mode stream (bounded memory) or --max-examples") from None
    except Exception as exc:
        failure = verify.behind(exc)
        if failure is None:
            raise
        raise failure from None


def _write_json(path: Path, result: dict[str, object]) -> None:
    """Write the result to --json; when that fails, print it whole first so the measurement is not lost."""
    from bench import atomic
    from bench.errors import UserError

    text = json.dumps(result, indent=2) + "\n"
    try:
        atomic.write_text(path, text)
    except OSError as exc:
        print(text, end="")
        raise UserError(f"cannot write --json {path} ({exc.strerror or exc}); the result is printed above, "
                        "give a writable path next time") from None
