"""Test hook: run a process as if some packages were not installed (BENCH_BLOCK_IMPORTS).

BENCH_BLOCK_IMPORTS="tensorflow,jax" wraps every meta-path finder so that those top-level modules (and
their submodules) are not found: importing them raises ModuleNotFoundError and importlib.util.find_spec
returns None, as on a machine without them (package metadata still lists them; bench.envinfo honours
the block there too). Only
tests set it (like bench.faults' BENCH_FAULT), so CI checks the torch-without-TensorFlow path on a
machine that has TensorFlow. It is installed when the bench package is imported, i.e. in the runner,
every cell's child and the environment probe alike.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

ENV = "BENCH_BLOCK_IMPORTS"


class _Hiding:
    """Wraps one meta-path finder so that it finds nothing for the blocked top-level modules: importing
    them raises ModuleNotFoundError and importlib.util.find_spec returns None, as when not installed."""

    def __init__(self, finder: Any, names: frozenset[str]) -> None:
        self.finder = finder
        self.names = names

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        """None for a blocked module; the wrapped finder's answer otherwise."""
        if fullname.partition(".")[0] in self.names:
            return None
        return self.finder.find_spec(fullname, path, target)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finder, name)  # invalidate_caches, find_distributions, ...


def blocked() -> frozenset[str]:
    """The top-level module names BENCH_BLOCK_IMPORTS blocks in this process."""
    return frozenset(filter(None, (n.strip() for n in os.environ.get(ENV, "").split(","))))


def install_from_env() -> None:
    """Put the blocker first on sys.meta_path when BENCH_BLOCK_IMPORTS is set (once per process)."""
    names = blocked()
    if not names or any(isinstance(f, _Hiding) for f in sys.meta_path):
        return
    already = sorted(n for n in names if n in sys.modules)
    if already:
        raise RuntimeError(f"{ENV} cannot block {already}: already imported in this process")
    sys.meta_path[:] = [_Hiding(f, names) for f in sys.meta_path]


def installed(module: str) -> bool:
    """True when ``module`` (a top-level name) can be imported here (honouring the block), unimported."""
    return module in sys.modules or importlib.util.find_spec(module) is not None
