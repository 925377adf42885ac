"""`bench plan` on a machine with no earlier results and no data sets: every cell gets a predicted time
from priors and the measured GEMM peak, missing data is named, and pruned cells are counted."""

from __future__ import annotations

import re

from tests.bench.conftest import bench


def test_full_plan_on_a_fresh_machine_prints_an_estimate(tmp_path):
    env = {"BENCH_DATA_DIR": str(tmp_path / "data"), "BENCH_RESULTS_DIR": str(tmp_path / "results")}
    proc = bench("plan", "--matrix", "full", "--cell-budget", "600", env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    line = next(x for x in out.splitlines() if x.startswith("estimated time"))
    assert "once the missing data sets are here" in line and "GFLOP/s" in line
    assert re.search(r"\d+ cells would be pruned", line)  # DenseNet121 in mixed_float16 cannot fit 600 s
    assert "galaxy10: 75 cell(s), 2.5 GB download: python -m bench datasets download galaxy10" in out
    assert "no estimate" not in line.split(";")[0]
