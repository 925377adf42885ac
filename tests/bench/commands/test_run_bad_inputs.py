"""Issue 14's `bench run` cases: one line naming the fix (exit 2), nothing recorded lost. The run folders
here hold one cell that can only be skipped on this machine (gpu:7), so no child process is started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main

ENV = {"logical_cores": 2, "gpu_count": 0, "gpu_note": "none (test)", "packages": {"tensorflow": "x"}}
MATRIX = 'name = "t"\n\n[[cells]]\ndataset = "digits"\nmodel = "mnist_cnn"\ndevice = "gpu:7"\n'


def _run_folder(tmp_path: Path, results: str = "", env: str | None = None) -> Path:
    run = tmp_path / "run"
    (run / "logs").mkdir(parents=True)
    (run / "matrix.toml").write_text(MATRIX)
    (run / "env.json").write_text(json.dumps(ENV) if env is None else env)
    if results:
        (run / "results.jsonl").write_text(results)
    return run


def _fails(argv: list[str], capsys: pytest.CaptureFixture, match: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert match in err, err


def test_out_that_is_a_file_is_one_line(tmp_path: Path, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    _fails(["run", "--matrix", "ci", "--out", str(target)], capsys, "is a file, not a folder")
    assert target.read_text() == "mine"


@pytest.mark.parametrize(("env", "match"), [
    ('{"logical_cores": 2, "gpu', "env.json is damaged"),
    ('{"gpu_count": 0}', "env.json is incomplete"),
])
def test_resume_with_a_damaged_env_json_is_one_line(tmp_path: Path, capsys, env, match):
    record = json.dumps({"cell_id": "x", "status": "ok"}) + "\n"
    run = _run_folder(tmp_path, record, env)
    _fails(["run", "--resume", "--out", str(run), "--no-report"], capsys, match)
    assert (run / "results.jsonl").read_text() == record and (run / "env.json").read_text() == env


def test_resume_sets_aside_a_record_without_status_and_says_so(tmp_path: Path, capsys):
    """A JSON object that does not validate stays in results.jsonl (nothing is deleted) and is left out by
    every reader (bench.results.loader): its cell runs again, and the run says so in one line."""
    from bench.config.matrix import load_matrix

    run = _run_folder(tmp_path)
    cell_id = load_matrix(str(run / "matrix.toml")).cells[0].cell_id
    bad = json.dumps({"cell_id": cell_id, "reason": "no status"}) + "\n"
    (run / "results.jsonl").write_text(bad)
    assert main(["run", "--resume", "--out", str(run), "--no-report"]) == 0
    out = capsys.readouterr().out
    assert ("note: 1 record(s) do not validate and are left out, their cells run again: "
            f"{run / 'results.jsonl'} line 1: status is missing; set aside") in out
    assert not (run / "results.jsonl.torn").exists()
    first, record = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert first == json.loads(bad) and record["cell_id"] == cell_id and record["status"] == "skipped"


def test_resume_keeps_every_good_record_around_a_corrupt_middle_line(tmp_path: Path, capsys):
    good = json.dumps({"cell_id": "earlier", "status": "ok"}) + "\n"
    run = _run_folder(tmp_path, good + "{corrupt\n" + good.replace("earlier", "later"))
    assert main(["run", "--resume", "--out", str(run), "--no-report"]) == 0
    assert "line(s) 2 (not valid JSON)" in capsys.readouterr().out
    ids = [json.loads(line)["cell_id"] for line in (run / "results.jsonl").read_text().splitlines()]
    assert ids[:2] == ["earlier", "later"] and len(ids) == 3


def test_a_file_where_the_run_folder_needs_a_folder_is_one_line(tmp_path: Path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "logs").write_text("a file, not the logs folder")
    _fails(["run", "--matrix", "ci", "--out", str(run)], capsys,
           f"File exists: {run / 'logs'}; check that path")


def test_set_without_matrix_is_one_line(tmp_path: Path, capsys):
    run = _run_folder(tmp_path)
    _fails(["run", "--resume", "--out", str(run), "--set", "data=synthetic"], capsys, "give --matrix")


def test_bad_set_is_one_line(tmp_path: Path, capsys):
    _fails(["run", "--matrix", "ci", "--out", str(tmp_path / "new"), "--set", "colour=red"], capsys,
           "give AXIS=VALUE")
    assert not (tmp_path / "new").exists()


def test_an_unusable_data_folder_stops_the_run_before_anything(tmp_path: Path, capsys, monkeypatch):
    """One line and exit 2 before any folder or record is made (else every cell would be an `error`)."""
    afile = tmp_path / "afile"
    afile.write_text("")
    monkeypatch.setenv("BENCH_DATA_DIR", str(afile))
    _fails(["run", "--matrix", "ci", "--out", str(tmp_path / "new")], capsys, "set BENCH_DATA_DIR to one")
    assert not (tmp_path / "new").exists()
    run = _run_folder(tmp_path)
    _fails(["run", "--resume", "--out", str(run)], capsys, f"the data folder {afile}")
    assert not (run / "results.jsonl").exists()
