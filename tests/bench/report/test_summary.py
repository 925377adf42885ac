"""results.csv round trip and summary.md content."""

from __future__ import annotations

import json

import pandas as pd


def test_results_csv_round_trip(sample_report):
    df = sample_report.run.df
    back = pd.read_csv(sample_report.csv)
    assert list(back["cell_id"]) == list(df["cell_id"])
    pd.testing.assert_series_equal(back["train_img_s"], df["train_img_s"].astype(float), check_names=False)
    row = back.set_index("cell_id").loc["tp-b32"]
    original = df.set_index("cell_id").loc["tp-b32"]
    assert json.loads(row["train_img_s_runs"]) == original["train_img_s_runs"]
    assert row["status"] == "ok" and row["batch_size"] == 32


def test_summary_md_has_the_answers_and_the_problems(sample_report):
    text = sample_report.markdown.read_text()
    for heading in ("## Headline answers", "## Recommendations", "## Skipped and failed cells"):
        assert heading in text
    assert "mnist/mnist_cnn" in text and "oom-b4096" in text and "Made-Up CPU 9000" in text


def test_numbers_in_summary_tables_read_as_people_write_them():
    import pandas as pd

    from bench.report.summary import _md

    table = pd.DataFrame({"img/s": [21072.05, 43.46, 3.881, float("nan")], "acc": [0.9583, None, 0.97, 1.0]})
    text = _md(table)
    assert "21,072" in text and "43.5" in text and "3.88" in text and "0.958" in text  # bench.report.numbers
    assert "e+0" not in text and "nan" not in text.lower()
    counts = _md(pd.DataFrame({"cells": [20, 7, 14400]}))
    assert "20.0" not in counts and "| 20 " in counts.replace("  ", " ") and "14,400" in counts
