"""bench.report.headline and bench.report.noise: the plain sentences that lead every report and end a run,
and the noise flags (contended cells, a drifting run) in the report's notes and tables.

EVERY NUMBER HERE IS MADE UP TEST INPUT (not a measurement).
"""

from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.report import estimate, headline, noise, tables
from bench.report.load import load_run, machine_label
from tests.bench.report.conftest import ENV, _throughput

STUDENT_PAIRS = [("mnist", "mnist_cnn"), ("cifar10", "cifar_cnn"), ("galaxy10", "galaxy_cnn"),
                 ("galaxy10", "galaxy_deep"), ("galaxy10", "densenet121")]


@pytest.fixture(autouse=True)
def made_up_recipe(monkeypatch):
    """Estimates that do not depend on models/: every recipe 10 epochs, a 20% validation split."""
    monkeypatch.setattr(estimate, "recipe_of", lambda model: (10, 0.2))


def pair_cells(pairs=STUDENT_PAIRS, img_s=100.0, **fields):
    """One made-up throughput cell per pair, 1,000 images an epoch, inference at 3x training."""
    return [_throughput(f"{d}-{m}", img_s, dataset=d, model=m, full_epoch_examples=1000, **fields)
            for d, m in pairs]


@pytest.mark.parametrize(("value", "text"), [(14400.0, "14,400"), (53.66, "53.7"), (4.123, "4.12"),
                                             (2873.4, "2,873")])
def test_numbers_read_as_people_write_them(value, text):
    assert headline.plain(value) == text


def test_the_fastest_setting_of_each_pair_in_words(make_run, throughput):
    cells = [throughput("a", 100.0, batch_size=32), throughput("b", 14400.0, batch_size=128, threads=2)]
    lines = headline.sentences(load_run(make_run(cells)))
    assert lines[0] == ("mnist/mnist_cnn trains fastest at 14,400 images/s with batch 128, float32, "
                        "2 threads, data in memory, on the CPU; inference reached 43,200 images/s.")


def test_the_students_five_trainings_here_against_her_desktop(make_run):
    lines = headline.sentences(load_run(make_run(pair_cells())))
    line = next(x for x in lines if "student's" in x)
    # her epochs 5 + 10 + 50 + 50 + 38 = 153, each 1,000/100 s training + 250/300 s validation
    here = 153 * (1000 / 100 + 250 / 300)
    theirs = sum(estimate.SEED_FIGURES_S.values())
    assert line.startswith("The student's five trainings, at her epochs, would take about "
                           f"{estimate.human_seconds(here)} here, against "
                           f"{estimate.human_seconds(theirs)} on the student's desktop (Ryzen 7 7800X3D, "
                           "8 cores, CPU only): ")
    assert f"{theirs / here:.1f} times faster" in line


def test_only_the_measured_trainings_are_summed_and_named(make_run):
    lines = headline.sentences(load_run(make_run(pair_cells(STUDENT_PAIRS[:2], img_s=1.0))))
    line = next(x for x in lines if "student's" in x)
    assert line.startswith("2 of the student's five trainings (cifar10/cifar_cnn, mnist/mnist_cnn)")
    here = 15 * (1000 + 250 / 3)
    assert f"{here / (180 + 720):.1f} times slower" in line


def test_the_largest_memory_need_and_out_of_memory_cells(make_run, throughput):
    cells = [throughput("a", 10.0, peak_rss_mb=7497.0, batch_size=32),
             throughput("b", 20.0, peak_rss_mb=900.0),
             {**throughput("c", 1.0, batch_size=4096), "status": "oom", "train_img_s": None}]
    lines = headline.sentences(load_run(make_run(cells)))
    assert "The largest memory need was 7,497 MB of RAM (mnist/mnist_cnn, batch 32)." in lines
    assert "Out of memory: mnist/mnist_cnn at batch 4,096." in lines


def test_a_run_without_an_ok_cell_says_so(make_run, throughput):
    run = load_run(make_run([{**throughput("a", 1.0), "status": "error", "reason": "boom"}]))
    assert headline.sentences(run)[0].startswith("No cell finished ok")


