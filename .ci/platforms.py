#!/usr/bin/env python3
"""The README's install command resolves on Windows, macOS (Apple Silicon) and Linux: for each platform,
the requirements' environment markers are evaluated as that platform would (pip evaluates them for the
machine it runs on, even with --platform), then `pip install --dry-run --only-binary=:all: --platform ...`
resolves the result against the package index. Slow and online: CI runs it (.ci/run), the default test
suite checks only the marker evaluation (tests/test_requirements.py).

    python .ci/platforms.py [requirements.txt ...] [--only NAME]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
PYTHON = "3.11"
# a glibc 2.28 Linux (Debian 10, RHEL 8 and later) takes manylinux_2_17 .. 2_28 wheels (2014 = 2_17)
MANYLINUX = [*(f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)), "manylinux2014_x86_64"]
# name: (marker environment, pip --platform tags)
PLATFORMS: dict[str, tuple[dict[str, str], list[str]]] = {
    "windows-x86_64": ({"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                        "platform_machine": "AMD64"}, ["win_amd64"]),
    "macos-arm64": ({"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                     "platform_machine": "arm64"}, ["macosx_14_0_arm64"]),
    "linux-x86_64": ({"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                      "platform_machine": "x86_64"}, MANYLINUX),
}


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file, following `-r other.txt` includes."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line[3:].strip())
        else:
            lines.append(line)
    return lines


def for_platform(lines: list[str], name: str) -> list[str]:
    """The requirements (markers dropped) that apply on platform `name`."""
    env = default_environment() | {"python_version": PYTHON, "python_full_version": f"{PYTHON}.9",
                                   "implementation_name": "cpython",
                                   "platform_python_implementation": "CPython"} | PLATFORMS[name][0]
    kept = []
    for line in lines:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            req.marker = None
            kept.append(str(req))
    return kept


def resolve(requirements: list[str], name: str) -> subprocess.CompletedProcess[str]:
    """pip's dry-run resolution of `requirements` from binary wheels for platform `name`."""
    with tempfile.TemporaryDirectory() as tmp:
        flat = Path(tmp) / "requirements.txt"
        flat.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        platforms = [a for tag in PLATFORMS[name][1] for a in ("--platform", tag)]
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON, *platforms,
               "--target", str(Path(tmp) / "target"), "-r", str(flat)]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=["requirements.txt"])
    parser.add_argument("--only", choices=sorted(PLATFORMS))
    args = parser.parse_args()
    lines = [line for f in args.files for line in requirement_lines(REPO / f)]
    failed = []
    for name in [args.only] if args.only else PLATFORMS:
        proc = resolve(for_platform(lines, name), name)
        ok = proc.returncode == 0
        print(f"{'ok' if ok else 'FAILED':>6}  {name}: {' '.join(args.files)}", flush=True)
        if not ok:
            failed.append(name)
            print("\n".join(line for line in proc.stderr.splitlines() if "ERROR" in line), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
