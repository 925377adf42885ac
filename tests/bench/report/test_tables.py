"""The report's tables (bench/report/tables.py): numbers as people write them."""

from __future__ import annotations

import math

import pandas as pd

from bench.report import tables


def test_a_memory_range_reads_with_thousands_separators():
    assert tables._range(pd.Series([7788.4, math.nan, 12001.0])) == "7,788-12,001"
    assert tables._range(pd.Series([math.nan])) == ""
