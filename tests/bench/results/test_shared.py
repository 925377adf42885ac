"""Shared result files: written from a run, read back, and every damaged or foreign file refused in one
line naming the file."""

from __future__ import annotations

import gzip
import json

import pytest

from bench.cli import main
from bench.errors import UserError
from bench.results import shared
from bench.results.shared import SharedResult, build_shared, parse_shared, read_shared, to_bytes, write_shared
from tests.bench.results.made_up_run import record, write_run


@pytest.fixture
def run_dir(tmp_path):
    records = [record("a", 1000.0), record("b", 2000.0, batch_size=64),
               record("c", 10.0, status="oom", train_img_s=None, infer_img_s=None, train_gflop_s=None,
                      reason="ResourceExhaustedError at batch 4096")]
    return write_run(tmp_path / "run", records)


@pytest.fixture
def content(run_dir):
    """A valid shared result as plain JSON, to damage."""
    return build_shared(run_dir, "Made-Up CPU 9000, 2 cores").model_dump(mode="json")


def _gz(obj) -> bytes:
    return gzip.compress(json.dumps(obj).encode())


def _refusal(data: bytes, tmp_path) -> str:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(data)
    with pytest.raises(UserError) as caught:
        read_shared(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_round_trip_keeps_every_record_and_reason(run_dir, tmp_path):
    out = write_shared(run_dir, tmp_path / "out.json.gz", label="Made-Up CPU 9000, 2 cores", note="quiet box")
    result = read_shared(out)
    assert result.kind == "galaxybench-shared-result" and result.shared_version == shared.SHARED_VERSION
    assert [r["cell_id"] for r in result.records] == ["a", "b", "c"]
    assert result.records[2]["reason"] == "ResourceExhaustedError at batch 4096"
    assert result.label == "Made-Up CPU 9000, 2 cores" and result.note == "quiet box"
    assert result.versions["tensorflow"] == "2.21.0" and result.versions["keras"] == "3.15.1"
    assert result.galaxybench_version.startswith("0.")
    assert result.matrix.startswith('name = "made-up"')


def test_same_result_same_bytes(run_dir):
    result = build_shared(run_dir, "x")
    assert to_bytes(result) == to_bytes(result)  # no time or file name in the gzip header


def test_default_label_from_env():
    env = {"cpu_model": "AMD Ryzen 7 7800X3D 8-Core Processor", "ram_gb": 31.9, "logical_cores": 16,
           "nvml_gpus": [{"name": "NVIDIA GeForce RTX 3070"}]}
    assert shared.default_label(env) == "Ryzen 7 7800X3D, RTX 3070, 32 GB"
    assert shared.default_label({"cpu_model": "Intel(R) Xeon(R) Processor", "logical_cores": 2,
                                 "ram_gb": 23.54}) == "Intel Xeon, 2 cores, 24 GB"


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda c: b"PK\x03\x04 a zip file", "not gzip data"),
    (lambda c: gzip.compress(b"\xff\xfe not text"), "not UTF-8"),
    (lambda c: gzip.compress(b"{not json"), "not JSON"),
    (lambda c: _gz(c)[:-20], "damaged gzip"),
    (lambda c: _gz([c]), "not an object"),
    (lambda c: _gz({**c, "kind": "something-else"}), "kind is 'something-else'"),
    (lambda c: _gz({k: v for k, v in c.items() if k != "kind"}), "kind is None"),
    (lambda c: _gz({**c, "shared_version": 99}), "shared_version 99 is newer"),
    (lambda c: _gz({**c, "shared_version": 0}), "shared_version"),
    (lambda c: _gz({**c, "label": ""}), "label"),
    (lambda c: _gz({**c, "surprise": 1}), "surprise"),
    (lambda c: _gz({**c, "records": [{**c["records"][0], "batch_size": "many"}]}), "record 1: batch_size"),
    (lambda c: _gz({**c, "records": [{**c["records"][0], "status": None}]}), "record 1: no status"),
    (lambda c: _gz({**c, "records": ["not a record"]}), "records"),
    (lambda c: _gz({**c, "records": []}), "no records"),
    (lambda c: _gz({**c, "env": {**c["env"], "logical_cores": 0}}), "logical_cores"),
    (lambda c: gzip.compress(json.dumps(c).replace('"train_img_s": 1000.0', '"train_img_s": NaN').encode()),
     "NaN"),
    (lambda c: gzip.compress(b"[" * 100_000 + b"]" * 100_000), "nests"),
    (lambda c: _gz({**c, "matrix": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
     "nests more than 32"),
    (lambda c: _gz({**c, "records": [{**c["records"][0], "test_accuracy": 1.5}]}), "outside 0..1"),
    (lambda c: _gz({**c, "records": [{**c["records"][0], "wall_s": -3.0}]}), "wall_s is -3, below zero"),
    (lambda c: _gz({**c, "records": [{**c["records"][0], "epoch_s": [1.0, -2.0]}]}), "epoch_s"),
    (lambda c: _gz({**c, "records": [{**c["records"][0], "train_gflop_s": 151.0}]}), "1.5x the GEMM peak"),
    (lambda c: _gz({**c, "derived": True}), "derived"),
])
def test_damaged_and_foreign_files_are_refused_in_one_line(content, tmp_path, damage, expected):
    assert expected in _refusal(damage(content), tmp_path)


