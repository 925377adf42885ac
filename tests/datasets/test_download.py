"""Downloads against a local HTTP server on 127.0.0.1: whole, resumed with Range, bad checksum, offline."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.errors import UserError
from datasets.download import download

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB
GOOD = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at any path, honouring `Range: bytes=N-`; records the ranges asked for."""

    ranges: list[str | None] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        start = int(rng.removeprefix("bytes=").rstrip("-")) if rng else 0
        body = PAYLOAD[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    RangeHandler.ranges = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/file.bin"
    httpd.shutdown()
    httpd.server_close()


def test_download_whole_file(server: str, tmp_path: Path):
    dest = download(server, tmp_path / "f.bin", GOOD, name="mnist", quiet=True)
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "f.bin.part").exists()
    assert RangeHandler.ranges == [None]


def test_download_resumes_a_part_file(server: str, tmp_path: Path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:300_000])
    dest = download(server, tmp_path / "f.bin", GOOD, name="mnist", quiet=True)
    assert dest.read_bytes() == PAYLOAD
    assert RangeHandler.ranges == ["bytes=300000-"]


def test_checksum_mismatch_is_refused_and_removed(server: str, tmp_path: Path):
    with pytest.raises(UserError, match="checksum mismatch") as exc:
        download(server, tmp_path / "f.bin", "sha256:" + "0" * 64, name="galaxy10", quiet=True)
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_no_network_names_the_manual_route(tmp_path: Path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/Galaxy10_DECals.h5"
    with pytest.raises(UserError) as exc:
        download(url, tmp_path / "g.h5", GOOD, name="galaxy10", quiet=True)
    msg = str(exc.value)
    assert "\n" not in msg and url in msg and "python -m bench datasets import galaxy10 PATH" in msg
