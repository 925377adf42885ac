"""Where data lives: the data dir (--data-dir > $BENCH_DATA_DIR > user cache dir) and other tools' caches."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "BENCH_DATA_DIR"


def shown(text: object) -> str:
    """A path (or a name holding one) as text any terminal prints: a file name's bytes that are not UTF-8
    (which Python holds as surrogate escapes) are written as \\xNN."""
    return os.fsencode(str(text)).decode("utf-8", "backslashreplace")


def user_cache_dir() -> Path:
    """The platform's per-user cache folder for galaxybench (XDG on Linux, as platformdirs does)."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "galaxybench"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "galaxybench" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "galaxybench"


def data_dir(explicit: Path | str | None = None) -> Path:
    """The data dir to use: the explicit one, else $BENCH_DATA_DIR, else the user cache dir."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return user_cache_dir() / "data"


def dataset_dir(root: Path, name: str) -> Path:
    """The folder of one dataset inside the data dir."""
    return root / name


def foreign_caches(name: str) -> list[Path]:
    """Files other tools may already have downloaded (astroNN, Keras), reused after verification."""
    home = Path.home()
    return {
        "galaxy10": [home / ".astroNN" / "datasets" / "Galaxy10_DECals.h5"],
        "galaxy10_sdss": [home / ".astroNN" / "datasets" / "Galaxy10.h5"],
        "mnist": [home / ".keras" / "datasets" / "mnist.npz"],
    }.get(name, [])
