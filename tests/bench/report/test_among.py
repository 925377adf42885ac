"""bench.report.among: 'This machine among others' in the report, the summary and the terminal, and what
the registry's GPU machines change (nothing said without one).

EVERY NUMBER HERE IS MADE UP TEST INPUT (tests/bench/results/made_up_run.py): a made-up registry of a slow
CPU box and a GPU box, and a made-up run placed among them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.report import among, estimate, headline
from bench.report.load import load_run
from bench.results.shared import build_shared, write_result
from tests.bench.results.made_up_run import ENV, record, write_run

GPU_ENV = ENV | {"peak_gflop_s": {"cpu": 100.0, "gpu:0": 20_000.0}, "gpu_count": 1,
                 "nvml_gpus": [{"index": 0, "name": "NVIDIA Made-Up 9090", "memory_total_mb": 24_000.0}]}


def _share(tmp: Path, name: str, label: str, records: list[dict], env: dict | None = None) -> Path:
    run = write_run(tmp / "runs" / name, records, env)
    (tmp / "registry").mkdir(exist_ok=True)
    return write_result(build_shared(run, label), tmp / "registry" / f"{name}.json.gz")


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A made-up registry: a slow CPU box and a GPU box, each with MNIST training figures."""
    _share(tmp_path, "slow", "Slow box", [record("m", 1000.0)])
    gpu = record("m", 40_000.0, device="gpu:0", peak_gflop_s=20_000.0)
    _share(tmp_path, "gpu", "GPU box", [gpu], GPU_ENV)
    return tmp_path / "registry"


@pytest.fixture
def this_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A made-up run of this machine: MNIST at 2,000 training images/s (twice the slow box)."""
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (10, 0.2))
    return write_run(tmp_path / "this", [record("m", 2000.0), record("m64", 1500.0, batch_size=64)])


def test_rank_and_ratio_to_each_registry_machine(this_run, registry):
    found = among.place_run(this_run, registry)
    table = among.table(found).iloc[0]
    assert table["pair"] == "mnist/mnist_cnn (synthetic data)"
    assert table["rank"] == "2 of 3"  # the GPU box is faster, the slow box slower
    assert (table["vs Slow box"], table["vs GPU box"]) == ("2.0x", "0.05x")


def test_a_pair_measured_only_beside_busy_programs_is_placed_and_says_so(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (10, 0.2))
    run = write_run(tmp_path / "busy", [record("m", 2000.0, contended=True, others_cpu_cores=1.2)])
    found = among.place_run(run, registry)
    assert among.table(found).loc[0, "rank"] == "2 of 3 (contended)"
    lines = among.lines(found)
    assert lines[-2].endswith("0.05x   2.0x (contended)") and "may read low" in lines[-1]


def test_terminal_lines_number_the_machines_and_fit_100_columns(this_run, registry):
    lines = among.lines(among.place_run(this_run, registry))
    assert lines[0].startswith("This machine among others")
    assert {"  1: GPU box", "  2: Slow box"} <= set(lines)
    assert lines[-1].split() == ["mnist/mnist_cnn", "(synthetic", "data)", "2", "of", "3", "0.05x", "2.0x"]
    assert max(map(len, lines)) <= 100


def test_what_a_gpu_machine_of_the_registry_changes(this_run, registry):
    assert among.gpu_sentences(among.place_run(this_run, registry)) == [
        "On the registry's GPU machine (GPU box), full trainings run 20 times as fast as here (1 pair "
        "compared like for like)."]


def test_nothing_is_said_about_gpus_without_a_gpu_machine(this_run, registry):
    (registry / "gpu.json.gz").unlink()
    found = among.place_run(this_run, registry)
    assert among.gpu_sentences(found) == []
    assert not any("GPU" in line for line in headline.sentences(load_run(this_run), found))


def test_a_damaged_registry_file_leaves_the_report_saying_why(this_run, registry):
    (registry / "bad.json.gz").write_bytes(b"not gzip")
    found = among.place_run(this_run, registry)
    assert found.placed.empty and "could not be read" in found.why_none and "bad.json.gz" in found.why_none
    assert among.lines(found)[0].startswith("This machine among others: none (the registry")


def test_an_empty_registry_says_so(this_run, tmp_path):
    found = among.place_run(this_run, tmp_path / "nothing")
    assert found.why_none.endswith("holds no machine")


def test_the_report_summary_and_terminal_place_the_machine(this_run, registry, monkeypatch, capsys):
    monkeypatch.setattr(among, "REGISTRY", registry)
    assert main(["report", str(this_run)]) == 0
    printed = capsys.readouterr().out
    assert "On the registry's GPU machine (GPU box)" in printed and "  2: Slow box" in printed
    page = (this_run / "report.html").read_text()
    summary = (this_run / "summary.md").read_text()
    sections = ((page, "<h2>This machine among others</h2>"), (summary, "## This machine among others"))
    for text, section in sections:
        assert section in text and "vs Slow box" in text and "2.0x" in text
        assert text.index("GPU machine (GPU box), full trainings run 20 times") < text.index(section)
    assert headline.end_of_run_lines(this_run) == [line for line in printed.splitlines()
                                                   if line in headline.end_of_run_lines(this_run)]


@pytest.mark.parametrize(("value", "text"), [(12.4, "12x"), (4.83, "4.8x"), (0.895, "0.90x"),
                                             (0.0612, "0.061x"), (float("nan"), "")])
def test_ratios_read_as_people_write_them(value, text):
    assert among.ratio_text(value) == text


def test_a_pair_no_registry_machine_has_is_named_not_tabled(tmp_path, registry, monkeypatch):
    """A run of a pair the registry lacks gets one line naming it, not a table of dashes."""
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (10, 0.2))
    run = write_run(tmp_path / "galaxy", [record("g", 50.0, model="galaxy_cnn")])
    assert among.lines(among.place_run(run, registry)) == [
        "This machine among others: no registry machine has galaxy10/galaxy_cnn (synthetic data) like for "
        "like (`python -m bench machines` lists what each measured)."]


def test_the_registry_file_of_this_very_run_is_not_compared_with_it(this_run, registry):
    """A run shared into the registry (results/example/quick is the CI machine's file) is not ranked against
    itself at 1.0x."""
    write_result(build_shared(this_run, "This run, shared"), registry / "this.json.gz")
    found = among.place_run(this_run, registry)
    assert "This run, shared" not in found.placed.columns
    assert among.table(found).loc[0, "rank"] == "2 of 3"
