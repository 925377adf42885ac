"""Issue 31, reproduction 4: hostile HDF5 files given to `bench datasets verify h5:X` and `bench pipeline
h5:X`. Each is one line naming the file and the fix, exit 2: never a traceback, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from tests.conftest import REPO, needs_posix
from tests.datasets import hostile


def _fails(argv: list[str], capsys: pytest.CaptureFixture, *match: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert all(m in err for m in match), err
    return err


def _commands(path: Path) -> list[list[str]]:
    return [["datasets", "verify", f"h5:{path}"], ["pipeline", f"h5:{path}", "--mode", "numpy"]]


@pytest.mark.parametrize("case", hostile.REFUSED)
def test_hostile_file_is_refused_in_one_line(case: str, tmp_path: Path, data_dir: Path, capsys):
    build, says = hostile.REFUSED[case]
    path = build(tmp_path)
    for argv in _commands(path):
        _fails(argv, capsys, str(path), says)
    assert not list(data_dir.rglob("splits-*")), "refused before any split was made"


@needs_posix
@pytest.mark.parametrize("command", ["verify", "pipeline"])
def test_external_storage_on_a_fifo_is_refused_not_a_hang(command: str, tmp_path: Path, data_dir: Path):
    """The FIFO has no writer: reading it would block forever, so the command runs with a timeout."""
    path = hostile.external_storage(tmp_path, hostile.fifo(tmp_path))
    argv = (["datasets", "verify", f"h5:{path}"] if command == "verify"
            else ["pipeline", f"h5:{path}", "--mode", "numpy"])
    proc = subprocess.run([sys.executable, "-m", "bench", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "BENCH_DATA_DIR": str(data_dir)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"keeps its data in an external file ({tmp_path / 'fifo'})" in proc.stderr


def test_corrupt_middle_chunk_fails_verify_naming_the_images(tmp_path: Path, data_dir: Path, capsys):
    path = hostile.corrupt_chunk(tmp_path)
    _fails(["datasets", "verify", f"h5:{path}"], capsys, str(path), "images 150..159 cannot be read",
           "download or copy it again")


@pytest.mark.parametrize("progress", [False, True])
def test_verify_says_it_read_every_chunk(tmp_path: Path, data_dir: Path, capsys, monkeypatch, progress: bool):
    from bench.commands import datasets
    from datasets import verify

    calls: list[tuple[int, int]] = []
    read_everything = verify.read_everything
    monkeypatch.setattr(verify, "read_everything", lambda p, bar=None: read_everything(
        p, bar and (lambda done, total: (calls.append((done, total)), bar(done, total)))))
    if progress:  # as for a file over 256 MiB: a progress bar on stderr while it reads
        monkeypatch.setattr(datasets, "PROGRESS_BYTES", 0)
    path = hostile.good(tmp_path / "ok.h5", chunks=(hostile.CHUNK_ROWS, *hostile.SHAPE), compression="gzip")
    assert main(["datasets", "verify", f"h5:{path}"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    said = "read every chunk (30 of images, labels stored whole): all 300 images, 57,600 bytes inflated"
    assert said in out and calls == ([(300, 300)] if progress else [])


@pytest.mark.parametrize("mode", ["memory", "stream", "cache", "numpy"])
def test_corrupt_middle_chunk_met_by_the_pipeline_is_one_line(mode: str, tmp_path: Path, data_dir: Path,
                                                              capsys):
    path = hostile.corrupt_chunk(tmp_path)
    _fails(["pipeline", f"h5:{path}", "--mode", mode, "--split", "test", "--no-shuffle"], capsys, str(path),
           "images 150..159 cannot be read")
    assert not [p for p in data_dir.rglob(".*") if p.is_file()], "no temporary file left behind"


def test_corrupt_chunk_mid_stream_prints_no_traceback_at_all(tmp_path: Path, data_dir: Path):
    """In a fresh process, with nothing quieting TensorFlow: its C++ warnings would print the failed
    read's traceback from the tf.data thread."""
    path = hostile.corrupt_chunk(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-m", "bench", "pipeline", f"h5:{path}", "--mode", "stream"],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**env, "BENCH_DATA_DIR": str(data_dir)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(f"error: {path}: images 150..159 cannot be read")


def test_a_split_too_big_for_memory_is_one_line(tmp_path: Path, data_dir: Path, capsys, monkeypatch):
    from datasets import pipeline

    def no_memory(shape: tuple[int, ...]) -> None:
        raise MemoryError(f"Unable to allocate an array with shape {shape}")

    monkeypatch.setattr(pipeline, "aligned_empty", no_memory)
    path = hostile.good(tmp_path / "ok.h5")
    _fails(["pipeline", f"h5:{path}", "--mode", "memory"], capsys, "the train split does not fit in memory",
           "use --mode stream")


@needs_posix
def test_a_file_name_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path, data_dir: Path, capsys):
    """`caf\xe9.h5` (Latin-1 bytes, held by Python with a surrogate escape): refused at the start with one
    line naming the fix (a name that cannot be written into a record or report round-trips nowhere)."""
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.h5"))
    hostile.good(path)
    for args in (["datasets", "verify", f"h5:{path}"], ["pipeline", f"h5:{path}", "--mode", "numpy"]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is not UTF-8 text" in err[0] and "rename the file" in err[0]
