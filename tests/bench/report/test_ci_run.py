"""Report and compare on real run folders: the ci matrix (real measurements), and a run whose cells
fail or are skipped for real (tests/bench/conftest.py's faults run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report.compare_report import make_compare
from bench.report.make import make_report
from bench.report.screenshot import check_page, find_chromium

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def ci_run(ci_run: dict) -> Path:
    """The run folder of tests/bench/conftest.py's session-wide ci run (killed once, then resumed)."""
    return ci_run["out"]


def test_report_on_the_ci_run(ci_run):
    report = make_report(ci_run)
    records = [json.loads(line) for line in (ci_run / "results.jsonl").read_text().splitlines()]
    page = report.html.read_text()
    assert len(report.run.df) == len(records) and report.run.planned_cells == len(records)
    for record in records:
        if record["status"] != "ok":
            assert record["cell_id"] in page
    drawn = [c for c in report.charts if c.skipped is None]
    assert page.count("<img ") == len(drawn)
    if any(r["status"] == "ok" and r["mode"] == "throughput" for r in records):
        assert any(c.name.startswith("throughput_") for c in drawn)
    if find_chromium() is not None:
        check = check_page(report.html, ci_run / "report.png")
        assert check.ok and check.images == len(drawn), check


def test_a_run_compared_with_itself_flags_nothing(ci_run, tmp_path):
    result = make_compare([ci_run, ci_run], tmp_path / "cmp")
    assert not result.table["verdict"].isin(["higher", "lower"]).any()
    assert result.html.exists()


def test_report_written_by_a_run_with_failed_and_skipped_cells(faults_run):
    out, proc = faults_run
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["status"] for r in records} >= {"skipped", "error", "oom", "nan", "timeout"}
    assert f"report: {out / 'report.html'}" in proc.stdout
    page = (out / "report.html").read_text()
    for record in records:
        if record["status"] != "ok":
            assert record["cell_id"] in page
