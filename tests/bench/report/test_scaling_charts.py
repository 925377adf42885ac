"""The scaling chart and the loader's scaling efficiency, on made-up records (not measurements)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.config.cell import Cell
from bench.report import scaling_charts
from bench.report.chart import Chart
from bench.report.charts import draw_all
from bench.report.load import load_run


def _record(throughput, img_s: float, strategy: str = "none", replicas: int = 1, **fields) -> dict:
    """A made-up throughput record whose cell_id is its config's real id (the reference lookup uses it)."""
    rec = throughput("x", img_s, strategy=strategy, replicas=replicas, backend="tensorflow", **fields)
    rec["cell_id"] = Cell.from_dict(rec).cell_id
    return rec


@pytest.fixture
def captured(monkeypatch) -> list[dict]:
    """The lines of every scaling chart drawn, as {panel title: {label: (x, y)}}."""
    figures: list[dict] = []
    real = scaling_charts.save_chart

    def capture(fig, out_dir: Path, name: str, title: str, caption: str) -> Chart:
        figures.append({ax.get_title(): {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
                                         for line in ax.get_lines()} for ax in fig.axes})
        return real(fig, out_dir, name, title, caption)

    monkeypatch.setattr(scaling_charts, "save_chart", capture)
    return figures


def test_loader_fills_efficiency_when_the_reference_came_later(make_run, throughput):
    records = [_record(throughput, 150.0, "mirrored", 2), _record(throughput, 90.0, "multiworker", 2),
               _record(throughput, 100.0)]
    df = load_run(make_run(records)).df.set_index("strategy")
    assert df.loc["mirrored", "scaling_efficiency"] == pytest.approx(0.75)
    assert df.loc["multiworker", "scaling_efficiency"] == pytest.approx(0.45)
    assert df.loc["mirrored", "scaling_reference"] == records[2]["cell_id"]
    assert df.loc["none", "scaling_efficiency"] != df.loc["none", "scaling_efficiency"]  # NaN: no scaling


def test_scaling_chart_draws_ideal_line_and_efficiency(make_run, throughput, tmp_path, captured):
    records = [_record(throughput, 100.0), _record(throughput, 150.0, "mirrored", 2),
               _record(throughput, 280.0, "mirrored", 4), _record(throughput, 90.0, "multiworker", 2)]
    charts = [c for c in draw_all(load_run(make_run(records)).df, tmp_path / "charts")
              if c.name.startswith("scaling")]
    assert len(charts) == 1 and charts[0].skipped is None and charts[0].png.exists()
    lines = captured[0]
    assert lines["training images/s"]["ideal"] == ([1, 4], [100.0, 400.0])
    assert lines["scaling efficiency"]["mirrored"] == ([2, 4], [pytest.approx(0.75), pytest.approx(0.7)])
    assert lines["scaling efficiency"]["multiworker"] == ([2], [pytest.approx(0.45)])


def test_scaling_chart_without_reference_has_no_ideal_line(make_run, throughput, tmp_path, captured):
    run = load_run(make_run([_record(throughput, 150.0, "mirrored", 2)]))
    assert "no ok single-replica reference" in run.df["unavailable"].iloc[0]["scaling_efficiency"]
    draw_all(run.df, tmp_path / "charts")
    assert "ideal" not in captured[0]["training images/s"]
    assert captured[0]["scaling efficiency"]["mirrored"] == ([], [])


def test_scaling_chart_skipped_without_distributed_cells(make_run, throughput, tmp_path):
    old = throughput("old", 100.0)  # a record from before the strategy axis: no strategy, no replicas
    df = load_run(make_run([old])).df
    assert (df["strategy"].iloc[0], df["replicas"].iloc[0]) == ("none", 1)
    chart = scaling_charts.scaling(df, tmp_path)
    assert chart[0].skipped and "no ok mirrored or multiworker" in chart[0].skipped


def test_twin_charts_never_pair_a_distributed_cell_with_a_single_replica_one(make_run, throughput, tmp_path):
    records = [_record(throughput, 100.0), _record(throughput, 90.0, threads=2),
               _record(throughput, 300.0, "mirrored", 2, precision="mixed_bfloat16"),
               _record(throughput, 150.0, "mirrored", 2, threads=1)]
    charts = {c.name: c for c in draw_all(load_run(make_run(records)).df, tmp_path / "charts")}
    assert charts["mixed_precision"].skipped  # mirrored bf16 has no mirrored float32 twin
    assert charts["threads"].skipped  # threads 1 (mirrored) and 2 (none) are different lines


def test_best_setting_names_the_strategy(throughput):
    from bench.report.estimate import setting_text

    row = pd.Series(_record(throughput, 150.0, "mirrored", 2))
    assert "batch 32 x 2 replicas (mirrored)" in setting_text(row)
    assert "replicas" not in setting_text(pd.Series(_record(throughput, 100.0)))
