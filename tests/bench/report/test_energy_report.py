"""Energy in the report: the J/img chart (or why not), per-cell table, cost arithmetic, --price-per-kwh.

EVERY NUMBER HERE IS MADE UP TEST INPUT (not a measurement).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bench.cli import main
from bench.errors import UserError
from bench.report import cost, estimate
from bench.report.energy_charts import energy_per_image
from bench.report.load import load_run
from bench.report.numbers import number

NO_RAPL = "RAPL unavailable: /sys/class/powercap does not exist (no powercap interface on this machine)"
NO_GPU = "cpu cell: no GPU visible to this process"
RECIPE = (12, 0.2)  # made-up (epochs, validation_split)


def metered(throughput, cell_id: str, j_per_img: float, **fields: object) -> dict:
    """A made-up throughput record with RAPL energy of j_per_img joules per training image."""
    images = 960
    return throughput(cell_id, 300.0, energy_sources=["rapl:package-0"],
                      energy_method={"rapl:package-0": "counter"}, energy_window_s=3.2,
                      energy_j=j_per_img * images, cpu_energy_j=j_per_img * images, train_j_per_img=j_per_img,
                      train_img_per_kwh=3.6e6 / j_per_img, unavailable={"gpu_energy_j": NO_GPU}, **fields)


def unmetered(throughput, cell_id: str) -> dict:
    """A made-up ok record from a machine with no energy source, with the reasons the child gives."""
    why = f"no energy source: {NO_RAPL}; {NO_GPU}"
    return throughput(cell_id, 300.0, unavailable={"cpu_energy_j": NO_RAPL, "gpu_energy_j": NO_GPU,
                                                   "energy_j": why, "train_j_per_img": why,
                                                   "train_img_per_kwh": why})


@pytest.fixture
def energy_run(make_run, throughput):
    """Two metered batch sizes of mnist/mnist_cnn, one metered galaxy cell, one cell with no source."""
    return make_run([
        metered(throughput, "e-b32", 0.5),
        metered(throughput, "e-b64", 0.2, batch_size=64),
        metered(throughput, "g-b8", 40.0, dataset="galaxy10", model="densenet121", full_epoch_examples=11350),
        unmetered(throughput, "none"),
    ])


def test_energy_chart_drawn_for_metered_cells(energy_run, tmp_path):
    (chart,) = energy_per_image(load_run(energy_run).df, tmp_path)
    assert chart.skipped is None and chart.name == "energy"
    assert chart.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in chart.svg.read_bytes()[:500]
    assert "whole CPU package" in chart.caption


def test_energy_chart_skipped_with_the_records_reasons(make_run, throughput, tmp_path):
    df = load_run(make_run([unmetered(throughput, "a"), unmetered(throughput, "b")])).df
    (chart,) = energy_per_image(df, tmp_path)
    assert chart.png is None
    assert chart.skipped == f"no cell measured energy: no energy source: {NO_RAPL}; {NO_GPU} (2 cells)"
    old = load_run(make_run([throughput("old", 1.0)], name="old")).df  # a record from before energy metering
    assert "recorded before energy metering" in energy_per_image(old, tmp_path)[0].skipped


def test_energy_chart_is_registered_and_skipped_in_the_sample_report(sample_report):
    (chart,) = [c for c in sample_report.charts if c.name == "energy"]
    assert chart.skipped.startswith("no cell measured energy: ")


def test_per_cell_energy_table(energy_run):
    table = cost.energy_table(load_run(energy_run).df)
    assert list(table["cell"]) == ["g-b8", "e-b64", "e-b32"]  # by pair, lowest J/img first
    assert list(table["J/img"]) == [40.0, 0.2, 0.5]
    assert list(table["images/kWh"]) == pytest.approx([3.6e6 / 40, 3.6e6 / 0.2, 3.6e6 / 0.5])
    assert set(table["measured over"]) == {"timed steps"} and set(table["sources"]) == {"rapl:package-0"}


def test_cost_of_one_full_training(energy_run, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: RECIPE)
    table, notes = cost.cost_table(load_run(energy_run).df, price=0.31)
    assert notes == []
    rows = table.set_index("pair")
    mnist = rows.loc["mnist/mnist_cnn"]
    assert mnist["cell"] == "e-b64" and mnist["J/img"] == 0.2  # the pair's lowest energy per image
    # one full training = the estimate's epochs: the student's (5 for MNIST, 38 for DenseNet121), not the
    # made-up recipe's 12
    assert mnist["epochs"] == 5 and mnist["full training images"] == 5 * 48000
    assert mnist["kWh"] == pytest.approx(0.2 * 5 * 48000 / 3.6e6)
    assert mnist["cost"] == pytest.approx(0.2 * 5 * 48000 / 3.6e6 * 0.31)
    assert rows.loc["galaxy10/densenet121", "cost"] == pytest.approx(40.0 * 38 * 11350 / 3.6e6 * 0.31)


def test_cost_notes_a_pair_whose_recipe_is_unknown(energy_run, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: "unknown model (test)")
    table, notes = cost.cost_table(load_run(energy_run).df, price=1.0)
    assert table.empty and len(notes) == 2 and all("unknown model (test)" in n for n in notes)


@pytest.mark.parametrize("text", ["abc", "0", "-2", "nan", "inf", ""])
def test_bad_price_is_a_user_error(text):
    with pytest.raises(UserError, match="--price-per-kwh must be a positive number"):
        cost.parse_price(text)


@pytest.mark.parametrize("command", [["report", "RUN"], ["run", "--matrix", "ci"]])
def test_bad_price_on_the_command_line_is_one_line_exit_2(command, energy_run, capsys):
    args = [energy_run.as_posix() if a == "RUN" else a for a in command]
    assert main([*args, "--price-per-kwh", "cheap"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --price-per-kwh must be a positive number (the price of one kWh), got 'cheap'"]
    assert not (energy_run / cost.PRICING).exists()


def test_price_is_kept_in_the_run_folder_and_reused(energy_run, monkeypatch):
    monkeypatch.setattr(estimate, "recipe_of", lambda model: RECIPE)
    assert main(["report", str(energy_run), "--price-per-kwh", "0.25"]) == 0
    assert json.loads((energy_run / cost.PRICING).read_text()) == {"price_per_kwh": 0.25}
    assert main(["report", str(energy_run)]) == 0  # no flag: the kept price
    summary = (energy_run / "summary.md").read_text()
    page = (energy_run / "report.html").read_text()
    expected = 0.2 * 5 * 48000 / 3.6e6 * 0.25  # 5 epochs: the student's for MNIST
    for text in (summary, page):
        assert "Cost of one full training at 0.25 per kWh" in text and number(expected) in text
    assert "## Energy and cost" in summary and "e-b64" in summary


def test_without_a_price_the_report_says_how_to_get_the_cost(energy_run):
    assert main(["report", str(energy_run)]) == 0
    summary = (energy_run / "summary.md").read_text()
    assert cost.NO_PRICE in summary and "Cost of one full training" not in summary


def test_damaged_pricing_file_is_a_user_error(energy_run, capsys):
    (energy_run / cost.PRICING).write_text("{not json")
    assert main(["report", str(energy_run)]) == 2
    assert "pricing.json is damaged" in capsys.readouterr().err


def test_run_keeps_the_price(tmp_path, monkeypatch):
    """`bench run --price-per-kwh` writes pricing.json into the run folder before any cell runs."""
    from bench.commands import run as run_command
    from bench.launch import runner

    monkeypatch.setattr(runner, "run_cells", lambda run_dir, todo, env, total, **kw: {"ok": 0})
    monkeypatch.setattr(runner, "load_or_probe_env", lambda run_dir: {"logical_cores": 2})
    monkeypatch.setattr(run_command, "_download_missing", lambda planned: None)
    out = tmp_path / "run"
    assert main(["run", "--matrix", "ci", "--out", str(out), "--price-per-kwh", "0.4", "--no-report"]) == 0
    assert cost.load_price(out) == 0.4


def test_energy_fields_load_as_numbers(energy_run):
    df = load_run(energy_run).df
    for col in ("energy_j", "cpu_energy_j", "energy_window_s", "train_j_per_img", "train_img_per_kwh"):
        assert pd.api.types.is_float_dtype(df[col]), col
