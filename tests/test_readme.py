"""The README is the front door: its commands, its schema table and its matrix example must be true."""

from __future__ import annotations

import re
from pathlib import Path

from bench.config.axes import matrix_reference
from bench.config.matrix import Machine, expand, load_matrix
from bench.config.record import FIELDS

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_three_commands_are_the_ones_ci_runs():
    block = re.search(r"## Three commands\n\n```bash\n(.*?)```", README, re.S).group(1)
    install, main_job, tests = (line.split("#")[0].strip() for line in block.strip().splitlines())
    ci = (REPO / ".ci" / "run").read_text()
    assert install == "python -m pip install -r requirements.txt" and install in ci
    assert main_job == "python -m bench run --matrix quick"
    assert re.search(rf"^{re.escape(tests)}\s+# the README's test command$", ci, re.M)


def test_every_record_field_is_documented():
    missing = [name for name in FIELDS if f"| `{name}` |" not in README]
    assert not missing, f"README lacks {missing}; regenerate its table with python -m bench.config.record"


def test_matrix_example_is_a_valid_matrix(tmp_path):
    block = re.search(r'```toml\n(name = "galaxy-precision".*?)```', README, re.S).group(1)
    path = tmp_path / "example.toml"
    path.write_text(block)
    planned = expand(load_matrix(str(path)), Machine(logical_cores=2))
    assert len(planned) == 2 * 4 * 2  # pairs x batch sizes x precisions, on the CPU


def test_matrix_reference_is_the_axis_table():
    """The [axes] lines of "The matrix file" are bench.config.axes' own (one declaration per axis)."""
    assert matrix_reference() in README, "regenerate the [axes] lines with python -m bench.config.axes"
