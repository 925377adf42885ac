"""The CI scripts and tox.ini name test files by path: a file moved without them would fail only in CI's
last step (pytest exit 4, "file or directory not found"), so the default suite checks every path they name."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

SCRIPTS = sorted(p for p in (REPO / ".ci").iterdir() if p.is_file()) + [REPO / "tox.ini"]
TEST_PATH = re.compile(r"(?<![\w/.])tests/[\w/.-]+\.py\b")


def named_test_paths() -> list[tuple[str, str]]:
    """(script, path) for every tests/...py path written in a CI script or tox.ini."""
    return [(script.name, m.group(0)) for script in SCRIPTS
            for m in TEST_PATH.finditer(script.read_text(encoding="utf-8"))]


def test_the_scripts_name_test_files() -> None:
    """The check below has something to check: .ci/portable names its selection by path."""
    assert any(script == "portable" for script, _ in named_test_paths())


@pytest.mark.parametrize(("script", "path"), named_test_paths())
def test_named_test_file_exists(script: str, path: str) -> None:
    assert (REPO / path).is_file(), f"{script} names {path}, which does not exist: update the script"
