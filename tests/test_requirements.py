"""The requirements install on every OS from one command: which TensorFlow wheel each platform's markers
pick (offline; CI resolves them against PyPI with .ci/platforms.py), and the pins the portability needs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _platforms():
    spec = importlib.util.spec_from_file_location("ci_platforms", REPO / ".ci" / "platforms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_platform_gets_the_tensorflow_it_has_a_wheel_for():
    platforms = _platforms()
    lines = platforms.requirement_lines(REPO / "requirements.txt")
    tf = {name: [r for r in platforms.for_platform(lines, name) if r.startswith("tensorflow")]
          for name in platforms.PLATFORMS}
    assert tf == {"windows-x86_64": ["tensorflow-cpu==2.21.0"], "linux-x86_64": ["tensorflow-cpu==2.21.0"],
                  "macos-arm64": ["tensorflow==2.21.0"]}


def test_base_requirements_are_exact_pins_on_every_platform():
    platforms = _platforms()
    lines = platforms.requirement_lines(REPO / "requirements-base.txt")
    for name in platforms.PLATFORMS:
        reqs = platforms.for_platform(lines, name)
        assert all("==" in r for r in reqs), reqs
        assert {"filelock", "py-cpuinfo", "psutil"} <= {r.split("==")[0] for r in reqs}


def test_ci_resolves_the_readme_install_for_windows_macos_and_linux():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python .ci/platforms.py requirements.txt" in ci
    assert set(_platforms().PLATFORMS) == {"windows-x86_64", "macos-arm64", "linux-x86_64"}


def test_the_ray_extra_is_pinned_and_installed_by_ci():
    lines = _platforms().requirement_lines(REPO / "requirements-ray.txt")
    assert lines == ["ray[default]==2.60.0"]
    assert "pip install -r requirements-ray.txt" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
