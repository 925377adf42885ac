"""Open report.html in headless Chromium like a user: every image decodes, no JS error, a screenshot.

Skipped when Chromium is absent, unless BENCH_REQUIRE_CHROMIUM=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os

import pytest

from bench.report.screenshot import check_page, find_chromium


@pytest.fixture
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("BENCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(
                "BENCH_REQUIRE_CHROMIUM=1 but chromium is not installed (apt-get install -y chromium)"
            )
        pytest.skip("chromium not installed (apt-get install -y chromium); CI requires it")
    return path


def test_report_opens_with_every_image_and_no_errors(chromium, sample_report, tmp_path):
    result = check_page(sample_report.html, tmp_path / "report.png")
    drawn = sum(c.skipped is None for c in sample_report.charts)
    assert result.images == drawn and result.loaded == drawn, result
    assert result.errors == []
    assert result.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_check_catches_a_broken_image_and_a_script_error(chromium, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        '<img src="data:image/png;base64,AAAA"><script>noSuchFunction()</script></body></html>'
    )
    result = check_page(page, tmp_path / "bad.png")
    assert result.images == 1 and result.loaded == 0
    assert any("noSuchFunction" in e for e in result.errors)
    assert not result.ok
