"""The CI benchmark gate (.ci/benchmark_gate.py): a same-session ratio judged where both runs carry it,
the fastest round otherwise, a ratio new in the latest run listed but not judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / ".ci" / "benchmark_gate.py"


def _run(tmp_path: Path, old: list[dict], new: list[dict]) -> subprocess.CompletedProcess:
    paths = []
    for name, benches in (("old", old), ("new", new)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"benchmarks": benches}))
        paths.append(str(path))
    return subprocess.run([sys.executable, str(SCRIPT), *paths], capture_output=True, text=True)


def _bench(name: str, fastest_s: float, **extra: float) -> dict:
    return {"fullname": name, "stats": {"min": fastest_s}, "extra_info": extra}


@pytest.mark.parametrize(("old_ratio", "new_ratio", "fails"), [(1.0, 0.6, False), (1.0, 0.45, True)])
def test_a_ratio_is_judged_not_the_raw_time(tmp_path, old_ratio, new_ratio, fails):
    # raw time 3x slower (a slow machine) with the ratio kept: judged on the ratio alone
    out = _run(tmp_path, [_bench("p", 1.0, ratio_of_fastest=old_ratio)],
               [_bench("p", 3.0, ratio_of_fastest=new_ratio)])
    assert out.returncode == int(fails), out.stdout + out.stderr
    assert ("REGRESSED" in out.stdout) == fails


def test_a_pipeline_is_judged_by_its_fastest_epochs_not_its_medians(tmp_path):
    # two saved runs of one commit, the second failing CI: the medians' ratio 0.073 -> 0.027
    # as the reference's median epoch fell in its other mode; the fastest epochs' ratio 0.027 -> 0.029
    out = _run(tmp_path, [_bench("p", 0.815, ratio_to_reference=0.073, ratio_of_fastest=0.027)],
               [_bench("p", 0.836, ratio_to_reference=0.027, ratio_of_fastest=0.029)])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ratio_of_fastest 0.027 -> 0.029" in out.stdout


@pytest.mark.parametrize(("new_s", "fails"), [(1.9, False), (2.1, True)])
def test_without_a_ratio_the_fastest_round_is_judged(tmp_path, new_s, fails):
    out = _run(tmp_path, [_bench("t", 1.0)], [_bench("t", new_s)])
    assert out.returncode == int(fails), out.stdout + out.stderr


def test_a_ratio_new_in_the_latest_run_is_listed_not_judged(tmp_path):
    out = _run(tmp_path, [_bench("p", 1.0), _bench("gone", 1.0)],
               [_bench("p", 5.0, ratio_of_fastest=0.9), _bench("added", 1.0)])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "not judged: ratio_of_fastest is new" in out.stdout
    assert "added: no earlier run" in out.stdout


def test_the_ci_script_gates_with_it():
    script = (REPO / ".ci" / "benchmarks").read_text()
    assert "python3 .ci/benchmark_gate.py" in script
    assert "--benchmark-compare-fail" not in script  # the raw-time gate it replaced


def test_a_missing_or_malformed_file_is_one_line(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    for args in ([str(tmp_path / "absent.json")] * 2, [str(tmp_path / "bad.json")] * 2):
        out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
        assert out.returncode == 1
        assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
