"""results.jsonl's lines, numbered: each a JSON object or why not. The one line check before the schema
(bench.results.loader types the objects; bench.results.store moves the lines that are none aside)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Line:
    """One non-blank line: its number (from 1), its bytes, and the JSON object it holds or why it holds
    none."""

    number: int
    raw: bytes
    value: dict[str, Any] | None
    why: str = ""


def parse_line(text: str) -> tuple[dict[str, Any] | None, str]:
    """(object, "") when text is one JSON object, else (None, why not)."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None, "not valid JSON"
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        return None, "a number too long to read"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    return value, ""


def split(data: bytes) -> list[Line]:
    """Every non-blank line of results.jsonl's bytes; a last line without its newline that is not a whole
    object is a torn append."""
    out = []
    for number, raw in enumerate(data.splitlines(keepends=True), 1):
        if raw.decode("utf-8", errors="replace").strip():  # blank lines are no records and no damage
            try:
                value, why = parse_line(raw.decode("utf-8"))
            except UnicodeDecodeError:
                value, why = None, "not UTF-8 text"
            if value is None and not raw.endswith(b"\n"):
                why = "incomplete: a torn last line"
            out.append(Line(number, raw, value, why))
    return out
