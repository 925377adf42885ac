"""Where run folders live (results/ in the checkout, or $BENCH_RESULTS_DIR), and the names of a run
folder's files."""

from __future__ import annotations

import os
from pathlib import Path

RESULTS_ROOT = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).resolve().parents[2] / "results")
RESULTS = "results.jsonl"  # one record per line (bench.results.schema.Record)
TORN = "results.jsonl.torn"  # lines of results.jsonl that are not JSON objects, moved there by --resume
ENV = "env.json"  # the machine's fingerprint (bench.results.schema.Env)
MATRIX = "matrix.toml"  # the expanded matrix the run used (bench.results.schema.MatrixValues)
