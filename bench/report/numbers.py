"""Numbers as people write them, for every table, chart and terminal line: 14,400; 53.7; 4.33; 0.97.

One rule everywhere, never an exponent: from 100 up, whole numbers with thousands separators; below
100, three significant digits in fixed notation with trailing zeros dropped (0.000123, not 1.23e-04).
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Integral, Real

SIGNIFICANT = 3  # digits kept below 100; enough to tell 0.963 from 0.972, no more than repeats support


def number(value: object, significant: int = SIGNIFICANT) -> str:
    """value as people write it ('' for None or NaN; non-numbers unchanged as text)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, Real):
        return str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    value = float(value)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return _significant(value, significant)


def _significant(value: float, digits: int) -> str:
    """value below 100 rounded to digits significant digits, fixed notation, no trailing zeros."""
    exponent = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - exponent, 0)
    text = f"{Decimal(value):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if abs(float(text)) >= 100:  # 99.96 rounds to 100.0: write it by the >= 100 rule
        return f"{float(text):,.0f}"
    return "0" if float(text) == 0 else text


def ratio(value: object) -> str:
    """A ratio as '0.44x', '1.22x', '150x' ('' when missing)."""
    text = number(value)
    return f"{text}x" if text else ""
