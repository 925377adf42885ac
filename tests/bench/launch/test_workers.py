"""bench.launch.workers without TensorFlow: why a private namespace could not be made is said in one line."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from bench.launch import workers


def _fake_unshare(tmp_path: Path, body: str) -> Path:
    tool = tmp_path / "unshare"
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


@pytest.mark.parametrize(("body", "why"), [
    ('echo "unshare: unshare failed: Operation not permitted" >&2; exit 1',
     "unshare: unshare failed: Operation not permitted"),
    ("exit 3", "exit status 3"),
])
def test_a_refused_namespace_says_why(tmp_path, monkeypatch, body, why):
    tool = _fake_unshare(tmp_path, body)
    real = shutil.which
    monkeypatch.setattr(workers.shutil, "which", lambda name: str(tool) if name == "unshare" else real(name))
    with pytest.raises(workers.NamespaceUnavailable, match=why), workers.PrivateNetwork():
        pass


def test_missing_tools_are_said(monkeypatch):
    monkeypatch.setattr(workers.shutil, "which", lambda name: None)
    with pytest.raises(workers.NamespaceUnavailable, match="unshare/nsenter"), workers.PrivateNetwork():
        pass


def test_check_network_ignores_runs_without_multiworker_cells(monkeypatch):
    from bench.config.cell import Cell

    monkeypatch.setattr(workers, "namespace_unavailable", lambda: "refused (test)")
    workers.check_network([Cell(dataset="digits", model="mnist_cnn")], expose=False)  # nothing to refuse
