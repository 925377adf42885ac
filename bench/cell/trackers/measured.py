"""What a tracker hands back: the record fields it measured, and why each one it could not is missing."""

from __future__ import annotations

from typing import Any, NamedTuple


class Measured(NamedTuple):
    """A tracker's result: `fields` (record field -> value) and `unavailable` (record field -> why it is
    absent; never a 0 in its place). Unpacks as (fields, unavailable); `a | b` merges two."""

    fields: dict[str, Any]
    unavailable: dict[str, str]

    def __or__(self, other: object) -> Measured:
        if not isinstance(other, Measured):
            return NotImplemented
        return Measured(self.fields | other.fields, self.unavailable | other.unavailable)

    def as_fields(self) -> dict[str, Any]:
        """The fields with an `unavailable` entry, the shape a scenario's result and a record have."""
        return self.fields | {"unavailable": dict(self.unavailable)}
