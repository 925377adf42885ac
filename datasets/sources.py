"""Named datasets on disk: find their files (data dir, a file imported by hand, astroNN/Keras caches),
verify checksums before use, import, download, and convert to the HDF5 layout once."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py

from bench.errors import UserError, notice
from datasets import checksum, convert, paths
from datasets.download import download
from datasets.h5store import inspect_h5
from datasets.specs import SPECS, DatasetSpec, SourceFile

CONVERTED = ("mnist", "cifar10", "digits")
POINTER = "source.json"
# Shipped with the project (datasets/bundled/README.md): MNIST's official 10,000 test images, the
# fallback when no full copy is here, so an offline fresh clone measures a real accuracy.
BUNDLED = {"mnist": Path(__file__).with_name("bundled") / "mnist"}


@dataclass(frozen=True)
class Status:
    """One row of `bench datasets`: is it here, where, and was its checksum verified."""

    name: str
    present: bool
    where: str
    verified: str


def spec_for(name: str) -> DatasetSpec:
    """The spec of a named dataset, or a UserError listing the names."""
    if name not in SPECS:
        raise UserError(
            f"unknown dataset {name!r}; choose one of {', '.join(SPECS)}, h5:PATH or synthetic:HxWxC:K:N"
        )
    return SPECS[name]


def folder(root: Path, name: str) -> Path:
    """The dataset's own folder in the data dir."""
    return paths.dataset_dir(root, name)


def converted_h5(root: Path, name: str) -> Path:
    """Where a converted dataset's HDF5 file lives."""
    return folder(root, name) / f"{name}.h5"


def _pointer(root: Path, name: str) -> Path | None:
    try:
        return Path(json.loads((folder(root, name) / POINTER).read_text(encoding="utf-8"))["path"])
    except (OSError, ValueError, KeyError):
        return None


def candidates(root: Path, name: str, *, bundled: bool = True) -> list[Path]:
    """Existing source files or IDX folders for ``name``, best first (data dir, imported, foreign caches,
    then the subset shipped with the project unless ``bundled`` is false)."""
    spec = spec_for(name)
    here = folder(root, name)
    found = [here / f.name for f in spec.files]
    if name == "mnist" and convert.mnist_idx_files(here):
        found.append(here)
    pointer = _pointer(root, name)
    if pointer is not None:
        found.append(pointer)
    found += paths.foreign_caches(name)
    shipped = BUNDLED.get(name)
    found = [p for p in found if shipped is None or p.resolve() != shipped.resolve()]
    if bundled and shipped is not None:
        found.append(shipped)
    return [p for p in found if p.exists()]


def _converted_from_bundled(root: Path, name: str) -> bool:
    """True when the converted HDF5 file was made from the subset shipped with the project."""
    h5 = converted_h5(root, name)
    if name not in BUNDLED or not h5.exists():
        return False
    try:
        with h5py.File(h5, "r") as f:
            return str(f.attrs.get("source", "")) == str(BUNDLED[name])
    except OSError:
        return False


def only_bundled(root: Path, name: str) -> bool:
    """True when the only copy of ``name`` here is the subset shipped with the project."""
    if name not in BUNDLED or candidates(root, name, bundled=False):
        return False
    return not converted_h5(root, name).exists() or _converted_from_bundled(root, name)


def _missing_error(root: Path, name: str) -> UserError:
    spec = spec_for(name)
    url = spec.urls[0] if spec.urls else ""
    return UserError(
        f"{name} is not in {folder(root, name)}; run `python -m bench datasets download {name}`, "
        f"or download {url} by hand and run `python -m bench datasets import {name} PATH`"
    )


def _stamp(root: Path, path: Path) -> Path:
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    return root / ".verified" / f"{key}.json"


def _verify_file(root: Path, path: Path, source: SourceFile, name: str, *, force: bool) -> None:
    """Check one published file against its digest (remembered per path/size/mtime unless ``force``)."""
    if not force and checksum.stamp_ok(_stamp(root, path), path, source.digest):
        return
    if not checksum.matches(path, source.digest):
        raise UserError(
            f"checksum mismatch: {path} is not the published {source.name} (expected {source.digest}); "
            f"delete it and run `python -m bench datasets download {name}`"
        )
    checksum.write_stamp(_stamp(root, path), path, source.digest)


def _verify_idx_folder(root: Path, path: Path, force: bool) -> None:
    """Check every IDX file present by the digest of its decompressed content (the .gz may be re-packed)."""
    files = convert.mnist_idx_files(path)
    pairs = [
        ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
        ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    ]
    for pair in pairs:
        if (pair[0] in files) != (pair[1] in files) or (pair == pairs[0] and pair[0] not in files):
            raise UserError(f"{path} needs both {pair[0]} and {pair[1]}; copy the missing one there")
    for source in SPECS["mnist"].alt_files:
        p = path / source.name
        if source.name not in files:
            continue
        if force or not checksum.stamp_ok(_stamp(root, p), p, source.content_digest):
            if not checksum.matches(p, source.content_digest, content=True):
                raise UserError(
                    f"checksum mismatch: {p} does not hold the published MNIST content (expected "
                    f"{source.content_digest} of the decompressed bytes); download it again"
                )
            checksum.write_stamp(_stamp(root, p), p, source.content_digest)


def verify_source(root: Path, name: str, path: Path, *, force: bool = False) -> None:
    """Verify a candidate source for ``name`` (a published file or an MNIST IDX folder)."""
    spec = spec_for(name)
    if name == "mnist" and path.is_dir():
        return _verify_idx_folder(root, path, force)
    by_name = {f.name: f for f in spec.files}
    source = by_name.get(path.name, spec.files[0])
    _verify_file(root, path, source, name, force=force)


