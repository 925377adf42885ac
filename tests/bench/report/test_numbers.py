"""bench.report.numbers: one way to write a number, never with an exponent."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.report.numbers import number, ratio

WIDE = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)


def _back(text: str) -> float:
    return float(text.replace(",", ""))


@given(WIDE)
def test_never_an_exponent_and_close_to_the_value(value):
    text = number(value)
    assert "e" not in text.lower() and text
    back = _back(text)
    if abs(value) >= 100:  # whole numbers: off by at most a half
        assert abs(back - value) <= 0.5
    else:  # three significant digits: off by at most half a unit in the third
        assert abs(back - value) <= 0.005 * abs(value) * (1 + 1e-9)


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_integers_get_thousands_separators(value):
    text = number(value)
    assert int(text.replace(",", "")) == value and ("," in text) == (abs(value) >= 1000)


@pytest.mark.parametrize(("value", "text"), [
    (19_070.3, "19,070"), (6671.0, "6,671"), (14_400, "14,400"), (53.71, "53.7"), (0.9667, "0.967"),
    (0.97, "0.97"), (4.331, "4.33"), (12.0, "12"), (99.96, "100"), (0.000123456, "0.000123"), (0.0, "0"),
    (np.float64(1475.2), "1,475"), (np.int64(12345), "12,345"), (None, ""), (math.nan, ""), ("a", "a"),
])
def test_as_people_write_them(value, text):
    assert number(value) == text


def test_ratio_has_its_x():
    assert (ratio(0.437), ratio(1.0), ratio(None)) == ("0.437x", "1x", "")
