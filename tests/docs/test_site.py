"""The documentation site: every page reachable from the nav, its worked example a valid matrix, and its
picture of the report's first screen the size a reader's browser shows."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from bench.config.matrix import Machine, expand, load_matrix
from docs import screenshot

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
OTHERS = ("before-after/",)  # pages other work adds, linked from where they are used


def _nav_pages() -> list[str]:
    """Every page path named in mkdocs.yml's nav (`- Title: path.md` lines after `nav:`)."""
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    return re.findall(r"^\s*- [^:\n]+: (\S+\.md)\s*$", nav, re.M)


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    nav = _nav_pages()
    pages = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")]
    assert sorted(p for p in pages if not p.startswith(OTHERS)) == sorted(nav)


def test_the_matrix_guide_example_is_a_valid_matrix(tmp_path):
    text = (DOCS / "guide" / "matrix.md").read_text(encoding="utf-8")
    block = re.search(r'```toml\n(name = "galaxy-precision".*?)```', text, re.S).group(1)
    path = tmp_path / "galaxy-precision.toml"
    path.write_text(block, encoding="utf-8")
    planned = expand(load_matrix(str(path)), Machine(logical_cores=2))
    assert len(planned) == 2 * 4 * 2  # pairs x batch sizes x precisions, on the CPU


def test_the_first_screen_picture_is_a_browser_window_of_the_report():
    head = screenshot.PICTURE.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (screenshot.WIDTH, screenshot.HEIGHT)
    assert screenshot.REPORT.exists()
