"""The machines leaderboard: like-for-like matching, ratios, ranking (place), gaps, contended and
drifting marks, and how it is shown (terminal at 100 columns, CSV, escaped HTML).

EVERY NUMBER HERE IS MADE UP TEST INPUT (tests/bench/results/made_up_run.py)."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from rich.console import Console

from bench.config.record import FIELDS
from bench.errors import UserError
from bench.report import leaderboard_view as view
from bench.report.leaderboard import (
    VS_DERIVED,
    Entry,
    entry_from_shared,
    filter_table,
    find_baseline,
    leaderboard,
    place,
)
from bench.report.load import to_frame
from bench.report.seed_machine import seed_result
from tests.bench.results.made_up_run import record


def _entry(label: str, records: list[dict], **fields) -> Entry:
    return Entry(label, to_frame(records, []), versions={"tensorflow": "2.21.0", "keras": "3.15.1"}, **fields)


@pytest.fixture(scope="module")
def machines() -> tuple[Entry, ...]:
    fast = _entry("Fast box", [record("m", 4000.0), record("m16", 9000.0, precision="mixed_bfloat16"),
                               record("g", 40.0, model="galaxy_cnn")])
    slow = _entry("Slow box", [record("m", 1000.0), record("g", 20.0, model="galaxy_cnn", batch_size=64)])
    real = _entry("Real-data box", [record("m", 2000.0, dataset="mnist", stands_for=None, synthetic=False)])
    return fast, slow, real


def _row(table: pd.DataFrame, machine: str, pair: str = "mnist/mnist_cnn", **where) -> pd.Series:
    rows = table[(table["machine"] == machine) & (table["pair"] == pair)]
    for key, value in where.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_ratio_only_like_for_like(machines):
    table = leaderboard(list(machines), "Slow box")
    fast = _row(table, "Fast box", precision="float32")
    assert fast["ratio"] == pytest.approx(_per_epoch(table, "Slow box") / _per_epoch(table, "Fast box"))
    assert fast["ratio"] == pytest.approx(4.0)  # 4x the training and the inference speed
    assert math.isnan(_row(table, "Fast box", precision="mixed_bfloat16")["ratio"])  # Slow has no bf16
    assert math.isnan(_row(table, "Real-data box")["ratio"])  # real data vs synthetic: not compared
    assert _row(table, "Slow box", precision="float32")["ratio"] == pytest.approx(1.0)


def _per_epoch(table, machine):
    row = _row(table, machine, precision="float32")
    return row["estimate_s"] / row["epochs"]


def test_best_setting_and_figures(machines):
    table = leaderboard(list(machines), "Slow box")
    slow = _row(table, "Slow box", "galaxy10/galaxy_cnn")
    assert slow["train_img_s"] == 20.0 and slow["compact_setting"] == "cpu b64"
    assert "batch 64" in slow["setting"]
    assert slow["infer_img_s"] == 60.0 and slow["memory_mb"] == 900.0 and slow["epochs"] > 0


def test_a_machine_without_the_pair_is_a_gap_not_a_zero(machines):
    table = leaderboard(list(machines), "Slow box")
    gap = _row(table, "Real-data box", "galaxy10/galaxy_cnn")
    assert gap["gap"] and math.isnan(gap["train_img_s"]) and "no cell of this pair" in gap["marks"]
    assert (table["train_img_s"] != 0).all()
    assert list(table[table["pair"] == "galaxy10/galaxy_cnn"]["machine"]) == ["Fast box", "Slow box",
                                                                             "Real-data box"]


@pytest.mark.skipif("contended" not in FIELDS, reason="the record's contended field comes with the placement "
                    "helper's branch (bench.config.record.FIELDS); the merged suite runs this")
def test_contended_cells_are_left_out_unless_asked(machines):
    busy = _entry("Busy box", [record("m", 1000.0), record("m-busy", 5000.0, batch_size=128, contended=True)])
    quiet = leaderboard([*machines, busy], "Slow box")
    row = _row(quiet, "Busy box", precision="float32")
    assert row["train_img_s"] == 1000.0 and "1 contended left out" in row["marks"]
    loud = _row(leaderboard([*machines, busy], "Slow box", include_contended=True), "Busy box",
                precision="float32")
    assert loud["train_img_s"] == 5000.0 and "1 contended included" in loud["marks"]


def test_drifting_and_other_versions_are_marked(machines):
    old = Entry("Old box", to_frame([record("m", 500.0)], []),
                versions={"tensorflow": "2.16.1", "keras": "3.3.3"}, env={"drifting": True})
    table = leaderboard([*machines, old], "Slow box")
    marks = _row(table, "Old box")["marks"]
    assert "TF 2.16.1" in marks and "Keras 3.3.3" in marks and "drifting" in marks
    assert _row(table, "Slow box", precision="float32")["marks"] == []


def test_against_the_seed_the_ratio_says_derived(machines):
    seed = entry_from_shared(seed_result())
    table = leaderboard([*machines, seed])
    assert find_baseline([*machines, seed], None) is seed
    fast = _row(table, "Fast box", precision="float32")
    seed_row = _row(table, seed.label)
    assert seed_row["derived"] and "derived" in seed_row["marks"] and math.isnan(seed_row["infer_img_s"])
    assert fast["ratio_basis"] == VS_DERIVED
    assert fast["ratio"] == pytest.approx(seed_row["estimate_s"] / seed_row["epochs"]
                                          / (fast["estimate_s"] / fast["epochs"]))


def test_place_ranks_among_the_registry(machines):
    fast, slow, real = machines
    seed = entry_from_shared(seed_result())
    middle = _entry("Middle box", [record("m", 2500.0), record("g", 30.0, model="galaxy_cnn")])
    placed = place(middle, [fast, slow, real, seed]).set_index("pair")
    mnist = placed.loc["mnist/mnist_cnn"]
    assert (mnist["rank"], mnist["of"]) == (2, 3)  # Fast and Slow compared; Real-data and the seed are not
    assert mnist["Fast box"] < 1 < mnist["Slow box"] and math.isnan(mnist["Real-data box"])
    assert mnist[seed.label] > 0 and "derived" in mnist["basis"]
    galaxy = placed.loc["galaxy10/galaxy_cnn"]
    assert (galaxy["rank"], galaxy["of"]) == (2, 3)


def test_place_leaves_out_the_machine_itself(machines):
    fast = machines[0]
    placed = place(fast, list(machines))
    assert "Fast box" not in placed.columns
    assert set(placed[placed["precision"] == "float32"]["rank"]) == {1}


def test_baseline_that_matches_none_or_several_is_one_line(machines):
    with pytest.raises(UserError, match="matches none"):
        find_baseline(list(machines), "Quantum")
    with pytest.raises(UserError, match="matches 3"):
        find_baseline(list(machines), "box")
    assert find_baseline(list(machines), "slow").label == "Slow box"


def test_filter_by_pair_and_device(machines):
    table = leaderboard(list(machines), "Slow box")
    assert set(filter_table(table, ["galaxy_cnn"], None)["pair"]) == {"galaxy10/galaxy_cnn"}
    with pytest.raises(UserError, match="matches no pair"):
        filter_table(table, ["densenet121"], None)
    gpu = filter_table(table, None, "gpu")
    assert gpu["gap"].all() and "no gpu figure for this pair" in gpu.iloc[0]["marks"]


def test_numbers_as_people_write_them():
    assert [view.number(v) for v in (14_400.4, 53.66, 4.333, 0.01234, None, float("nan"))] == [
        "14,400", "53.7", "4.33", "0.0123", "", ""]


def test_terminal_is_readable_at_100_columns(machines):
    table = leaderboard([*machines, entry_from_shared(seed_result())], None)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    view.print_terminal(table, "the seed", console)
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "4,000" in text and "e+0" not in text and "derived" in text
    assert text.count("galaxy10/galaxy_cnn") == 1


def test_strings_from_a_file_are_not_rich_markup(machines):
    odd = _entry("[/] [bold]odd[/bold] box", [record("m", 1500.0, pipeline="[/]")])
    console = Console(file=io.StringIO(), width=100, color_system=None)
    view.print_terminal(leaderboard([*machines, odd], "Slow box"), "[/]", console)  # no MarkupError
    assert "[bold]odd" in console.file.getvalue()


def test_csv_and_html_are_written_and_escaped(machines, tmp_path):
    late = record("m", 1500.0, finished_at="2026-12-01T00:00:00")
    hostile = _entry("<script>alert(1)</script> box", [late])
    table = leaderboard([*machines, hostile], "Slow box")
    csv = pd.read_csv(view.write_csv(table, tmp_path / "m.csv"))
    assert len(csv) == len(table) and "ratio" in csv.columns
    page = view.write_html(table, tmp_path / "m.html", "Slow box", ["a <b>note</b>"]).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; box" in page
    assert "a &lt;b&gt;note&lt;/b&gt;" in page
    assert page.count("<img ") == table["pair"].nunique()
    assert table[table["newest"]]["machine"].unique().tolist() == [hostile.label]  # it finished last
    assert page.count('class="newest"') == table["newest"].sum() == 2  # its row and its gap
    assert not leaderboard(list(machines), "Slow box")["newest"].any()  # one finish time: none is newest


def test_short_names_stay_apart_when_two_labels_start_alike():
    """The terminal shows a label up to its first comma, unless that would make two machines look alike."""
    labels = ["AMD EPYC, 2 cores", "AMD EPYC, 16 cores", "Intel Xeon (CI), 2 cores"]
    assert [view.short_label(x, labels) for x in labels] == [
        "AMD EPYC, 2 cores", "AMD EPYC, 16 cores", "Intel Xeon (CI)"]
