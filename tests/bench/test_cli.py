"""The run/plan/env commands' user errors: one line, exit status 2, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.bench.conftest import REPO, bench, wait_for
from tests.conftest import needs_posix


@pytest.mark.parametrize("args", [
    ("run", "--bogus"), ("run", "--retry", "everything"), ("plan",), ("run",), ("run", "--matrix", "nope"),
    ("plan", "--matrix", "nope.toml"), ("run", "--resume", "--out", "/nonexistent/run"),
])
def test_bad_invocations_are_one_line(args):
    proc = bench(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_bad_matrix_key_names_it(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[axes]\npairs = ["digits/cifar_cnn"]\nbatchsize = 3\n')
    proc = bench("run", "--matrix", str(bad), "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "unknown key 'batchsize'" in proc.stderr


def test_existing_run_folder_needs_resume(faults_run):
    proc = bench("run", "--matrix", "ci", "--out", str(faults_run[0]))
    assert proc.returncode == 2 and "add --resume" in proc.stderr


@needs_posix  # Windows delivers Ctrl-C as a console event (CTRL_C_EVENT), not a signal sent to one process
def test_ctrl_c_stops_the_cell_and_leaves_a_resumable_folder(tmp_path):
    import psutil

    matrix = tmp_path / "hang.toml"
    matrix.write_text('[axes]\npairs = ["digits/m_hang", "digits/m_next"]\n')
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "bench", "run", "--matrix", str(matrix), "--out", str(out)]
    # SIGINT as a terminal gives it: default disposition even where this test runs as a background job
    # (a non-interactive shell starts those with SIGINT ignored, and Python keeps an inherited ignore).
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "BENCH_FAULT": "hang@m_hang"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    logs = out / "logs"
    try:
        wait_for(lambda: logs.exists() and any(logs.iterdir()), 120, "the first cell to start")
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:  # never leave the runner or its hanging cell behind for the tests that follow
        for p in [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)] \
                if proc.poll() is None else []:
            p.kill()
    assert proc.returncode == 130, stderr
    assert f"resume with: python -m bench run --resume --out {out}" in stdout
    assert "Traceback" not in stderr
    psutil.wait_procs(children, timeout=10)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
    assert not (out / "results.jsonl").exists() or (out / "results.jsonl").read_text() == ""
    assert (out / "matrix.toml").exists()  # resumable: the folder has its matrix


def test_env_command_prints_the_fingerprint_as_json():
    import json

    proc = bench("env", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["logical_cores"] >= 1 and info["tf_version"] and info["cpu_model"]
    assert "cuda_build" in info and "cudnn_build" in info and "onednn" in info
    assert info["tf_gpus"] or info["gpu_note"]  # the GPUs TensorFlow sees, or why there are none
    assert "peak_gflop_s" not in info  # only measured when asked (--peak, and by every run)


def test_download_offline_is_one_line_naming_the_import(tmp_path):
    matrix = tmp_path / "cifar.toml"
    matrix.write_text('[axes]\npairs = ["cifar10/cifar_cnn"]\n')
    env = {"BENCH_DATA_DIR": str(tmp_path / "data")}
    proc = bench("run", "--matrix", str(matrix), "--out", str(tmp_path / "run"), "--download", env=env)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "python -m bench datasets import cifar10" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run" / "results.jsonl").exists()


def test_a_line_break_typed_into_an_argument_stays_on_the_one_error_line(capsys):
    from bench.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["plan", "--matrix", "ci", "a\nb"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: python -m bench: unrecognized arguments: a\\nb (see --help)\n"
