"""Resumable HTTPS download with a progress bar; the checksum is verified before the file is used."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from bench.errors import UserError
from datasets.checksum import matches

CHUNK = 1 << 20
TIMEOUT_S = 30


def _open(url: str, offset: int):
    """Open ``url``, asking for the bytes from ``offset`` on when resuming."""
    request = urllib.request.Request(url, headers={"User-Agent": "galaxybench"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def _fetch(url: str, part: Path, quiet: bool) -> None:
    """Append the rest of ``url`` to ``part`` (restarting if the server ignores the Range header)."""
    offset = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, offset)
    except urllib.error.HTTPError as exc:
        if exc.code != 416:  # 416: the part file already holds everything
            raise
        return
    with response:
        if offset and response.status != 206:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length else None
        with (
            open(part, "ab" if offset else "wb") as out,
            Progress(
                "{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), disable=quiet
            ) as progress,
        ):
            task = progress.add_task(part.name.removesuffix(".part"), total=total, completed=offset)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                progress.advance(task, len(chunk))


def download(url: str, dest: Path, digest: str | None, *, name: str, quiet: bool = False) -> Path:
    """Download ``url`` to ``dest`` (resuming a ``.part`` file), verify ``digest``, then move it in place."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise UserError(f"--url {url!r} is not an http(s) URL; give a full URL such as https://host/{dest.name}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch(url, part, quiet)
    except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: a malformed URL
        reason = getattr(exc, "reason", exc)
        raise UserError(
            f"cannot download {name} from {url} ({reason}); download it by hand from that URL and run "
            f"`python -m bench datasets import {name} PATH`"
        ) from None
    if digest and not matches(part, digest):
        part.unlink()
        raise UserError(
            f"checksum mismatch for {dest.name} downloaded from {url} (expected {digest}); the bad file was "
            f"deleted, run `python -m bench datasets download {name}` again or import a good copy"
        )
    part.replace(dest)
    return dest
