"""The plan-against-actual table. EVERY NUMBER HERE IS MADE UP TEST INPUT (not a measurement)."""

from __future__ import annotations

import pandas as pd

from bench.report.plan_actual import COLUMNS, plan_actual


def _df(rows: list[tuple[str, str, str, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["pair", "mode", "status", "predicted_s", "wall_s"])


def test_ratios_per_pair_and_overall():
    table = plan_actual(_df([
        ("mnist/mnist_cnn", "throughput", "ok", 60.0, 90.0),
        ("mnist/mnist_cnn", "throughput", "ok", 60.0, 30.0),
        ("cifar10/cifar_cnn", "throughput", "ok", 120.0, 120.0),
        ("cifar10/cifar_cnn", "throughput", "pruned", 9000.0, None),
        ("cifar10/cifar_cnn", "train", "timeout", 600.0, 1200.0),
    ]))
    assert list(table.columns) == COLUMNS
    rows = table.set_index(["pair", "mode"])
    mnist = rows.loc[("mnist/mnist_cnn", "throughput")]
    assert mnist["cells"] == 2 and mnist["actual / predicted"] == "1.00"
    assert mnist["median cell ratio"] == "1.00" and mnist["cell ratio range"] == "0.50-1.50"
    assert rows.loc[("cifar10/cifar_cnn", "train")]["actual / predicted"] == "2.00"
    total = rows.loc[("all", "")]
    assert total["cells"] == 4  # the pruned cell never ran
    assert total["predicted min"] == 14.0 and total["actual min"] == 24.0
    assert total["actual / predicted"] == "1.71"


def test_empty_when_nothing_has_a_prediction():
    assert plan_actual(_df([("mnist/mnist_cnn", "throughput", "ok", None, 10.0)])).empty
    assert plan_actual(pd.DataFrame({"status": ["ok"], "pair": ["x"]})).empty


def test_reports_list_pruned_cells_apart_and_show_the_plan(make_run, throughput):
    from bench.report.make import make_report
    from tests.bench.report.conftest import sample_records

    records = [
        *sample_records(),
        throughput("planned", 500.0, predicted_s=10.0, wall_s=15.0),
        {**throughput("far-over", 1.0), "status": "pruned", "predicted_s": 9000.0, "wall_s": None,
         "reason": "predicted ~2 h 30 min, over 1.5x the 600 s budget"},
    ]
    report = make_report(make_run(records))
    text = report.markdown.read_text()
    skipped = text.split("## Skipped and failed cells")[1].split("## Pruned cells")[0]
    pruned = text.split("## Pruned cells")[1].split("## Plan against actual")[0]
    assert "ok, 1 pruned" in text
    assert "far-over" not in skipped and "oom-b4096" in skipped
    assert "far-over" in pruned and "oom-b4096" not in pruned
    assert "1.50" in text.split("## Plan against actual")[1]
    assert "<h2>Plan against actual</h2>" in report.html.read_text()
