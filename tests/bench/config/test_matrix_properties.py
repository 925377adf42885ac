"""Property-based (hypothesis): generated matrix files thrown at the parser, the expansion and `bench
plan`. Each is planned, or refused with one UserError line (exit 2); never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.cli import main
from bench.config.matrix import AXES_KEYS, MODES, SETTING_KEYS, Machine, expand, parse_matrix
from bench.errors import UserError
from bench.launch import runner

MACHINE = Machine(logical_cores=2, gpus=0, gpu_note="no CUDA (test)")
WORDS = ["seed", "digits/mnist_cnn", "mnist/cifar_cnn", "digits/nope", "synthetic:8x8x1:2:64/mnist_cnn",
         "h5:/missing.h5/mnist_cnn", "cpu", "gpu:0", "all", "auto", "recipe", "float32", "float8",
         "mixed_float16", "throughput", "train", "budget", "numpy", "memory", "multiworker", "mirrored",
         "none", "jax", "torch", "real", "synthetic", ""]
scalars = st.one_of(st.sampled_from(WORDS), st.integers(-5, 5000), st.floats(-10, 1e4, allow_nan=False),
                    st.booleans(), st.text(st.characters(exclude_categories=["Cs"]), max_size=6))
values = st.one_of(scalars, st.lists(scalars, max_size=3))
CELL_KEYS = ["dataset", "model", "device", "batch_size", "precision", "mode", "steps", "repeats", "epochs",
             "threads", "replicas", "strategy", "pipeline", "seed"]
keys = st.one_of(st.sampled_from([*AXES_KEYS, *SETTING_KEYS]),
                 st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=6))
tables = st.dictionaries(keys, values, max_size=6)
names = st.one_of(st.just("m"), st.just("m-2"), st.just("m.3"), st.sampled_from(["a b", ""]),
                  st.text(max_size=5))
axes_matrices = st.fixed_dictionaries({}, optional={
    "name": names,
    "axes": tables.map(lambda t: {"pairs": "digits/mnist_cnn", **t}),
    "include": st.lists(tables, max_size=2),
    "exclude": st.lists(tables, max_size=2),
    **{mode: st.dictionaries(st.sampled_from(SETTING_KEYS), scalars, max_size=3) for mode in MODES},
})
expanded_matrices = st.fixed_dictionaries({"cells": st.lists(
    st.dictionaries(st.sampled_from(CELL_KEYS), scalars, max_size=4)
    .map(lambda c: {"dataset": "digits", "model": "mnist_cnn", **c}), max_size=3)}, optional={"name": names})
matrices = st.one_of(axes_matrices, expanded_matrices)


def to_toml(raw: dict) -> str:
    """A matrix dict as TOML text: JSON scalars and arrays are TOML values; dicts become [tables] and
    lists of dicts [[arrays of tables]]."""
    def pairs(table: dict) -> list[str]:
        return [f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v, ensure_ascii=False)}"
                for k, v in table.items()]

    plain = {k: v for k, v in raw.items() if not isinstance(v, dict)
             and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))}
    lines = pairs(plain)
    for key, value in raw.items():
        if isinstance(value, dict):
            lines += [f"[{json.dumps(key, ensure_ascii=False)}]", *pairs(value)]
        elif key not in plain:
            for item in value:
                lines += [f"[[{json.dumps(key, ensure_ascii=False)}]]", *pairs(item)]
    return "\n".join(lines) + "\n"


@given(raw=matrices)
def test_parse_and_expand_plan_or_refuse_in_one_line(raw):
    try:
        planned = expand(parse_matrix(raw, source="m.toml", default_name="m"), MACHINE)
    except UserError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for p in planned:
        cell = p.cell
        assert isinstance(cell.batch_size, int) and cell.batch_size > 0
        assert cell.precision in ("float32", "mixed_float16", "mixed_bfloat16")


@settings(max_examples=max(3, settings.default.max_examples // 3))
@given(raw=matrices, garbage=st.one_of(st.just(b""), st.binary(max_size=12)))
def test_plan_command_is_a_plan_or_one_line(tmp_path_factory, monkeypatch, raw, garbage):
    env = {"logical_cores": 2, "gpu_count": 0, "hostname": "test", "packages": {"tensorflow": "x"}}
    monkeypatch.setattr(runner, "probe_env", lambda peak: env)
    path = Path(tmp_path_factory.mktemp("m")) / "m.toml"
    path.write_bytes(to_toml(raw).encode("utf-8", errors="surrogatepass") + garbage)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["plan", "--matrix", str(path)])
    text = err.getvalue()
    assert rc == 0 or (rc == 2 and text.startswith("error: ") and text.count("\n") == 1), text
