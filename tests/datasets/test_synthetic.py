"""Synthetic data written safely (issue 31, reproduction 2's data side): a write that fails (a full disk)
leaves no hidden temporary file and is one line naming the file; a write that cannot fit is refused
before it starts."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bench.errors import UserError
from datasets import synthetic
from datasets.h5store import write_h5
from tests.conftest import REPO, needs_posix

LIMIT = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
sys.argv = ["bench", *sys.argv[1:]]
runpy.run_module("bench", run_name="__main__")
"""


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@needs_posix
def test_a_real_write_fault_leaves_no_temp_file(data_dir: Path):
    """A 24.6 MB synthetic file under a 1 MiB file-size limit: the kernel fails HDF5's write."""
    proc = subprocess.run([sys.executable, "-c", LIMIT, "datasets", "verify", "synthetic:64x64x3:2:2000"],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BENCH_DATA_DIR": str(data_dir)})
    err = proc.stderr
    assert proc.returncode == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert proc.stderr.startswith(f"error: cannot write {data_dir / 'synthetic'}")
    assert "(File too large)" in proc.stderr and "--data-dir, BENCH_DATA_DIR" in proc.stderr
    assert _files(data_dir) == []


def test_a_failed_write_removes_its_temp_file_and_names_the_file(tmp_path: Path):
    def blocks():
        yield np.zeros((10, 4, 4, 1), np.uint8), np.zeros(10, np.uint8)
        raise OSError(errno.ENOSPC, "No space left on device")

    path = tmp_path / "out" / "d.h5"
    with pytest.raises(UserError, match=rf"cannot write {path} \(No space left on device\); check the free"):
        write_h5(path, blocks(), num_examples=20, image_shape=(4, 4, 1), class_names=["a", "b"])
    assert _files(tmp_path) == []


def test_an_interrupted_write_removes_its_temp_file(tmp_path: Path):
    def blocks():
        yield np.zeros((10, 4, 4, 1), np.uint8), np.zeros(10, np.uint8)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_h5(tmp_path / "d.h5", blocks(), num_examples=20, image_shape=(4, 4, 1), class_names=["a", "b"])
    assert _files(tmp_path) == []


def test_a_file_too_big_for_the_disk_is_refused_before_writing(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(synthetic.shutil, "disk_usage", lambda _: SimpleNamespace(free=500_000_000))
    with pytest.raises(UserError, match=r"needs 1,966.2 GB in .* and its disk has 500.0 MB free; use fewer"):
        synthetic.ensure("synthetic:256x256x3:10:10000000", tmp_path / "s")
    assert not (tmp_path / "s").exists()
    assert synthetic.ensure("synthetic:8x8x1:2:100", tmp_path / "s").exists()  # 6.4 KB fits


def test_an_image_beyond_the_cap_is_refused():
    with pytest.raises(UserError, match="one image is 30,000,000,000 bytes, more than the 67,108,864"):
        synthetic.parse("synthetic:100000x100000x3:10:100")
