"""The seed's tables: reference values against the seed's text, layout from made-up records.

EVERY RUN FIGURE HERE IS MADE UP TEST INPUT (not a measurement).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import seed_reference as ref
from bench.report import seed_tables
from bench.report.load import load_run
from bench.report.make import make_report
from tests.bench.report.conftest import _train

# The seed's results tables (its report, Part 5 Results), copied verbatim, tab-separated as in its text:
# the reference the transcription in bench/report/seed_reference.py is checked against.
SEED_TABLES = Path(__file__).resolve().parents[2] / "data" / "seed_results_tables.txt"
MODELS = list(ref.GALAXY_MODELS)


def _rows() -> dict[str, list[str]]:
    """{row label: its cells} for the data rows (headers start with a tab or 'Galaxy Type')."""
    lines = SEED_TABLES.read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0]: line.split("\t")[1:] for line in lines
            if line and not line.startswith(("\t", "Galaxy Type"))}


def _figures(label: str) -> list[float]:
    return [float(v) for v in _rows()[label]]


def test_the_copied_tables_hold_every_class_both_averages_accuracy_and_time() -> None:
    assert list(_rows()) == [*ref.GALAXY_CLASSES, "Macro Average", "Weighted Average", "Accuracy",
                             "Training Time"]


@pytest.mark.parametrize("label", ref.GALAXY_CLASSES)
def test_per_class_reference_matches_the_seed_tables(label: str) -> None:
    i = ref.GALAXY_CLASSES.index(label)
    ours = [ref.GALAXY_PER_CLASS[k][m][i] for k in ref.METRICS for m in MODELS]
    assert ours == _figures(label)


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_averages_match_the_seed_tables(average: str) -> None:
    ours = [ref.GALAXY_AVERAGES[average][k][m] for k in ref.METRICS for m in MODELS]
    assert ours == _figures(f"{average.capitalize()} Average")


def test_accuracy_and_training_time_match_the_seed_tables() -> None:
    assert [ref.ACCURACY[("galaxy10", m)] for m in MODELS] == _figures("Accuracy")
    assert _rows()["Training Time"] == ["67 minutes", "35 Minutes", "9.5 Hours"]
    assert [ref.TRAIN_TIME_S[("galaxy10", m)] for m in MODELS] == [67 * 60, 35 * 60, 9.5 * 3600]


def _galaxy(model: str, offset: float, accuracy: float, train_s: float) -> dict:
    """A made-up Galaxy10 train record: class i has precision offset + i/100, recall +0.001, f1 +0.002."""
    per_class = [
        {"class": i, "name": f"made-up {i}", "precision": offset + i / 100,
         "recall": offset + i / 100 + 0.001, "f1": offset + i / 100 + 0.002, "support": 50}
        for i in range(10)
    ]
    record = _train(f"galaxy-{model}-{offset}", accuracy, train_s, dataset="galaxy10", model=model)
    return record | {"per_class": per_class, "macro_precision": offset + 0.5, "weighted_f1": offset + 0.6,
                     "epochs_run": 7}


def _records() -> list[dict]:
    return [
        _galaxy("galaxy_cnn", 0.1, 0.41, 600.0),
        _galaxy("galaxy_deep", 0.2, 0.52, 300.0),
        _galaxy("galaxy_deep", 0.3, 0.33, 200.0),  # less accurate: not the one shown
        _galaxy("densenet121", 0.4, 0.71, 7200.0),
        _train("mnist-a", 0.98, 95.0),
    ]


def test_galaxy_tables_put_each_model_beside_the_seed(make_run) -> None:
    section = seed_tables.seed_section(load_run(make_run(_records())).df)
    table = section.per_class
    assert list(table.columns.get_level_values(0).unique()) == ["Precision", "Recall", "F1-Score"]
    assert list(table.columns.get_level_values(1)[:3]) == ["Model 1", "Model 2", "Model 3"]
    assert list(table.index.get_level_values(0).unique()) == list(ref.GALAXY_CLASSES)
    assert table.loc[("Cigar Shaped", "this run"), ("Precision", "Model 2")] == pytest.approx(0.24)
    assert table.loc[("Cigar Shaped", "this run"), ("F1-Score", "Model 3")] == pytest.approx(0.442)
    assert table.loc[("Cigar Shaped", "seed"), ("Recall", "Model 1")] == 0.01
    averages = section.averages
    assert averages.loc[("Macro Average", "this run"), ("Precision", "Model 1")] == pytest.approx(0.6)
    assert averages.loc[("Weighted Average", "seed"), ("F1-Score", "Model 3")] == 0.79
    galaxy = section.galaxy
    assert list(galaxy.loc["Accuracy"].loc["this run"]) == ["0.41", "0.52", "0.71"]
    assert list(galaxy.loc["Training Time"].loc["seed"]) == ["67.0 min", "35.0 min", "9.5 h"]
    assert list(galaxy.loc["Epochs"].loc["this run"]) == ["7", "7", "7"]
    assert section.cells["galaxy10/galaxy_deep"] == "galaxy-galaxy_deep-0.2"
    assert section.missing == [
        "No ok train cell on real data in this run (the seed's figures only): cifar10/cifar_cnn."
    ]


def test_report_files_show_the_seed_tables(make_run) -> None:
    report = make_report(make_run(_records()))
    text = report.markdown.read_text()
    assert "## The seed's tables, side by side" in text
    assert "| Disturbed               | seed     |                0.00 |                0.28 |" in text
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines() if "_cnn) " in line]
    assert rows == [["MNIST (mnist_cnn)", "this run", "0.98", "1.6 min", "4"],
                    ["MNIST (mnist_cnn)", "seed", "0.97", "3.0 min", "5"],
                    ["CIFAR-10 (cifar_cnn)", "seed", "0.73", "12.0 min", "10"]]
    page = report.html.read_text()
    assert "The seed&#x27;s tables, side by side" in page or "The seed's tables, side by side" in page
    assert "Edge-on Without Bulge" in page and "Precision" in page


def test_run_without_galaxy_cells_shows_mnist_and_says_the_rest_is_missing(make_run) -> None:
    section = seed_tables.seed_section(load_run(make_run([_train("mnist-a", 0.98, 95.0)])).df)
    assert set(section.per_class.index.get_level_values(1)) == {"seed"}
    assert set(section.galaxy.index.get_level_values(1)) == {"seed"}
    assert list(section.small.index) == [
        ("MNIST (mnist_cnn)", "this run"), ("MNIST (mnist_cnn)", "seed"), ("CIFAR-10 (cifar_cnn)", "seed")
    ]
    assert "galaxy10/galaxy_deep (Model 2)" in section.missing[0]
    assert "cifar10/cifar_cnn" in section.missing[0]


def test_synthetic_train_cells_never_fill_the_tables(make_run) -> None:
    synthetic = _galaxy("galaxy_cnn", 0.1, 0.41, 600.0) | {
        "dataset": "synthetic:256x256x3:10:512", "stands_for": "galaxy10", "synthetic": True,
    }
    section = seed_tables.seed_section(load_run(make_run([synthetic])).df)
    assert "galaxy10/galaxy_cnn" not in section.cells
    assert set(section.averages.index.get_level_values(1)) == {"seed"}
