"""Report and compare on a real run folder: `python -m bench run --matrix ci` (real measurements).

Skipped only on a checkout without the runner (`bench/commands/run.py`); the ci matrix takes well
under a minute on a 2-core CPU.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report.compare_report import make_compare
from bench.report.make import make_report
from bench.report.screenshot import check_page, find_chromium

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh run folder of the ci matrix, made by the real runner."""
    if importlib.util.find_spec("bench.commands.run") is None:
        pytest.skip("this checkout has no runner (bench/commands/run.py) yet")
    base = tmp_path_factory.mktemp("ci")
    env = {**os.environ, "BENCH_DATA_DIR": str(base / "data"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = base / "run"
    done = subprocess.run([sys.executable, "-m", "bench", "run", "--matrix", "ci", "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert (out / "results.jsonl").exists(), done.stderr[-2000:]
    return out


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
