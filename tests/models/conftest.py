"""Fixtures for the model tests: a mixed-precision global policy that is reset after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(params=["mixed_float16", "mixed_bfloat16"])
def mixed_policy(request: pytest.FixtureRequest) -> Iterator[str]:
    """A mixed-precision global policy, set for the test and reset to float32 after."""
    import keras

    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")
