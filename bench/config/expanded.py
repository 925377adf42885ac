"""The expanded matrix a run used, written as RUN_DIR/matrix.toml (readable back by bench.config.matrix)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import atomic
from bench.config.matrix import MatrixSpec, Planned
from bench.errors import UserError


def toml_value(v: Any) -> str:
    """A TOML literal for a str, bool, int or float that tomllib reads back as the same value (JSON's
    string escapes are TOML's, but for the lone surrogates of non-UTF-8 text, which TOML cannot hold:
    a UserError, so no run folder gets a matrix.toml it cannot read back)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise UserError(f"{v!r} is not UTF-8 text and cannot be written to matrix.toml; use a UTF-8 "
                            "name (rename the file, or link it under one)") from None
        return json.dumps(v)
    raise TypeError(f"no TOML literal for {v!r}")


def dump_expanded(spec: MatrixSpec, planned: list[Planned]) -> str:
    """TOML text: name, source, and one [[cells]] table per cell (null fields omitted)."""
    lines = [f"# Expanded matrix of this run: every cell's full configuration (from {spec.source}).",
             f"name = {toml_value(spec.name)}", f"source = {toml_value(spec.source)}"]
    if spec.description:
        lines.append(f"description = {toml_value(spec.description)}")
    for p in planned:
        lines += ["", "[[cells]]", f"cell_id = {toml_value(p.cell.cell_id)}"]
        lines += [f"{k} = {toml_value(v)}" for k, v in p.cell.config().items() if v is not None]
        if p.skip_reason:
            lines.append(f"skip_reason = {toml_value(p.skip_reason)}")
    return "\n".join(lines) + "\n"


def write_expanded(path: Path, spec: MatrixSpec, planned: list[Planned]) -> None:
    """Write RUN_DIR/matrix.toml."""
    atomic.write_text(path, dump_expanded(spec, planned))
