"""File and content digests ("sha256:<hex>" / "md5:<hex>") and a stamp that avoids re-hashing big files."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import BinaryIO

from bench.errors import UserError

BLOCK = 1 << 20


def _hash_stream(stream: BinaryIO, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    while block := stream.read(BLOCK):
        h.update(block)
    return h.hexdigest()


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes."""
    with open(path, "rb") as f:
        return _hash_stream(f, algorithm)


def gzip_content_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a .gz file's decompressed bytes."""
    with gzip.open(path, "rb") as f:
        return _hash_stream(f, algorithm)


def matches(path: Path, digest: str, *, content: bool = False) -> bool:
    """True when the file (or its gzip content) has the expected "algo:hex" digest; a folder, an
    unreadable file or a .gz that is not gzip is a UserError naming the file."""
    algorithm, expected = digest.split(":", 1)
    if path.is_dir():
        raise UserError(f"{path} is a folder; give the path of the downloaded file itself")
    try:
        got = gzip_content_digest(path, algorithm) if content else file_digest(path, algorithm)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise UserError(f"{path} is not a readable gzip file ({exc}); download it again") from None
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror or exc}); check the path and its "
                        "permissions") from None
    return got == expected.lower()


def _stamp_key(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def stamp_ok(stamp: Path, path: Path, digest: str) -> bool:
    """True when ``stamp`` records that this exact file (path, size, mtime) matched ``digest``."""
    try:
        rec = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return rec == {**_stamp_key(path), "digest": digest}


def write_stamp(stamp: Path, path: Path, digest: str) -> None:
    """Remember that ``path`` matched ``digest``, so later opens skip hashing gigabytes."""
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({**_stamp_key(path), "digest": digest}), encoding="utf-8")
