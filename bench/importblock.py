"""Test hook: run a process as if some packages were not installed (BENCH_BLOCK_IMPORTS).

BENCH_BLOCK_IMPORTS="tensorflow,jax" wraps every meta-path finder so that those top-level modules (and
their submodules) are not found: importing them raises ModuleNotFoundError and importlib.util.find_spec
returns None, as on a machine without them (package metadata still lists them; bench.envinfo honours
the block there too). Only
tests set it (like bench.cell.faults' BENCH_FAULT), so CI checks the torch-without-TensorFlow path on a
machine that has TensorFlow.

BENCH_SIMULATE=windows runs this project's own code (bench, datasets, models, tests) as native Windows
would meet it, on Linux: importing fcntl/resource/termios/pwd/grp raises ModuleNotFoundError, os and
signal lack their POSIX-only names (os.killpg, os.setsid, signal.SIGKILL, ...), and /proc and Linux's
PDEATHSIG are unavailable (available(), proc_text()). Third-party code and the stdlib are left alone:
psutil, filelock and subprocess have Windows code of their own. It is a simulation (tox -e portable;
docs/guide/install.md, "What differs per OS", says what it cannot catch).

Both hooks are installed when the bench package is imported, i.e. in the runner, every cell's child
and the environment probe alike (children inherit the variables); tests/conftest.py imports bench first.
"""

from __future__ import annotations

import builtins
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

ENV = "BENCH_BLOCK_IMPORTS"
REPO = Path(__file__).resolve().parents[1]


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
    """Install BENCH_SIMULATE's hook, and put the blocker first on sys.meta_path when BENCH_BLOCK_IMPORTS
    is set (once per process)."""
    install_simulation()
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


# --- BENCH_SIMULATE=windows: this project's code as it would meet native Windows --------------------------

SIMULATE = "BENCH_SIMULATE"
OURS = frozenset({"bench", "datasets", "models", "tests"})  # the packages whose code the simulation checks
POSIX_MODULES = frozenset({"fcntl", "resource", "termios", "pwd", "grp", "posix"})
HIDDEN_ATTRS = {
    "os": frozenset({"killpg", "getpgid", "setpgid", "setpgrp", "setsid", "getsid", "fork", "forkpty",
                     "getuid", "geteuid", "sched_getaffinity", "sched_setaffinity", "wait3", "wait4",
                     "WNOHANG"}),
    "signal": frozenset({"SIGKILL", "SIGALRM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD",
                         "SIGSTOP", "SIGCONT", "SIGPIPE", "alarm", "pause", "setitimer", "pthread_kill",
                         "pthread_sigmask", "sigwait", "siginterrupt"}),
}
HIDDEN_FEATURES = frozenset({"pdeathsig", "/proc"})


def simulated() -> str | None:
    """The OS BENCH_SIMULATE asks this process to behave as ("windows"), or None."""
    value = os.environ.get(SIMULATE, "").strip().lower()
    if value and value != "windows":
        raise RuntimeError(f"{SIMULATE}={value!r} unknown; the only simulation is 'windows'")
    return value or None


def available(feature: str) -> bool:
    """False for a POSIX-only feature ("pdeathsig", "/proc") this OS lacks or BENCH_SIMULATE hides."""
    if feature not in HIDDEN_FEATURES:
        raise ValueError(f"unknown feature {feature!r}; known: {sorted(HIDDEN_FEATURES)}")
    if simulated() is not None:
        return False
    return Path("/proc/self/status").exists() if feature == "/proc" else sys.platform.startswith("linux")


def proc_text(relative: str) -> str | None:
    """The text of /proc/<relative> (e.g. "self/status"), or None where there is no /proc (Windows, macOS)
    or BENCH_SIMULATE hides it: every /proc reader of this project goes through here."""
    if not available("/proc"):
        return None
    try:
        return (Path("/proc") / relative).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def posix() -> bool:
    """True on a POSIX OS that BENCH_SIMULATE does not hide (tests that need POSIX skip otherwise)."""
    return os.name == "posix" and simulated() is None


class _Hidden(ModuleType):
    """A stdlib module (os, signal) as this project's code sees it under the simulation: the POSIX-only
    names are missing (AttributeError, so getattr(os, "killpg", None) is None), the rest delegates."""

    def __init__(self, module: ModuleType, hidden: frozenset[str]) -> None:
        super().__init__(module.__name__, module.__doc__)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_hidden", hidden)

    def __getattribute__(self, name: str) -> Any:
        if name in object.__getattribute__(self, "_hidden"):
            raise AttributeError(f"module {object.__getattribute__(self, '__name__')!r} has no attribute "
                                 f"{name!r} ({SIMULATE}=windows)")
        if name in ("_module", "_hidden", "__class__"):
            return object.__getattribute__(self, name)
        return getattr(object.__getattribute__(self, "_module"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_module"), name, value)


def _importer_is_ours(globals_: Any) -> bool:
    """True when the module doing the import is a file of this checkout's bench, datasets, models or tests
    (by path: pytest and `python -m` name modules in their own ways)."""
    file = (globals_ or {}).get("__file__")
    if not file:
        return False
    try:
        parts = Path(file).resolve().relative_to(REPO).parts
    except ValueError:
        return False
    return len(parts) > 1 and parts[0] in OURS


def _simulating_import(real: Any) -> Any:
    """builtins.__import__ for the simulation: our code cannot import POSIX-only modules and sees os and
    signal without their POSIX-only names; everything else (the stdlib, psutil, filelock, TensorFlow)
    imports as usual, since on Windows those libraries have their own Windows code."""

    def hook(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and _importer_is_ours(globals):
            top = name.partition(".")[0]
            if top in POSIX_MODULES:
                raise ModuleNotFoundError(f"No module named {name!r} ({SIMULATE}=windows)", name=name)
            if name in HIDDEN_ATTRS:
                module = real(name, globals, locals, fromlist, level)
                return _Hidden(module, HIDDEN_ATTRS[name])
        return real(name, globals, locals, fromlist, level)

    hook.simulating = True  # type: ignore[attr-defined]
    return hook


def install_simulation() -> None:
    """Install BENCH_SIMULATE's import hook (once per process; a no-op when it is unset)."""
    if simulated() is None or getattr(builtins.__import__, "simulating", False):
        return
    builtins.__import__ = _simulating_import(builtins.__import__)
