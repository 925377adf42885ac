"""Issue 31's reproduction 5: records that passed the old line check and crashed resume, report and compare.
Each is now set aside with one line naming file, line and field, while the rest of the run is used by
resume (to_run and its planner), the report and compare; no traceback.

The run is a copy of the committed results/example/quick (13 real records) with one line made bad.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from bench.config.matrix import Machine, expand, load_matrix
from bench.launch import runner
from bench.report.compare import best_settings, compare
from bench.report.load import SET_ASIDE_SHOWN, load_run
from bench.results import loader

QUICK = Path(__file__).resolve().parents[3] / "results" / "example" / "quick"
TRAIN, FASTEST = 0, 4  # line indexes: mnist's train cell; the fastest mnist_cnn throughput cell


def _huge(record: dict) -> str:
    return json.dumps(record)[:-1] + ', "params": ' + "9" * 5000 + "}"


def _surrogate(record: dict) -> str:
    return json.dumps(record | {"device_name": "@"}).replace('"device_name": "@"', '"device_name": "\\ud800"')


def _without(record: dict, key: str) -> dict:
    return {k: v for k, v in record.items() if k != key}


# (name, line index, the bad line from the good record, the field its set-aside line names)
CASES = [
    ("NaN", FASTEST, lambda r: json.dumps(r | {"train_img_s": float("nan")}), "train_img_s is nan"),
    ("batch_size 0", FASTEST, lambda r: json.dumps(r | {"batch_size": 0}), "batch_size is 0"),
    ("negative batch_size", FASTEST, lambda r: json.dumps(r | {"batch_size": -32}), "batch_size is -32"),
    ("null batch_size in a train record", TRAIN, lambda r: json.dumps(r | {"batch_size": None}),
     "batch_size is None"),
    ("missing precision", FASTEST, lambda r: json.dumps(_without(r, "precision")), "precision is missing"),
    ("replicas 0", FASTEST, lambda r: json.dumps(r | {"replicas": 0}), "replicas is 0"),
    ("1-D confusion matrix", TRAIN, lambda r: json.dumps(r | {"confusion_matrix": [1, 2, 3]}),
     "confusion_matrix has 1 at [0]"),
    ("ragged confusion matrix", TRAIN, lambda r: json.dumps(r | {"confusion_matrix": [[1, 2], [3]]}),
     "confusion_matrix is not square"),
    ("5,000-digit integer", FASTEST, _huge, "params is an integer of 5,000 digits"),
    ("lone surrogate", FASTEST, _surrogate, "device_name has a lone surrogate"),
    ("dataset null", FASTEST, lambda r: json.dumps(r | {"dataset": None}), "dataset is None"),
    ("dataset not a string", FASTEST, lambda r: json.dumps(r | {"dataset": ["mnist"]}),
     "dataset is ['mnist']"),
    ("a string inside runs", FASTEST, lambda r: json.dumps(r | {"train_img_s_runs": [1.0, "fast", 2.0]}),
     "train_img_s_runs has 'fast' at [1]"),
    ("a future record", FASTEST, lambda r: json.dumps(r | {"schema_version": 3, "mode": "inference"}),
     "schema_version is 3: newer than this galaxybench reads"),
]


def _copy(tmp_path: Path, name: str = "run") -> Path:
    run = tmp_path / name
    shutil.copytree(QUICK, run)
    for stale in ("report.html", "summary.md", "results.csv", "charts"):
        path = run / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    return run


def _replace_line(run: Path, index: int, make_bad) -> tuple[dict, str]:
    lines = (run / "results.jsonl").read_text().splitlines()
    good = json.loads(lines[index])
    lines[index] = make_bad(good)
    (run / "results.jsonl").write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    return good, lines[index]


def _planned(run: Path) -> list:
    return expand(load_matrix(str(run / "matrix.toml")), Machine(logical_cores=2))


@pytest.mark.parametrize(("name", "index", "make_bad", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_record_is_set_aside_and_the_rest_of_the_run_is_used(tmp_path, name, index, make_bad, why):
    from bench.commands.run import make_planner

    run = _copy(tmp_path)
    good, _ = _replace_line(run, index, make_bad)
    loaded = loader.load_records(run)
    assert loaded.set_aside and len(loaded.set_aside) == 1
    line = loaded.set_aside[0]
    assert line.startswith(f"{run / 'results.jsonl'} line {index + 1}: ") and why in line and "\n" not in line
    assert len(loaded.records) == 12 and good["cell_id"] not in {r["cell_id"] for r in loaded.records}

    # resume: the set-aside record's cell runs again, every other cell is done; its planner predicts
    planned = _planned(run)
    assert [p.cell.cell_id for p in runner.to_run(planned, run, retry_failed=False)] == [good["cell_id"]]
    planner = make_planner(json.loads((run / "env.json").read_text()), planned, run)
    assert all(planner.predict(p.cell).seconds is not None for p in planned)

    # report and compare, both ways round, with the unchanged run
    report = load_run(run)
    assert line in report.notes and len(report.df) == 12
    runs = [load_run(QUICK), report]
    for pair in (runs, runs[::-1]):
        assert not compare(pair).empty
        assert not best_settings(pair).empty


def test_a_future_status_is_kept_and_its_cell_runs(tmp_path):
    run = _copy(tmp_path)
    good, _ = _replace_line(run, FASTEST, lambda r: json.dumps(r | {"status": "queued"}))
    assert loader.load_records(run).set_aside == []
    todo = runner.to_run(_planned(run), run, retry_failed=False)
    assert [p.cell.cell_id for p in todo] == [good["cell_id"]]
    assert load_run(run).df.set_index("cell_id").loc[good["cell_id"], "status"] == "queued"


def test_compare_on_a_foreign_record_says_where_it_stands(tmp_path):
    """A record from elsewhere under the same cell_id but of another model ('... is not in list' before):
    compare names its standing instead of raising."""
    run = _copy(tmp_path)
    good, _ = _replace_line(run, FASTEST, lambda r: json.dumps(r | {"model": "cifar_cnn"}))
    best = best_settings([load_run(QUICK), load_run(run)])
    here = best[best["run"].str.startswith("B") & (best["pair"] == "mnist/mnist_cnn")].iloc[0]
    assert here["A_best_here"].startswith("ok, not ranked here")


def test_report_and_compare_commands_on_every_bad_line_at_once(tmp_path):
    """`bench report` and `bench compare` on a run holding all of the bad lines: each named in one line,
    exit 0, no traceback, results.jsonl untouched."""
    from bench.cli import main

    run = _copy(tmp_path)
    lines = (run / "results.jsonl").read_text().splitlines()
    bad = [make_bad(json.loads(lines[index])) for _, index, make_bad, _ in CASES]
    data = ("\n".join(lines + bad) + "\n").encode("utf-8", "surrogatepass")
    (run / "results.jsonl").write_bytes(data)
    shown = range(len(lines) + 1, len(lines) + SET_ASIDE_SHOWN + 1)  # the report names ten, counts the rest
    more = f"and {len(bad) - SET_ASIDE_SHOWN} more line(s) of {run / 'results.jsonl'} set aside"
    for command in (["report", str(run)], ["compare", str(run), str(QUICK), "--out", str(tmp_path / "cmp")]):
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            assert main(command) == 0
        assert "Traceback" not in err.getvalue()
        assert all(f"results.jsonl line {n}: " in out.getvalue() for n in shown), command[0]
        assert more in out.getvalue()
    assert (run / "results.jsonl").read_bytes() == data
