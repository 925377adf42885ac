"""Where run folders live: results/ in the checkout, or $BENCH_RESULTS_DIR."""

from __future__ import annotations

import os
from pathlib import Path

RESULTS_ROOT = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).resolve().parents[2] / "results")
