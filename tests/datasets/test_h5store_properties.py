"""Property-based (hypothesis): HDF5 files of wrong shapes, dtypes, labels and attributes thrown at
inspect_h5, open_dataset (splits) and `bench datasets verify h5:PATH`. Each is accepted, or refused with
one UserError line (exit 2); never a traceback, and the file itself is never modified."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import h5py
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.cli import main
from bench.errors import UserError
from datasets.api import open_dataset

DTYPES = ["uint8", "int16", "int64", "float32", "bool"]
attr_values = st.one_of(st.integers(-3, 80), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
                        st.text(max_size=6).filter(lambda t: "\x00" not in t),  # h5py stores no NUL
                        st.lists(st.integers(-5, 500), min_size=0, max_size=3).map(np.array), st.booleans())


FLAWS = ("images_ndim", "images_dtype", "images_group", "labels_count", "labels_dtype", "labels_range")


@st.composite
def h5_layouts(draw: st.DrawFn) -> dict:
    """A file's content in the layout, with at most two flaws (none in some) and random attributes."""
    flaws = draw(st.sets(st.sampled_from(FLAWS), max_size=2))
    n = draw(st.integers(0, 60))
    ndim = draw(st.sampled_from([1, 3, 5])) if "images_ndim" in flaws else 4
    shape = (n, *draw(st.lists(st.integers(1, 6), min_size=ndim - 1, max_size=ndim - 1)))
    k = draw(st.integers(1, 6))
    return {
        "images": (shape, draw(st.sampled_from(DTYPES[1:])) if "images_dtype" in flaws else "uint8"),
        "labels": (n + draw(st.sampled_from([-1, 1])) if "labels_count" in flaws and n else n,
                   draw(st.sampled_from(["float32", "bool"])) if "labels_dtype" in flaws
                   else draw(st.sampled_from(["uint8", "int64"])),
                   draw(st.sampled_from([2**20, -1])) if "labels_range" in flaws else k),
        "attrs": draw(st.dictionaries(st.sampled_from(["official_test_examples", "class_names", "verified"]),
                                      attr_values, max_size=2)),
        "images_is_group": "images_group" in flaws,
        "seed": draw(st.integers(0, 2**16)),
    }


def _write(path: Path, layout: dict) -> bytes:
    rng = np.random.default_rng(layout["seed"])
    shape, dtype = layout["images"]
    n_labels, label_dtype, high = layout["labels"]
    with h5py.File(path, "w") as f:
        if layout["images_is_group"]:
            f.create_group("images")
        else:
            f["images"] = rng.integers(0, 255, size=shape).astype(dtype)
        labels = rng.integers(0, high, size=n_labels) if high > 0 else -rng.integers(1, 3, size=n_labels)
        f["ans"] = labels.astype(label_dtype)
        for key, value in layout["attrs"].items():
            f.attrs[key] = value
    return path.read_bytes()


@given(layout=h5_layouts())
def test_open_dataset_accepts_or_names_the_problem(tmp_path_factory, layout):
    base = tmp_path_factory.mktemp("h5")
    path = base / "data.h5"
    before = _write(path, layout)
    try:
        ds = open_dataset(f"h5:{path}", data_dir=base / "cache")
    except UserError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert sum(ds.split_sizes.values()) == layout["images"][0][0]
        assert 1 <= ds.num_classes <= 10_000
    assert path.read_bytes() == before


@settings(max_examples=max(3, settings.default.max_examples // 3))
@given(layout=h5_layouts())
def test_verify_command_is_ok_or_one_line(tmp_path_factory, layout):
    base = tmp_path_factory.mktemp("h5")
    path = base / "data.h5"
    _write(path, layout)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(["datasets", "--data-dir", str(base / "cache"), "verify", f"h5:{path}"])
    text = err.getvalue()
    assert rc == 0 or (rc == 2 and text.startswith("error: ") and text.count("\n") == 1), text
