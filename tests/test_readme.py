"""The README is the front door: short, undated, its three commands the ones CI runs, its links alive.

Its quick table is generated from the example run's records (tests/docs/test_generated.py checks it);
the matrix reference and the record fields it once held are generated pages of the docs site.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_three_commands_are_the_ones_ci_runs():
    block = re.search(r"## Three commands\n\n```bash\n(.*?)```", README, re.S).group(1)
    install, main_job, tests = (line.split("#")[0].strip() for line in block.strip().splitlines())
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert install == "python -m pip install -r requirements.txt" and install in ci
    assert main_job == "python -m bench run --matrix quick"
    assert re.search(rf"^{re.escape(tests)}\s+# the README's test command$", ci, re.M)


def test_the_readme_is_at_most_10_kb():
    assert len(README.encode("utf-8")) <= 10_000


def test_the_readme_has_no_dates():
    assert not re.findall(r"\b20\d\d-\d\d(?:-\d\d)?\b", README)


def test_every_relative_link_and_picture_of_the_readme_exists():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t)]
    assert local and not [t for t in local if not (REPO / t).exists()]


def test_the_seed_is_defined_where_the_readme_first_names_it():
    text = " ".join(README.split())
    first = text.index("the seed")
    assert "student's report that this project grew from" in text[max(0, first - 200):first]
