"""python -m docs.screenshot: the report's first screen, taken only from a page whose images all load."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from bench.errors import UserError
from bench.report.screenshot import find_chromium
from docs import screenshot

PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
         "hgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(autouse=True)
def chromium() -> None:
    if find_chromium() is None:
        if os.environ.get("BENCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail("BENCH_REQUIRE_CHROMIUM=1 but chromium is not installed "
                        "(apt-get install -y chromium)")
        pytest.skip("chromium not installed (apt-get install -y chromium); CI requires it")


def _page(tmp_path: Path, src: str) -> Path:
    page = tmp_path / "report.html"
    page.write_text(f"<html><head></head><body><h1>made-up report</h1><img src='{src}'></body></html>",
                    encoding="utf-8")
    return page


def test_a_page_that_loads_gives_a_first_screen_picture(tmp_path: Path) -> None:
    out = screenshot.refresh(_page(tmp_path, PIXEL), tmp_path / "img" / "first.png")
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (screenshot.WIDTH, screenshot.HEIGHT)


def test_a_page_with_a_broken_image_leaves_the_picture_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "first.png"
    out.write_bytes(b"the picture before")
    with pytest.raises(UserError, match="0 of 1 images decoded"):
        screenshot.refresh(_page(tmp_path, "missing.png"), out)
    assert out.read_bytes() == b"the picture before"