def prepare(root: Path, name: str) -> tuple[Path, bool]:
    """(HDF5 path ready to read, verified) for a named dataset; converts once; never downloads."""
    spec = spec_for(name)
    if name in CONVERTED:
        h5 = converted_h5(root, name)
        if _converted_from_bundled(root, name) and candidates(root, name, bundled=False):
            _forget_converted(root, name)  # a full copy arrived: convert it instead of the shipped subset
        if h5.exists():
            ready = _converted_ok(root, name, h5)
            if ready is not None:
                return h5, ready
        if spec.bundled:
            return convert.convert(name, Path(), h5, verified=False), False
    found = candidates(root, name)
    if not found:
        raise _missing_error(root, name)
    verify_source(root, name, found[0])
    if name in CONVERTED:
        return convert.convert(name, found[0], converted_h5(root, name), verified=True), True
    return found[0], True


def _converted_ok(root: Path, name: str, h5: Path) -> bool | None:
    """The converted file's `verified` attribute when it reads whole; None (file and its splits removed,
    so it is converted again from its source) when it is damaged."""
    try:
        inspect_h5(h5)
        with h5py.File(h5, "r") as f:
            return bool(f.attrs.get("verified", False))
    except (UserError, OSError):
        notice(f"{h5} is damaged (truncated or corrupt); removed it and its splits, converting it again "
               "from its source")
        _forget_converted(root, name)
        return None


def _forget_converted(root: Path, name: str) -> None:
    """Remove a converted file and its splits and caches, so a new source is converted afresh."""
    if name in CONVERTED:
        for p in [converted_h5(root, name), *folder(root, name).glob("splits-seed*.npz")]:
            p.unlink(missing_ok=True)
        shutil.rmtree(folder(root, name) / "cache", ignore_errors=True)


def import_source(root: Path, name: str, src: Path) -> Path:
    """Take a file (or MNIST IDX folder) downloaded by hand: verify it, remember it, convert if needed."""
    spec = spec_for(name)
    if spec.bundled:
        raise UserError(f"{name} ships with scikit-learn; there is nothing to import")
    src = src.expanduser().resolve()
    if not src.exists():
        raise UserError(f"{src} does not exist; give the path of the downloaded {spec.files[0].name}")
    if name == "mnist" and src.is_file() and src.name.endswith("-ubyte.gz"):
        src = src.parent
    verify_source(root, name, src, force=True)
    folder(root, name).mkdir(parents=True, exist_ok=True)
    (folder(root, name) / POINTER).write_text(json.dumps({"path": str(src)}), encoding="utf-8")
    _forget_converted(root, name)
    return prepare(root, name)[0]


def _reuse_existing(root: Path, name: str) -> Path | None:
    """A verified file already on disk (e.g. the astroNN or Keras cache), if any; never the shipped
    subset (a download asks for the whole data set)."""
    for path in candidates(root, name, bundled=False):
        try:
            verify_source(root, name, path)
        except UserError:
            continue
        return path
    return None


def download_named(root: Path, name: str, *, url: str | None = None, quiet: bool = False) -> tuple[Path, str]:
    """Download a named dataset unless a verified copy exists; (HDF5 path, what happened)."""
    spec = spec_for(name)
    if spec.bundled:
        return prepare(root, name)[0], f"{name} ships with scikit-learn; nothing to download"
    existing = _reuse_existing(root, name)
    if existing is not None:
        if existing != candidates(root, name, bundled=False)[0]:
            (folder(root, name) / POINTER).write_text(json.dumps({"path": str(existing)}), encoding="utf-8")
        return prepare(root, name)[0], f"reused verified {existing}"
    source = spec.files[0]
    dest = folder(root, name) / source.name
    download(url or source.url, dest, source.digest, name=name, quiet=quiet)
    _forget_converted(root, name)
    return prepare(root, name)[0], f"downloaded and verified {dest}"


def status(root: Path, name: str) -> Status:
    """Whether ``name`` is here, where, and whether it was verified (without re-hashing anything)."""
    spec = spec_for(name)
    if name in CONVERTED and converted_h5(root, name).exists():
        h5 = converted_h5(root, name)
        try:
            with h5py.File(h5, "r") as f:
                ok, n = bool(f.attrs.get("verified", False)), len(f["ans"])
        except (OSError, KeyError):
            return Status(name, False, f"{h5} (unreadable)", "no")
        note = "" if n == spec.num_examples else f" ({n} of {spec.num_examples} images)"
        return Status(name, True, f"{h5}{note}", "yes" if ok else ("bundled" if spec.bundled else "no"))
    if spec.bundled:
        return Status(name, True, "scikit-learn (converted on first use)", "bundled")
    found = candidates(root, name)
    if not found:
        return Status(name, False, "-", "-")
    p = found[0]
    if p == BUNDLED.get(name):
        n = SPECS[name].official_test_examples
        where = (f"{p} (the {n:,} official test images shipped with galaxybench; "
                 f"python -m bench datasets download {name} for all {spec.num_examples:,})")
        return Status(name, True, where, "on first use")
    if p.is_dir():
        stamped = all(
            checksum.stamp_ok(_stamp(root, f), f, s.content_digest)
            for s in spec.alt_files
            if (f := p / s.name).exists()
        )
    else:
        source = {f.name: f for f in spec.files}.get(p.name, spec.files[0])
        stamped = checksum.stamp_ok(_stamp(root, p), p, source.digest)
    return Status(name, True, str(p), "yes" if stamped else "not yet (verified on first use)")
