"""End to end: a tiny made-up run shared with `bench share`, read back, and ranked by `bench machines`
among a registry (two made-up machines and the seed's derived desktop).

EVERY NUMBER HERE IS MADE UP TEST INPUT (tests/bench/results/made_up_run.py)."""

from __future__ import annotations

import pandas as pd

from bench.cli import main
from bench.report.leaderboard import entry_from_shared, place
from bench.report.seed_machine import seed_result
from bench.results.shared import build_shared, load_registry, read_shared, write_result
from tests.bench.results.made_up_run import record, write_run

LATER = "2026-12-01T00:00:00+00:00"


def _registry(tmp_path):
    registry = tmp_path / "registry"
    registry.mkdir()
    for name, speed in (("slow", 1000.0), ("fast", 4000.0)):
        run = write_run(tmp_path / name, [record("m", speed), record("g", speed / 50, model="galaxy_cnn")])
        write_result(build_shared(run, f"{name.title()} box"), registry / f"{name}.json.gz")
    write_result(seed_result(), registry / "seed.json.gz")
    return registry


def test_a_tiny_run_shared_read_back_and_ranked(tmp_path, capsys):
    registry = _registry(tmp_path)
    run = write_run(tmp_path / "mine", [record("m", 3000.0, finished_at=LATER),
                                        record("g", 60.0, model="galaxy_cnn", finished_at=LATER),
                                        record("x", 1.0, status="timeout", reason="killed after 600 s",
                                               train_img_s=None, infer_img_s=None, train_gflop_s=None)])
    mine = tmp_path / "mine.json.gz"
    assert main(["share", str(run), "-o", str(mine), "--label", "My box"]) == 0
    shared = read_shared(mine)
    assert shared.records[2]["status"] == "timeout" and shared.records[2]["reason"] == "killed after 600 s"

    placed = place(entry_from_shared(shared), [entry_from_shared(r) for r in load_registry(registry)])
    mnist = placed.set_index("pair").loc["mnist/mnist_cnn"]
    assert (mnist["rank"], mnist["of"]) == (2, 3)
    assert mnist["Fast box"] < 1 < mnist["Slow box"]
    assert mnist["Student's Ryzen 7 7800X3D, 8 cores, 32 GB"] > 0 and "derived" in mnist["basis"]

    capsys.readouterr()
    csv, page = tmp_path / "m.csv", tmp_path / "m.html"
    assert main(["machines", str(mine), "--registry", str(registry), "--csv", str(csv), "--html", str(page),
                 "--baseline", "Slow"]) == 0
    out = capsys.readouterr().out
    assert "4 machines: 3 from" in out and "1 given" in out
    assert "mnist/mnist_cnn" in out and "3,000" in out and "> My box" in out and "3.00x" in out
    table = pd.read_csv(csv)
    mine_mnist = table[(table["machine"] == "My box") & (table["pair"] == "mnist/mnist_cnn")].iloc[0]
    assert mine_mnist["ratio"] == 3.0 and bool(mine_mnist["newest"])
    assert table[table["pair"] == "galaxy10/densenet121"]["gap"].sum() == 3  # only the seed trained it
    assert page.read_text().count("<img ") == table["pair"].nunique()


def test_machines_takes_a_run_folder_too(tmp_path, capsys):
    registry = _registry(tmp_path)
    run = write_run(tmp_path / "mine", [record("m", 2000.0)])
    args = ["machines", str(run), "--registry", str(registry), "--pair", "mnist_cnn", "--sort", "machine"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2,000" in out and "mnist/mnist_cnn" in out and "galaxy10/" not in out


def test_machines_with_a_path_that_is_nothing_is_one_line(tmp_path, capsys):
    assert main(["machines", str(tmp_path / "nope"), "--registry", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "neither a run folder nor a file" in err[0]
