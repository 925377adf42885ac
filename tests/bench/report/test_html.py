"""report.html: one self-contained, escaped page with charts, the per-class table and the problems."""

from __future__ import annotations

import re

from bench.report.make import make_report


def test_page_is_self_contained(sample_report):
    page = sample_report.html.read_text()
    refs = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', page, flags=re.I)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs)
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "@import" not in page and "url(" not in page


def test_every_drawn_chart_is_embedded_and_skipped_ones_explained(sample_report):
    page = sample_report.html.read_text()
    drawn = [c for c in sample_report.charts if c.skipped is None]
    assert page.count("<img ") == len(drawn)
    for chart in sample_report.charts:
        if chart.skipped:
            assert chart.skipped in page


def test_per_class_table_in_the_seed_format(sample_report):
    page = sample_report.html.read_text()
    section = page.split("Per-class precision, recall and F1")[1].split("<h2>")[0]
    for text in ("macro avg", "weighted avg", "precision", "recall", "f1-score", "support", "mnist_cnn"):
        assert text in section
    assert section.count("<th>9</th>") == 1  # class names as rows
    assert "densenet121" not in section  # synthetic cells report no accuracy


def test_problems_listed_with_escaped_reasons(sample_report):
    page = sample_report.html.read_text()
    for text in ("skip-tfio", "oom-b4096", "timeout-1", "sparse", "record missing most fields"):
        assert text in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "incomplete" in page  # the torn last line is reported


def test_report_of_a_run_with_only_failures(make_run, throughput):
    failed = [{**throughput("f1", 1.0), "status": "timeout", "reason": "killed after 600 s"}]
    failed[0].update(train_img_s=None, infer_img_s=None, peak_rss_mb=None, peak_fraction=None)
    report = make_report(make_run(failed))
    page = report.html.read_text()
    assert "killed after 600 s" in page and "<img " not in page
    assert "No chart could be drawn" in page
