"""`bench datasets` and `bench pipeline` from the command line: bad input is `error: ...`, exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from bench.cli import main

REPO = Path(__file__).resolve().parents[2]


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/mnist.npz"


def _fails(argv: list[str], capsys: pytest.CaptureFixture, match: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert match in err
    return err


def test_bad_inputs_exit_2_with_one_line(make_h5, data_dir: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    truncated = make_h5("t.h5", n=2000, shape=(16, 16, 3))
    truncated.write_bytes(truncated.read_bytes()[:5000])
    wrong_dtype = tmp_path / "w.h5"
    with h5py.File(wrong_dtype, "w") as f:
        f["images"], f["ans"] = [[[[0.5]]]], [0]
    _fails(["datasets", "verify", "cifar10"], capsys, "python -m bench datasets download cifar10")
    _fails(["datasets", "import", "cifar10", str(tmp_path / "nope")], capsys, "does not exist")
    _fails(["datasets", "verify", f"h5:{truncated}"], capsys, "truncated or corrupt")
    _fails(["datasets", "verify", f"h5:{wrong_dtype}"], capsys, "uint8")
    _fails(
        ["datasets", "download", "mnist", "--url", _closed_port_url()], capsys, "datasets import mnist PATH"
    )
    _fails(["pipeline", f"h5:{tmp_path / 'missing.h5'}"], capsys, "does not exist")
    _fails(["pipeline", "synthetic:8x8x1:2:40", "--mode", "tfio"], capsys, "tensorflow-io")


def test_list_and_import_real_mnist(mnist_dir: Path, data_dir: Path, capsys):
    assert main(["datasets", "import", "mnist", str(mnist_dir)]) == 0
    assert main(["datasets", "verify", "mnist"]) == 0
    assert "checksum ok" in capsys.readouterr().out
    assert main(["datasets", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "galaxy10_sdss" in out and "mnist" in out


def test_pipeline_command_writes_json(data_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "p.json"
    argv = [
        "pipeline",
        "synthetic:16x16x3:4:400",
        "--mode",
        "stream",
        "--batch-size",
        "32",
        "--json",
        str(out),
    ]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["examples"] == 256 and result["synthetic"] is True and result["pipeline"] == "stream"
    assert result["pipeline_img_s"] > 0 and result["peak_rss_mb"] > 0
    assert "pipeline_img_s" in capsys.readouterr().out


def test_subprocess_has_no_traceback(data_dir: Path):
    env = {**os.environ, "BENCH_DATA_DIR": str(data_dir), "HOME": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "datasets", "verify", "galaxy10"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (
        proc.returncode == 2
        and proc.stderr.startswith("error: galaxy10 is not in")
        and "Traceback" not in proc.stderr
    )


def test_pipeline_command_input_efficiency(data_dir: Path, tmp_path: Path, monkeypatch):
    """--model trains on one constant batch and on the pipeline; a pipeline slowed by the test hook keeps
    little of the model's speed and is input-bound."""
    from datasets.pipeline import SLOW_ENV

    monkeypatch.setenv(SLOW_ENV, "0.05")
    out = tmp_path / "p.json"
    argv = ["pipeline", "synthetic:28x28x1:10:400", "--model", "mnist_cnn", "--epochs", "1",
            "--train-steps", "20", "--json", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["input_efficiency"] == pytest.approx(result["train_img_s"] / result["model_only_img_s"],
                                                       abs=1e-3)
    assert result["input_bound"] is True and result["input_efficiency"] < 0.95
