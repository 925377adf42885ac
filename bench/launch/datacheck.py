"""Before any cell runs: which data sets the matrix reads, which are here, and what is missing.

The runner never spawns a process only to learn that a cell's data is absent: missing data sets are
named once (with their size and the command that fetches them), and their cells are recorded as
skipped in one pass, or the run stops when no cell that reads real data could run.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.config.matrix import Planned
from bench.errors import UserError

DATA_SKIP_PREFIX = "data missing: "  # how a skip written by this check begins (resume re-checks those)
# Download sizes (bytes) of each named data set's primary file, from its publisher (DESIGN.md's facts;
# CIFAR-10's is also in datasets.specs). Only used to tell the user what a download costs.
DOWNLOAD_BYTES = {"mnist": 11_490_434, "cifar10": 170_052_171, "galaxy10": 2_540_000_000,
                  "galaxy10_sdss": 200_000_000}


@dataclass(frozen=True)
class Missing:
    """A data set some cells need that is not on this machine."""

    name: str
    cells: int
    download_bytes: int | None
    command: str


@dataclass
class DataCheck:
    """What the matrix's runnable cells read: present data sets (name -> where, verified) and missing ones."""

    present: dict[str, str] = field(default_factory=dict)
    missing: list[Missing] = field(default_factory=list)
    needing_data: int = 0  # runnable cells that read a named or h5: data set

    @property
    def missing_names(self) -> set[str]:
        return {m.name for m in self.missing}

    @property
    def nothing_real_runs(self) -> bool:
        """True when cells read real data and every one of them would skip for want of it."""
        return self.needing_data > 0 and sum(m.cells for m in self.missing) == self.needing_data


def check_data_folder(root: Path | None = None) -> Path:
    """The data folder (default: datasets.paths.data_dir()), made if absent and shown writable by writing
    a file in it; a UserError naming the fix when it cannot be, before any cell runs (every cell writes
    its splits or synthetic data there, so each would otherwise be recorded as an error)."""
    from datasets import paths

    root = root or paths.data_dir(None)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=root, prefix=".galaxybench-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        why = f"{type(exc).__name__}: {exc.strerror or exc}"
        where = (f"from ${paths.ENV_VAR}" if os.environ.get(paths.ENV_VAR)
                 else f"the default user cache folder, HOME={Path.home()}")
        raise UserError(f"the data folder {root} ({where}) is not a folder this user can write ({why}); "
                        f"set {paths.ENV_VAR} to one (every cell writes its data splits there)") from None
    return root


def needed(cell_dataset: str) -> str | None:
    """The data set a cell must find on disk (a named one or an h5: path), or None for synthetic data."""
    if cell_dataset.startswith("synthetic:"):
        return None
    return cell_dataset


def check(planned: list[Planned], root: Path) -> DataCheck:
    """Look up every data set the runnable cells read, without hashing or converting anything."""
    from datasets import sources
    from datasets.specs import SPECS

    result = DataCheck()
    counts: dict[str, int] = {}
    for p in planned:
        name = needed(p.cell.dataset) if p.skip_reason is None else None
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    result.needing_data = sum(counts.values())
    for name, n in sorted(counts.items()):
        if name.startswith("h5:"):
            path = Path(name.removeprefix("h5:")).expanduser()
            if path.is_file():
                result.present[name] = f"{path} (your file, not verified)"
            else:
                result.missing.append(Missing(name, n, None, f"check the path {path}"))
            continue
        if name not in SPECS:  # an unknown name: the child's one-line error names the choices
            continue
        status = sources.status(root, name)
        if status.present:
            result.present[name] = f"{status.where} (verified: {status.verified})"
        else:
            result.missing.append(Missing(name, n, DOWNLOAD_BYTES.get(name),
                                          f"python -m bench datasets download {name}"))
    return result


def size_text(n: int | None) -> str:
    """A download size as people write it (11 MB, 2.5 GB)."""
    if n is None:
        return "size unknown"
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:,.0f} MB"


def missing_lines(check_result: DataCheck, root: Path) -> list[str]:
    """One line per missing data set: name, cells, download size, the command that fetches it."""
    return [f"  {m.name}: {m.cells} cell(s), {size_text(m.download_bytes)} download: {m.command}"
            for m in check_result.missing] + [f"  (data folder: {root}; or add --download to the run)"]


def skip_reason(name: str) -> str:
    """The reason recorded for a cell whose data set is missing (one line, the fix named)."""
    if name.startswith("h5:"):
        return f"{DATA_SKIP_PREFIX}{name.removeprefix('h5:')} does not exist"
    return (f"{DATA_SKIP_PREFIX}{name} is not on this machine: python -m bench datasets download {name} "
            "(or run with --download)")


def mark_missing(planned: list[Planned], check_result: DataCheck) -> list[Planned]:
    """The planned cells with those whose data set is missing turned into skips (no process each)."""
    missing = check_result.missing_names
    return [Planned(p.cell, skip_reason(p.cell.dataset)) if p.skip_reason is None
            and p.cell.dataset in missing else p for p in planned]
