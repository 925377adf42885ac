"""bench.report.compare: the noise rule, and the compare outputs (made-up records, see conftest)."""

from __future__ import annotations

import re

import pytest

from bench.config.cell import Cell
from bench.errors import UserError
from bench.report.compare import best_settings, compare, hidden_differences, ratio_summary, smallest_p
from bench.report.compare_report import make_compare
from bench.report.load import load_run


def _two_runs(make_run, a: list[dict], b: list[dict]):
    env_b = {"hostname": "otherbox", "cpu_model": "Made-Up CPU 1"}
    return [load_run(make_run(a, name="a")), load_run(make_run(b, name="b", env=env_b))]


def _verdict(table, cell_id, metric="train_img_s"):
    row = table[(table["cell_id"] == cell_id) & (table["metric"] == metric)]
    assert len(row) == 1
    return row.iloc[0]


def test_clear_difference_is_flagged_within_noise_is_not(make_run, throughput):
    a = [throughput("fast", 100.0), throughput("same", 100.0, spread=0.05)]
    b = [throughput("fast", 150.0), throughput("same", 102.0, spread=0.05)]
    table = compare(_two_runs(make_run, a, b))
    fast, same = _verdict(table, "fast"), _verdict(table, "same")
    assert fast["verdict"] == "higher" and fast["ratio"] == pytest.approx(1.5)
    assert fast["ratio_low"] > 1 and fast["p_value"] <= 0.1
    assert same["verdict"] == "within noise" and same["ratio_low"] < 1 < same["ratio_high"]


def test_slower_is_flagged_lower(make_run, throughput):
    table = compare(_two_runs(make_run, [throughput("c", 100.0)], [throughput("c", 50.0)]))
    assert _verdict(table, "c")["verdict"] == "lower"


def test_two_repeats_cannot_flag_and_missing_repeats_are_not_noise(make_run, throughput):
    a, b = throughput("two", 100.0), throughput("two", 200.0)
    a["train_img_s_runs"], b["train_img_s_runs"] = [99.0, 101.0], [199.0, 201.0]
    c, d = throughput("none", 100.0), throughput("none", 200.0)
    c["train_img_s_runs"] = d["train_img_s_runs"] = None
    table = compare(_two_runs(make_run, [a, c], [b, d]))
    assert _verdict(table, "two")["verdict"] == "too few repeats"  # a 2x ratio is never "within noise"
    assert _verdict(table, "none")["verdict"] == "noise not measured"
    assert _verdict(table, "none", "peak_rss_mb")["verdict"] == "noise not measured"


def test_a_far_ratio_is_never_called_noise(make_run, throughput):
    """0.437 with two repeats each: too few to test; with a wide repeat in A: not significant, not noise."""
    a, b = throughput("few", 100.0), throughput("few", 43.7)
    a["train_img_s_runs"], b["train_img_s_runs"] = [99.0, 101.0], [43.0, 44.0]
    c, d = throughput("wide", 100.0), throughput("wide", 43.7)
    c["train_img_s_runs"], d["train_img_s_runs"] = [40.0, 100.0, 102.0], [43.0, 43.7, 44.0]
    e, f = throughput("close", 100.0, spread=0.05), throughput("close", 101.0, spread=0.05)
    table = compare(_two_runs(make_run, [a, c, e], [b, d, f]))
    assert _verdict(table, "few")["verdict"] == "too few repeats"
    wide = _verdict(table, "wide")
    assert wide["verdict"] == "not significant" and wide["p_value"] > 0.1
    assert _verdict(table, "close")["verdict"] == "within noise"
    assert smallest_p(3, 3) == pytest.approx(0.1) and smallest_p(2, 2) == pytest.approx(1 / 3)


def test_cells_unmatched_only_for_hidden_settings_are_named(make_run, throughput):
    def cell(steps: int, examples: int) -> dict:
        record = throughput("x", 100.0, steps=steps, dataset=f"synthetic:28x28x1:10:{examples}",
                            stands_for="mnist", synthetic=True)
        return {**record, "cell_id": Cell.from_dict(record).cell_id}

    runs = _two_runs(make_run, [cell(20, 2048)], [cell(5, 512)])
    assert compare(runs).empty
    (line,) = hidden_differences(runs)
    assert line.startswith("B: 1 cell(s) have run A's visible settings but another cell id")
    assert "steps (A: 20; B: 5)" in line and "synthetic_examples (A: 2,048; B: 512)" in line


