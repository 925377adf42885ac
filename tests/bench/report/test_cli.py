"""`python -m bench report` and `python -m bench compare` from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("command", ["report", "compare"])
def test_bad_run_dir_is_one_line_exit_2(command, tmp_path):
    args = [sys.executable, "-m", "bench", command, str(tmp_path / "nope")]
    if command == "compare":
        args.append(str(tmp_path))
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "run folder" in lines[0]


def test_report_and_compare_through_the_cli(make_run, throughput, capsys):
    a = make_run([throughput("x", 100.0)], name="a")
    b = make_run([throughput("x", 150.0)], name="b", env={"cpu_model": "Made-Up CPU 1"})
    assert main(["report", str(a)]) == 0
    assert (a / "report.html").exists() and (a / "summary.md").exists() and (a / "results.csv").exists()
    assert main(["compare", str(a), str(b), "--out", str(a / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "higher" in out and (a / "cmp" / "compare.html").exists()


@pytest.mark.parametrize("budget", ["nan", "-1", "0", "inf", "1e9", "soon"])
def test_a_budget_out_of_range_is_one_line_exit_2(budget, make_run, throughput, capsys):
    """--budget-s takes the budget_s axis's range: a NaN, negative or endless budget would empty the
    'best accuracy within budget' recommendation without a word."""
    run = make_run([throughput("x", 100.0)], name="a")
    with pytest.raises(SystemExit) as done:
        main(["report", str(run), "--budget-s", budget])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a budget" in err[0] and "604,800" in err[0]
    assert not (run / "report.html").exists()
