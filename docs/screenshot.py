"""The docs' picture of a report's first screen: ``python -m docs.screenshot [REPORT_HTML] [OUT_PNG]``.

Headless Chromium opens the committed quick run's report.html as a reader's browser would (1280 x 800,
the top of the page) through bench.report.screenshot, which also checks that every image decoded and no
script error fired; a page that fails that check leaves the picture unwritten. Refresh it whenever the
report's top changes, so the docs show what the tool gives now.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.errors import UserError
from bench.report.screenshot import check_page

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "results" / "example" / "quick" / "report.html"
PICTURE = REPO / "docs" / "img" / "report-first-screen.png"
WIDTH, HEIGHT = 1280, 800  # a laptop's browser window


def refresh(report: Path = REPORT, out: Path = PICTURE) -> Path:
    """Screenshot report's first screen into out, only once the page has passed the browser check."""
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "first-screen.png"
        result = check_page(report, shot, width=WIDTH, height=HEIGHT)
        if not result.ok:
            raise UserError(f"{report}: {result.loaded} of {result.images} images decoded, script errors "
                            f"{result.errors}; fix the report before picturing it")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(shot.read_bytes())
    return out


def main(argv: list[str]) -> int:
    """CLI: refresh the picture; one error line and exit 2 when Chromium or the page fails."""
    if len(argv) > 2:
        print("usage: python -m docs.screenshot [REPORT_HTML] [OUT_PNG]", file=sys.stderr)
        return 2
    paths = [Path(a) for a in argv] + [REPORT, PICTURE][len(argv):]
    try:
        print(f"wrote {refresh(*paths)}")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
