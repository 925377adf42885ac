"""`bench plan` on a machine with no earlier results and no data sets: a summary per pair and mode that
fits 80 columns, the time of the cells that can run now apart from those waiting for data, what the
estimate rests on (the GEMM peak measured just now), pruned and skipped cells, and the full per-cell
table in a CSV file."""

from __future__ import annotations

import csv
import re

from tests.bench.conftest import bench

MATRIX = """
name = "mixed"
[axes]
pairs = ["digits/cifar_cnn", "cifar10/cifar_cnn", "digits/mnist_cnn"]
batch_size = [32, 64]
threads = 1
[[include]]
pairs = ["digits/cifar_cnn"]
device = "gpu:7"
"""


def test_plan_leads_with_what_runs_now_and_writes_every_cell_to_a_file(tmp_path):
    matrix = tmp_path / "mixed.toml"
    matrix.write_text(MATRIX)
    out = tmp_path / "plan.csv"
    env = {"BENCH_DATA_DIR": str(tmp_path / "data"), "BENCH_RESULTS_DIR": str(tmp_path / "results")}
    proc = bench("plan", "--matrix", str(matrix), "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(x) for x in lines if str(tmp_path) not in x) <= 80  # a path is as long as it is
    text = proc.stdout
    assert re.search(r"digits/cifar_cnn\s+throughput\s+2, \d+ (s|min)", text)  # runs now, with its time
    assert re.search(r"cifar10/cifar_cnn\s+throughput\s+2, \d+ (s|min)", text)  # waits for data
    assert re.search(r"^can run now: 2 cells, about \d+ (s|min)$", text, re.M)
    flat = " ".join(text.split())
    assert "waiting for data: 2 cells (cifar10 2); the 2 not pruned take about" in flat
    assert "cifar10: 170 MB download: python -m bench datasets download cifar10" in flat
    assert "skipped on this machine: 2 cells (gpu:7 requested" in flat
    assert ("skipped: digits/mnist_cnn cannot run (2 cells): mnist_cnn needs images of at least 10x10, "
            "digits has 8x8; pair digits with cifar_cnn") in flat
    assert re.search(r"GEMM peak measured just now \(cpu [\d,.]+ GFLOP/s\)\. That peak moves with the "
                     r"machine's load", flat)
    rows = list(csv.DictReader(out.open()))
    assert str(out) in text and len(rows) == 8
    assert {r["status"] for r in rows} == {"run", "needs data", "skipped"}
    assert [r["order"] for r in rows] == [str(i) for i in range(1, 9)]


def test_a_matrix_whose_every_cell_is_too_small_for_its_model_is_one_line(tmp_path):
    matrix = tmp_path / "unfit.toml"
    matrix.write_text('[axes]\npairs = ["digits/mnist_cnn"]\n')
    for command in ("plan", "run"):
        proc = bench(command, "--matrix", str(matrix), env={"BENCH_RESULTS_DIR": str(tmp_path / "r")})
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith("error: no cell of matrix unfit can run: digits/mnist_cnn: mnist_cnn "
                                      "needs images of at least 10x10, digits has 8x8")
        assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # run started nothing
