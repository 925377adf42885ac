"""Hypothesis strategies drawn from bench.results.schema itself: each field's strategy is built from its
pydantic type and constraints (ranges, lengths, literals, nested models, the axis checks), so a field
added to the schema is fuzzed without a line here. Used by test_schema_properties.py."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from bench.config import axes
from bench.results import schema

SMALL = 3  # entries drawn for any list or object: the shapes matter, not the sizes
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=SMALL)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=SMALL), max_leaves=6)


def _word_pool() -> list[str]:
    """Every string the axis table names (defaults, words, the value tuples such as PRECISIONS) and the
    pipeline modes: the candidates a checked string axis is drawn from (its own check keeps the valid)."""
    from datasets.api import PIPELINE_MODES

    words = {v for a in axes.AXES for v in (a.default, *a.words, *(d for _, d in a.mode_defaults))
             if isinstance(v, str)}
    words |= {v for value in vars(axes).values() if isinstance(value, tuple)
              for v in value if isinstance(v, str)}
    return sorted(words | set(PIPELINE_MODES) | {"gpu:0", "gpu:1"})


WORDS = _word_pool()


def _limits(meta: list[Any]) -> dict[str, Any]:
    """The constraints in a type's metadata, flattened (pydantic nests them in FieldInfo)."""
    out: dict[str, Any] = {"checks": []}
    for m in meta:
        if isinstance(m, FieldInfo):
            out |= {k: v for k, v in _limits(m.metadata).items() if k != "checks"}
            out["checks"] += _limits(m.metadata)["checks"]
        elif isinstance(m, Ge | Gt | Le | Lt | MinLen | MaxLen):
            out[type(m).__name__.lower()] = dataclasses.astuple(m)[0]
        elif isinstance(m, StringConstraints):
            out |= {"minlen": m.min_length or 0, "maxlen": m.max_length}
        elif isinstance(m, AfterValidator):
            out["checks"].append(m.func)
    return out


def _passes(checks: list[Any], value: Any) -> bool:
    try:
        for check in checks:
            check(value)
    except ValueError:
        return False
    return True


def of_type(tp: Any, meta: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    """A strategy for values of the pydantic type tp (with the constraints in meta)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return of_type(args[0], (*meta, *args[1:]))
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(of_type(a, meta) for a in args))
    limits = _limits(list(meta))
    checks = [c for c in limits["checks"] if c is not schema._unicode]  # drawn text is valid Unicode
    if tp is type(None):
        return st.none()
    if origin is typing.Literal:
        return st.sampled_from(args)
    if tp is bool:
        return st.booleans()
    if tp is int:
        low = limits.get("ge", limits["gt"] + 1 if "gt" in limits else -schema.MAX_INT)
        return st.integers(low, limits.get("le", schema.MAX_INT))
    if tp is float:
        low = limits.get("ge", limits.get("gt"))
        return st.floats(low, limits.get("le"), exclude_min="gt" in limits, allow_nan=False,
                         allow_infinity=False)
    if tp is str:
        if checks:  # an axis check: drawn from the words the axis table knows, kept when the check passes
            return st.sampled_from([w for w in WORDS if _passes(checks, w)])
        return st.text(min_size=limits.get("minlen", 0), max_size=min(limits.get("maxlen") or 12, 12))
    if origin is list:
        return st.lists(of_type(args[0]), min_size=limits.get("minlen", 0),
                        max_size=max(limits.get("minlen", 0), min(limits.get("maxlen") or SMALL, SMALL)))
    if origin is dict:
        return st.dictionaries(of_type(args[0]), of_type(args[1]), max_size=SMALL)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return of_model(tp)
    if tp is Any:
        return json_values
    raise TypeError(f"no strategy for {tp!r}")


def of_field(info: FieldInfo) -> st.SearchStrategy[Any]:
    return of_type(info.annotation, tuple(info.metadata))


def of_model(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects of a model: each field present or not, drawn from its type."""
    required = {f.alias or n: of_field(f) for n, f in model.model_fields.items() if f.is_required()}
    optional = {f.alias or n: of_field(f) for n, f in model.model_fields.items() if not f.is_required()}
    return st.fixed_dictionaries(required, optional=optional)


FIELD_STRATEGIES = {name: of_field(info) for name, info in schema.Record.model_fields.items()}
NON_NULL = {name: of_type(typing.Union[tuple(a for a in typing.get_args(info.annotation)  # noqa: UP007
                                            if a is not type(None))] if type(None) in
                          typing.get_args(info.annotation) else info.annotation, tuple(info.metadata))
            for name, info in schema.Record.model_fields.items()}


@st.composite
def records(draw: st.DrawFn, cell_ids: st.SearchStrategy[str] | None = None,
            statuses: st.SearchStrategy[str] | None = None) -> dict[str, Any]:
    """A valid record: every field of the schema present or absent, drawn from its type; then the checks
    across fields the model makes (a measured record's config, a square confusion matrix) made true."""
    rec: dict[str, Any] = {}
    for name, strategy in FIELD_STRATEGIES.items():
        if name in ("cell_id", "status") or draw(st.booleans()):
            rec[name] = draw(strategy)
    if cell_ids is not None:
        rec["cell_id"] = draw(cell_ids)
    rec["status"] = draw(statuses or st.one_of(st.sampled_from(schema.DONE), st.just(rec["status"])))
    version = draw(st.sampled_from([None, 1, 2]))
    rec.pop("schema_version", None)
    if version is not None:
        rec["schema_version"] = version
    if rec["status"] == "ok":
        for name in schema.MEASURED_NEEDS:
            if rec.get(name) is None:
                rec[name] = draw(NON_NULL[name])
        if not isinstance(rec["batch_size"], int):
            rec["batch_size"] = draw(st.integers(1, int(axes.BY_NAME["batch_size"].bounds.le)))
    if rec.get("confusion_matrix") is not None:
        n = draw(st.integers(1, SMALL))
        rec["confusion_matrix"] = draw(st.lists(st.lists(st.integers(0, 10**6), min_size=n, max_size=n),
                                                min_size=n, max_size=n))
        if rec.get("num_classes") is not None:
            rec["num_classes"] = n
    return rec


def out_of_range(tp: Any, meta: tuple[Any, ...] = ()) -> list[Any]:
    """Numbers just outside the ranges the type allows (none when it takes any number)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return out_of_range(args[0], (*meta, *args[1:]))
    if origin in (typing.Union, types.UnionType):
        return [v for a in args for v in out_of_range(a, meta)]
    if tp not in (int, float):
        return []
    limits, step = _limits(list(meta)), 1 if tp is int else 0.5
    out = [limits["ge"] - step] if "ge" in limits else [limits["gt"]] if "gt" in limits else []
    out += [limits["le"] + step for _ in [0] if "le" in limits and limits["le"] + step <= schema.MAX_INT]
    return [v for v in out if math.isfinite(v)]
