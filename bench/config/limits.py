"""A matrix's limits, checked before anything expands: its nesting and list lengths, text that is not
UTF-8, the size of a synthetic data set's file, and --cell-budget's range. Each number's own range is
its axis's (bench.config.axes: Axis.bounds); these are the limits of a matrix as a whole."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from bench.config.axes import BY_NAME, SYNTHETIC_MAX_BYTES
from bench.errors import UserError

# A matrix is a few hundred lines; `full` on a 64-core machine with 8 GPUs is 3,825 cells, and
# 1,000,000 cells took 3.1 GiB and minutes before printing anything.
MAX_CELLS = 20_000
MAX_DEPTH = 4  # file > [[include]] > table > list of values; deeper nesting is never a matrix
MAX_FILE_BYTES = 32 << 20  # an expanded matrix.toml of MAX_CELLS cells is about 15 MB
SYNTHETIC_NAME = re.compile(r"synthetic:(\d{1,12})x(\d{1,12})x(\d{1,12}):(\d{1,12}):(\d{1,12})")


def check_shape(raw: dict[str, Any], source: str) -> None:
    """UserError when the matrix nests deeper than MAX_DEPTH, holds a list longer than MAX_CELLS, or a
    string that is not UTF-8 text (a file name in another encoding, which no TOML or report can hold):
    refused before anything is checked one by one or expanded."""
    stack: list[tuple[Any, int, str]] = [(raw, 1, "")]
    while stack:  # iterative: a deep value must not exhaust Python's stack here either
        value, depth, key = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise UserError(f"{source}: {key or 'a value'} is nested {depth} levels deep; a matrix nests "
                                f"at most {MAX_DEPTH} ([[include]] > table > list of values)")
            if len(value) > MAX_CELLS:
                raise UserError(f"{source}: {key or 'a list'} has {len(value):,} entries, over the cap of "
                                f"{MAX_CELLS:,} cells a matrix may have; split it into several matrices")
            items = value.items() if isinstance(value, dict) else ((key, v) for v in value)
            stack += [(v, depth + 1, str(k)) for k, v in items]
        elif isinstance(value, str):
            _check_text(value, key, source)


def _check_text(value: str, key: str, source: str) -> None:
    """UserError when value is not UTF-8 text (lone surrogates: bytes of another encoding that Python
    carried over from a command line or file name)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"{source}: {key} = {value!r} is not UTF-8 text (a file name in another encoding?); "
                        "rename the file, or link it under a UTF-8 name, and give that name") from None


def check_synthetic_size(pairs: list[str], examples: int, where: str) -> None:
    """UserError when a synthetic data set of a pair's real shape (its file is written before the first
    cell runs) would exceed SYNTHETIC_MAX_BYTES."""
    from datasets.specs import SPECS
    from models.registry import SEED_PAIRS

    names = {d for d, _ in SEED_PAIRS} if "seed" in pairs else {p.rsplit("/", 1)[0] for p in pairs}
    for name in sorted(names & set(SPECS)):
        _check_synthetic_bytes(examples, SPECS[name].image_shape, f"{name}'s ", where)


def check_synthetic_name(dataset: str, where: str) -> None:
    """UserError when a synthetic:HxWxC:K:N dataset named outright has numbers past any data set (more
    than 12 digits), more examples than synthetic_examples may give, or a file over SYNTHETIC_MAX_BYTES."""
    if not dataset.startswith("synthetic:"):
        return
    m = SYNTHETIC_NAME.fullmatch(dataset)
    if m is None:
        shown = dataset if len(dataset) <= 80 else dataset[:60] + "..."
        raise UserError(f"{where}: {shown!r} is not a synthetic data set name; write synthetic:HxWxC:K:N "
                        "with numbers of at most 12 digits, e.g. synthetic:256x256x3:10:2048")
    h, w, c, _, n = (int(g) for g in m.groups())
    bounds = BY_NAME["synthetic_examples"].bounds
    if not bounds.holds(n):
        raise UserError(f"{where}: {dataset} has {n:,} examples; expected {bounds.text()}")
    _check_synthetic_bytes(n, (h, w, c), "", where)


def _check_synthetic_bytes(examples: int, shape: tuple[int, int, int], whose: str, where: str) -> None:
    """UserError when examples images of shape would take more than SYNTHETIC_MAX_BYTES."""
    h, w, c = shape
    size, most = examples * h * w * c, SYNTHETIC_MAX_BYTES // max(1, h * w * c)
    if size > SYNTHETIC_MAX_BYTES:
        raise UserError(f"{where}: {examples:,} synthetic images of {whose}{h}x{w}x{c} would take "
                        f"{size / 2**30:,.1f} GiB, over the {SYNTHETIC_MAX_BYTES >> 30} GiB cap; give "
                        f"{most:,} examples or fewer")


def within(axis: str) -> Callable[[str], float]:
    """An argparse type for a number of seconds checked against an axis's range, so a NaN, negative or
    endless value is one line naming the range instead of a silent prune or an empty recommendation."""
    bounds = BY_NAME[axis].bounds

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not bounds.holds(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a budget; give {bounds.text()}")
        return value

    return parse


cell_budget = within("timeout_s")  # --cell-budget replaces each cell's timeout_s, so it takes its range
training_budget = within("budget_s")  # bench report --budget-s: a training budget, like the budget_s axis
