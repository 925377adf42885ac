"""bench.report.recommend on the made-up sample run (see conftest)."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.report import tables
from bench.report.load import load_run
from bench.report.recommend import not_compared, not_compared_line, readable, recommendations


@pytest.fixture
def df(make_run):
    return load_run(make_run()).df


def _row(recs, pair, objective):
    match = recs[(recs["pair"] == pair) & (recs["objective"] == objective)]
    assert len(match) == 1
    return match.iloc[0]


def _fastest(df):
    return _row(recommendations(df), "mnist/mnist_cnn", "fastest training")


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


def test_a_single_measured_setting_gets_no_row_and_is_named_once(df):
    one = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    default = one[(one["batch_size"] == 32) & (one["precision"] == "float32") & (one["threads"] == "auto")]
    assert recommendations(default.head(1)).empty
    assert not_compared(default.head(1)) == ["mnist/mnist_cnn"]
    assert "mnist/mnist_cnn" in not_compared_line(default.head(1))
    assert "mnist/mnist_cnn" not in not_compared(df) and not_compared_line(df[df["pair"] == "x"]) == ""


def test_overlapping_repeat_ranges_are_a_tie_apart_ranges_are_not(make_run, throughput):
    close = [throughput("d", 100.0, spread=0.05), throughput("b64", 104.0, spread=0.05, batch_size=64)]
    far = [throughput("d", 100.0), throughput("b64", 150.0, batch_size=64)]
    tie, apart = (_fastest(load_run(make_run(r, name=n)).df) for r, n in ((close, "close"), (far, "far")))
    assert tie["tie_with_default"] is True
    assert "the default ties with it (repeat ranges overlap)" in tie["note"]
    assert readable(pd.DataFrame([tie]))["gain over default"].iloc[0] == "1.04x, a tie"
    assert apart["tie_with_default"] is False and "tie" not in apart["note"]
    assert readable(pd.DataFrame([apart]))["gain over default"].iloc[0] == "1.5x"


def test_other_settings_within_the_spread_of_the_best_are_counted(make_run, throughput):
    records = [throughput("d", 50.0), throughput("b64", 100.0, spread=0.05, batch_size=64),
               throughput("b128", 102.0, spread=0.05, batch_size=128)]
    row = _fastest(load_run(make_run(records)).df)
    assert "batch 128" in row["best_setting"] and "1 other setting ties with it" in row["note"]
    assert row["tie_with_default"] is False


def test_memory_has_no_repeats_so_a_tie_is_within_two_percent(make_run, throughput):
    records = [throughput("d", 100.0, peak_rss_mb=877.0),
               throughput("t1", 90.0, threads=1, peak_rss_mb=874.0)]
    row = _row(recommendations(load_run(make_run(records)).df), "mnist/mnist_cnn", "least memory")
    assert row["tie_with_default"] is True and "noise not measured" in row["note"]


def test_an_unstable_best_cell_is_not_ranked_as_sure(df):
    tp = df[(df["pair"] == "mnist/mnist_cnn") & (df["mode"] == "throughput") & (df["status"] == "ok")]
    df = df.assign(unstable=False, throttled=None)
    df.loc[tp["train_img_s"].idxmax(), "unstable"] = True
    row = _row(recommendations(df), "mnist/mnist_cnn", "fastest training")
    assert row["note"].startswith("unstable: repeats disagreed") and "not sure" in row["note"]
    headline = tables.headline(df)
    setting = headline[headline["pair"] == "mnist/mnist_cnn"]["training setting"].iloc[0]
    assert setting.endswith("(unstable)")