def test_a_gzip_bomb_stops_at_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(shared, "MAX_JSON_BYTES", 1 << 20)
    bomb = gzip.compress(b" " * (8 << 20))  # 8 MiB of spaces in ~8 kB
    assert len(bomb) < 100_000
    assert "inflates to more than 1 MiB" in _refusal(bomb, tmp_path)


def test_an_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(shared, "MAX_FILE_BYTES", 10)
    assert "more than a shared result may be" in _refusal(b"\x1f\x8b" + b"0" * 20, tmp_path)


def test_mixed_precision_may_pass_the_float32_peak(content, tmp_path):
    fast = {**content["records"][0], "precision": "mixed_bfloat16", "train_gflop_s": 900.0}
    assert parse_shared(_gz({**content, "records": [fast]}), "x").records[0]["train_gflop_s"] == 900.0


def test_derived_rows_must_hold_their_arithmetic():
    row = {"data": "mnist", "model": "mnist_cnn", "epochs": 5, "train_examples": 48_000,
           "validation_examples": 12_000, "train_s": 180.0, "train_img_s": 1333.33,
           "derivation": "5 x 48,000 / 180"}
    base = {"label": "x", "galaxybench_version": "0", "env": {"logical_cores": 16}, "derived": True,
            "derivation": "from a report"}
    assert SharedResult.model_validate({**base, "derived_rows": [row]}).derived_rows[0].epochs == 5
    with pytest.raises(ValueError, match="not epochs x train_examples / train_s"):
        SharedResult.model_validate({**base, "derived_rows": [{**row, "train_img_s": 2000.0}]})


def test_share_command_writes_a_readable_file(run_dir, tmp_path, capsys):
    out = tmp_path / "mine.json.gz"
    assert main(["share", str(run_dir), "-o", str(out), "--label", "My box"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "2 ok, 1 not ok" in printed
    assert "results/machines/my-box.json.gz" in printed
    assert read_shared(out).label == "My box"
    assert main(["share", str(run_dir)]) == 0
    assert read_shared(run_dir / "shared.json.gz").label == "Made-Up 9000, 2 cores, 16 GB"


@pytest.mark.parametrize("what", ["no folder", "no results", "no env"])
def test_share_of_a_non_run_is_one_line(tmp_path, capsys, what, run_dir):
    target = {"no folder": tmp_path / "nope", "no results": tmp_path, "no env": run_dir}[what]
    if what == "no env":
        (run_dir / "env.json").unlink()
    assert main(["share", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_reading_a_bad_file_through_the_cli_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(gzip.compress(b"{}"))
    assert main(["machines", str(bad), "--registry", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "kind is None" in err[0]
