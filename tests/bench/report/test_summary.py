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
