"""Issue 14's data cases: each bad input is one line naming the fix (exit 2); a damaged file that can be
rebuilt (a converted digits.h5, a splits file) is named and rebuilt, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from bench.cli import main
from datasets.h5store import MAX_CLASSES


def _fails(argv: list[str], capsys: pytest.CaptureFixture, match: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert match in err, err
    return err


def test_import_of_a_folder_is_one_line(data_dir: Path, tmp_path: Path, capsys):
    folder = tmp_path / "galaxy"
    folder.mkdir()
    _fails(["datasets", "import", "galaxy10", str(folder)], capsys, "is a folder; give the path of the")


def test_idx_files_that_are_not_gzip_are_one_line(data_dir: Path, tmp_path: Path, capsys):
    idx = tmp_path / "idx"
    idx.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (idx / name).write_bytes(b"not gzip at all")
    _fails(["datasets", "import", "mnist", str(idx)], capsys,
           "t10k-images-idx3-ubyte.gz is not a readable gzip")


@pytest.mark.parametrize("url", ["foo", "ftp://host/mnist.npz", "http://"])
def test_download_url_that_is_not_http_is_one_line(data_dir: Path, capsys, url):
    _fails(["datasets", "download", "mnist", "--url", url], capsys, "mnist")


@pytest.mark.parametrize("value", [-1, "ten", 300, 299.5, np.array([1, 2])])
def test_bad_official_test_examples_attribute_is_one_line(make_h5, data_dir: Path, capsys, value):
    path = make_h5("d.h5", n=300)
    with h5py.File(path, "a") as f:
        f.attrs["official_test_examples"] = value
    _fails(["datasets", "verify", f"h5:{path}"], capsys, "attribute 'official_test_examples' is")


def test_good_official_test_examples_attribute_holds_out_the_last_rows(make_h5, data_dir: Path, capsys):
    path = make_h5("d.h5", n=300)
    with h5py.File(path, "a") as f:
        f.attrs["official_test_examples"] = 60
    assert main(["datasets", "verify", f"h5:{path}"]) == 0
    assert "'test': 60" in capsys.readouterr().out


def test_labels_beyond_the_class_cap_are_one_line(make_h5, data_dir: Path, capsys):
    path = make_h5("d.h5", n=300)
    with h5py.File(path, "a") as f:
        labels = f["ans"][()].astype(np.int64)
        labels[0] = 1_000_000
        del f["ans"]
        f["ans"] = labels
    err = _fails(["datasets", "verify", f"h5:{path}"], capsys, "1,000,001 classes")
    assert f"{MAX_CLASSES:,}" in err


def test_damaged_converted_digits_is_named_and_rebuilt(data_dir: Path, capsys):
    assert main(["datasets", "verify", "digits"]) == 0
    h5 = data_dir / "digits" / "digits.h5"
    good = h5.read_bytes()
    h5.write_bytes(good[:3000])
    capsys.readouterr()
    assert main(["datasets", "verify", "digits"]) == 0
    captured = capsys.readouterr()
    assert f"note: {h5} is damaged" in captured.err and "converting it again" in captured.err
    assert "Traceback" not in captured.err and "layout ok" in captured.out
    with h5py.File(h5, "r") as f:
        assert len(f["ans"]) == 1797


def test_truncated_splits_file_is_named_and_rebuilt_identically(data_dir: Path, capsys):
    from datasets.api import open_dataset

    first = open_dataset("digits")
    splits = data_dir / "digits" / "splits-seed0.npz"
    splits.write_bytes(splits.read_bytes()[:300])
    capsys.readouterr()
    again = open_dataset("digits")
    assert f"note: {splits} is damaged" in capsys.readouterr().err
    for name in ("train", "val", "test"):
        assert np.array_equal(first._splits[name], again._splits[name])


def test_pipeline_json_into_a_missing_folder_fails_before_measuring(data_dir: Path, tmp_path: Path, capsys):
    _fails(["pipeline", "synthetic:8x8x1:2:64", "--json", str(tmp_path / "missing" / "x.json")], capsys,
           "does not exist")


def test_pipeline_json_that_cannot_be_written_prints_the_result_first(data_dir: Path, tmp_path: Path, capsys):
    target = tmp_path / "a_folder.json"
    target.mkdir()  # the parent exists; the write itself fails
    assert main(["pipeline", "synthetic:8x8x1:2:64", "--mode", "numpy", "--batch-size", "8",
                 "--json", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: cannot write --json") and captured.err.count("\n") == 1
    printed = captured.out[captured.out.index("{"):]
    assert json.loads(printed)["pipeline_img_s"] > 0
