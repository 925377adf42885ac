"""Shared fixtures: the real MNIST test set, an isolated data dir, quiet TensorFlow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import bench  # noqa: F401 - installs BENCH_SIMULATE's hook before any test module imports (tox -e portable)
from bench.importblock import posix

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Tests of POSIX-only behaviour (signals sent to a process, fcntl): skipped on Windows and under
# BENCH_SIMULATE=windows, saying why.
needs_posix = pytest.mark.skipif(not posix(), reason="POSIX only (signals/fcntl; native Windows and "
                                                     "BENCH_SIMULATE=windows lack them)")
# Property-based tests (hypothesis): few examples in the default suite, many in CI (.ci/run sets
# HYPOTHESIS_PROFILE=ci). No deadline: this machine's timings are too noisy for per-example limits.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("default", max_examples=15, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
BUNDLED_MNIST = REPO / "datasets" / "bundled" / "mnist"


@pytest.fixture
def mnist_dir() -> Path:
    """The real MNIST t10k IDX pair shipped with the project (datasets/bundled/mnist)."""
    return BUNDLED_MNIST


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data cache dir, set as BENCH_DATA_DIR so no test touches the user's cache."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("BENCH_DATA_DIR", str(d))
    return d


def need_backend(module: str) -> object:
    """Import an optional Keras backend package (jax, torch) or skip; where CI installed the extras
    (BENCH_REQUIRE_BACKENDS=1), a missing one fails instead of silently skipping its tests."""
    import importlib.util

    if importlib.util.find_spec(module) is None and os.environ.get("BENCH_REQUIRE_BACKENDS") == "1":
        extra = "requirements.txt" if module == "tensorflow" else f"requirements-{module}.txt"
        pytest.fail(f"BENCH_REQUIRE_BACKENDS=1 but {module} is not installed "
                    f"(python -m pip install -r {extra})")
    return pytest.importorskip(module)