def test_end_of_run_lines_of_a_folder_that_is_no_run(tmp_path):
    assert headline.end_of_run_lines(tmp_path)[0].startswith("no summary: ")


def test_contended_cells_are_flagged_in_sentences_notes_and_tables(make_run, throughput):
    cells = [throughput("quiet", 100.0, others_cpu_s=0.2, others_cpu_cores=0.01, contended=False),
             throughput("busy", 200.0, batch_size=64, others_cpu_s=30.0, others_cpu_cores=1.5,
                        contended=True),
             {**throughput("failed", 1.0, others_cpu_cores=0.9, contended=True), "status": "error",
              "reason": "boom"}]
    run = load_run(make_run(cells))
    lines = headline.sentences(run)
    assert lines[0].endswith("It ran beside another busy program (contended).")
    assert "2 cells ran beside other busy programs (contended): their figures may read low." in lines
    assert noise.notes(run.df, run.env)[0].startswith("2 of 3 cells ran while other programs kept more than "
                                                      "half a core busy (contended; up to 1.5 cores)")
    assert tables.headline(run.df).loc[0, "training setting"].endswith("(contended)")
    assert list(tables.problems(run.df)["contended"]) == ["yes"]


def test_a_drifting_run_is_flagged_and_a_steady_quiet_one_says_so(make_run, throughput):
    drifting = ENV | {"peak_gflop_s": {"cpu": 212.0}, "peak_gflop_s_end": {"cpu": 107.0}, "drifting": True}
    run = load_run(make_run([throughput("a", 10.0, contended=False)], env=drifting))
    flag = ("The machine's speed changed during the run (drifting; GEMM peak on the CPU: 212 GFLOP/s at the "
            "start, 107 at the end).")
    assert flag in headline.sentences(run)
    assert noise.notes(run.df, run.env)[0].startswith("The machine's speed changed during the run (drifting)")
    steady = ENV | {"peak_gflop_s": {"cpu": 212.0}, "peak_gflop_s_end": {"cpu": 205.0}, "drifting": False}
    run = load_run(make_run([throughput("a", 10.0, contended=False)], env=steady, name="steady"))
    assert headline.sentences(run)[-1] == ("Quiet run: no cell ran beside another busy program and the "
                                           "machine's GEMM peak held steady (the CPU: 212 GFLOP/s at the "
                                           "start, 205 at the end).")
    assert noise.notes(run.df, run.env) == []


def test_nothing_is_said_about_noise_that_was_not_measured(make_run, throughput):
    run = load_run(make_run([throughput("a", 10.0)]))  # no contention fields, no end peak
    assert not any("busy program" in line or "GEMM" in line for line in headline.sentences(run))


def test_the_sentences_lead_the_report_the_summary_and_the_terminal(make_run, throughput, capsys):
    env = ENV | {"peak_gflop_s": {"cpu": 212.0}, "peak_gflop_s_end": {"cpu": 107.0}}
    run_dir = make_run([throughput("a", 14400.0, contended=True, others_cpu_cores=0.8)], env=env)
    assert main(["report", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    first = "mnist/mnist_cnn trains fastest at 14,400 images/s"
    assert first in printed and "(drifting" in printed
    page = (run_dir / "report.html").read_text()
    summary = (run_dir / "summary.md").read_text()
    for text, heading in ((page, "<h2>Headline answers</h2>"), (summary, "## Headline answers")):
        assert text.index(first) < text.index("(contended; up to 0.8 cores)") < text.index(heading)
    assert json.loads((run_dir / "env.json").read_text())["peak_gflop_s_end"] == {"cpu": 107.0}


def test_the_drift_check_leaves_the_machines_fingerprint_alone():
    env = ENV | {"peak_gflop_s": {"cpu": 212.0}}
    checked = env | {"peak_gflop_s_end": {"cpu": 107.0}, "drifting": True, "peak_end_unavailable": "why"}
    assert machine_label(checked) == machine_label(env)
