"""bench.report.recommend on the made-up sample run (see conftest)."""

from __future__ import annotations

import pytest

from bench.report import tables
from bench.report.load import load_run
from bench.report.recommend import recommendations


@pytest.fixture
def df(make_run):
    return load_run(make_run()).df


def _row(recs, pair, objective):
    match = recs[(recs["pair"] == pair) & (recs["objective"] == objective)]
    assert len(match) == 1
    return match.iloc[0]


def test_fastest_training_and_its_gain_over_the_default(df):
    row = _row(recommendations(df), "mnist/mnist_cnn", "fastest training")
    tp = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    best = tp["train_img_s"].max()
    default = tp[(tp["batch_size"] == 32) & (tp["precision"] == "float32") & (tp["threads"] == "auto")]
    assert row["value"] == best
    assert "batch 128" in row["best_setting"]
    assert row["gain_over_default"] == pytest.approx(best / default["train_img_s"].iloc[0])


def test_least_memory_picks_the_smallest_peak(df):
    row = _row(recommendations(df), "mnist/mnist_cnn", "least memory")
    tp = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    assert row["value"] == tp["peak_rss_mb"].min()
    assert row["gain_over_default"] >= 1


def test_best_accuracy_respects_the_time_budget(df):
    unlimited = _row(recommendations(df), "mnist/mnist_cnn", "best accuracy within budget")
    capped = _row(recommendations(df, budget_s=50), "mnist/mnist_cnn", "best accuracy within budget")
    assert unlimited["value"] == 0.98
    assert capped["value"] == 0.95 and "batch 128" in capped["best_setting"]


def test_synthetic_pair_gets_no_accuracy_and_says_default_is_missing(df):
    recs = recommendations(df)
    syn = recs[recs["pair"].str.startswith("galaxy10/densenet121")]
    assert "best accuracy within budget" not in set(syn["objective"])
    fastest = _row(recs, "galaxy10/densenet121 (synthetic data)", "fastest training")
    assert "not measured" in fastest["note"] and fastest["gain_over_default"] != fastest["gain_over_default"]


def test_a_single_measured_setting_is_not_compared_with_itself(df):
    one = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    default = one[(one["batch_size"] == 32) & (one["precision"] == "float32") & (one["threads"] == "auto")]
    row = _row(recommendations(default.head(1)), "mnist/mnist_cnn", "fastest training")
    assert "nothing to compare" in row["note"]
    assert row["gain_over_default"] is None and row["default_value"] is None
def test_an_unstable_best_cell_is_not_ranked_as_sure(df):
    tp = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    df = df.assign(unstable=False, throttled=None)
    df.loc[tp["train_img_s"].idxmax(), "unstable"] = True
    row = _row(recommendations(df), "mnist/mnist_cnn", "fastest training")
    assert row["note"].startswith("unstable: repeats disagreed") and "not sure" in row["note"]
    headline = tables.headline(df)
    setting = headline[headline["pair"] == "mnist/mnist_cnn"]["training setting"].iloc[0]
    assert setting.endswith("(unstable)")
