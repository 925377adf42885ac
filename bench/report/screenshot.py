"""Open a report page in headless Chromium like a user: screenshot it, count loaded images, catch JS errors.

Usage: python -m bench.report.screenshot RUN_DIR/report.html OUT.png
The check loads a copy of the page with a small probe script added (window.onerror plus, on load, the
number of <img> elements and of those with naturalWidth > 0) and reads the result from --dump-dom.
The screenshot is taken of the page itself, unmodified.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.errors import UserError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
)
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || e.type)), true);
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const out = document.createElement("pre");
  out.id = "bench-probe";
  out.textContent = "images=" + imgs.length + " loaded=" +
    imgs.filter(i => i.complete && i.naturalWidth > 0).length + " errors=" + JSON.stringify(window.__errors);
  document.body.appendChild(out);
});
</script>"""
_RESULT = re.compile(r'<pre id="bench-probe">images=(\d+) loaded=(\d+) errors=(.*?)</pre>', re.S)


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw: images on the page, how many decoded, and any JS errors."""

    images: int
    loaded: int
    errors: list[str]
    screenshot: Path

    @property
    def ok(self) -> bool:
        """Every image decoded and no error fired."""
        return self.images == self.loaded and not self.errors


def find_chromium() -> str | None:
    """Path of a Chromium binary on PATH, or None."""
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def _chromium(binary: str, profile: Path, *args: str) -> str:
    """Run headless Chromium with a fresh profile; its stdout."""
    cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"chromium failed (exit {done.returncode}): {tail}")
    return done.stdout


def check_page(page: Path, screenshot: Path, width: int = 1280, height: int = 2400) -> PageCheck:
    """Screenshot page (width x height viewport) and probe a copy of it for images and JS errors."""
    binary = find_chromium()
    if binary is None:
        raise UserError("chromium not found; install it (Debian: apt-get install -y chromium)")
    page = Path(page).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        _chromium(
            binary,
            tmp_dir / "profile1",
            f"--screenshot={Path(screenshot).resolve()}",
            f"--window-size={width},{height}",
            page.as_uri(),
        )
        probed = tmp_dir / "probed.html"
        text = page.read_text(encoding="utf-8")
        probed.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
        dom = _chromium(binary, tmp_dir / "profile2", "--dump-dom", probed.as_uri())
    found = _RESULT.search(dom)
    if found is None:
        raise UserError(f"{page}: the probe did not run in chromium (is it an HTML page with <head>?)")
    errors = re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(3))
    return PageCheck(int(found.group(1)), int(found.group(2)), errors, Path(screenshot))


def main(argv: list[str]) -> int:
    """CLI: check one page, print the result, exit 1 when an image failed or a JS error fired."""
    if len(argv) != 2:
        print("usage: python -m bench.report.screenshot PAGE.html OUT.png", file=sys.stderr)
        return 2
    try:
        result = check_page(Path(argv[0]), Path(argv[1]))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"images={result.images} loaded={result.loaded} errors={result.errors} screenshot={result.screenshot}"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