def test_only_cells_ok_in_both_runs_are_compared(make_run, throughput):
    failed = {**throughput("c", 100.0), "status": "oom"}
    table = compare(_two_runs(make_run, [throughput("c", 100.0), throughput("only-a", 1.0)], [failed]))
    assert table.empty


def test_ratio_summary_gives_median_and_range_per_metric(make_run, throughput):
    a = [throughput(c, 100.0) for c in "xyz"]
    b = [throughput("x", 90.0), throughput("y", 100.0), throughput("z", 130.0)]
    summary = ratio_summary(compare(_two_runs(make_run, a, b))).set_index("metric")
    train = summary.loc["train_img_s"]
    assert train["cells"] == 3 and train["median_ratio"] == pytest.approx(1.0)
    assert train["min_ratio"] == pytest.approx(0.9) and train["max_ratio"] == pytest.approx(1.3)


def test_best_settings_tell_whether_each_run_names_run_a_best_setting(make_run, throughput):
    cifar = {"dataset": "cifar10", "model": "cifar_cnn"}
    a = [throughput("m32", 100.0), throughput("m64", 200.0, batch_size=64),
         throughput("c32", 50.0, **cifar), throughput("c64", 40.0, batch_size=64, **cifar)]
    pruned = {**throughput("m64", 0.0, batch_size=64), "status": "pruned", "train_img_s": None}
    b = [throughput("m32", 101.0), pruned, throughput("c32", 39.0, **cifar),
         throughput("c64", 41.0, batch_size=64, **cifar)]
    best = best_settings(_two_runs(make_run, a, b))
    of_b = best[best["run"].str.startswith("B")].set_index("pair")
    assert dict(of_b["same_as_A"]) == {"cifar10/cifar_cnn": "no", "mnist/mnist_cnn": "no"}
    assert of_b.loc["mnist/mnist_cnn", "A_best_here"] == "pruned"  # B pruned mnist's best
    assert of_b.loc["cifar10/cifar_cnn", "A_best_here"] == "ok, rank 2 of 2, 0.95x the best"
    same = [load_run(make_run(a, name="a2")), load_run(make_run(a, name="a3"))]
    assert best_settings(same)["same_as_A"].tolist() == ["", "yes", "", "yes"]


def test_compare_needs_two_runs(make_run):
    with pytest.raises(UserError, match="at least two"):
        compare([load_run(make_run())])


def test_compare_outputs_are_written_and_self_contained(make_run, throughput, tmp_path):
    a = make_run([throughput("x", 100.0), throughput("y", 10.0)], name="a")
    b = make_run(
        [throughput("x", 150.0), throughput("y", 10.0)],
        name="b",
        env={"hostname": "otherbox", "cpu_model": "Made-Up CPU 1"},
    )
    result = make_compare([a, b], tmp_path / "cmp")
    page = result.html.read_text()
    refs = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', page, flags=re.I)
    assert len(refs) == 2 and all(r.startswith("data:image/png;base64,") for r in refs)
    assert "Made-Up CPU 9000" in page and "Made-Up CPU 1" in page  # runs labelled by machine
    assert (tmp_path / "cmp" / "charts" / "compare_B_scatter.svg").exists()
    assert (tmp_path / "cmp" / "charts" / "compare_B_ratios.png").exists()
    assert set(result.table["cell_id"]) == {"x", "y"}
    assert "Best training setting per pair" in page and list(result.best["same_as_A"]) == ["", "yes"]


def test_terminal_summary_fits_100_columns_and_leads_with_the_answer(make_run, throughput, tmp_path):
    long = {"hostname": "a-machine-with-a-rather-long-host-name", "cpu_model": "Made-Up CPU " + "X" * 80}
    a = make_run([throughput(c, 14_750.0 * (i + 1)) for i, c in enumerate("xyz")], name="a")
    b = make_run([throughput("x", 7_961.0), throughput("y", 29_500.0), throughput("z", 63_000.0)],
                 name="b", env=long)
    lines = "\n".join(make_compare([a, b], tmp_path / "cmp").lines()).splitlines()
    assert max(len(line) for line in lines) <= 100
    text = "\n".join(lines)
    assert "B against A: 3 cells measured ok in both" in text
    assert "14,750" in text and "7,961" in text and "e+0" not in text and "0.634179" not in text
    assert "0.54x" in text  # the ratio, three digits
