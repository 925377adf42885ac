"""bench.report.load on hand-built run folders (made-up records, see conftest)."""

from __future__ import annotations

import json

import pytest

from bench.config.record import FIELDS
from bench.errors import UserError
from bench.report.load import load_run, machine_label


def test_torn_last_line_is_skipped_with_a_note(make_run):
    run = load_run(make_run(torn=True))
    assert "torn" not in set(run.df["cell_id"])
    whole_lines = (run.path / "results.jsonl").read_text().splitlines()[:-1]
    assert list(run.df["cell_id"]) == [json.loads(line)["cell_id"] for line in whole_lines]
    assert any("incomplete: a torn last line" in n for n in run.notes)


def test_corrupt_middle_line_is_left_out_and_named(make_run):
    """bench.results.loader's rule (tests/bench/results/test_loader.py): the line is left out with a note
    naming file and line, as the runner sets it aside, never a refusal of the whole run."""
    run_dir = make_run()
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    lines[2] = lines[2][:20]
    (run_dir / "results.jsonl").write_text("\n".join(lines) + "\n")
    run = load_run(run_dir)
    assert len(run.df) == len(lines) - 1
    assert any(n == f"{run_dir / 'results.jsonl'} line 3: not valid JSON; not a record" for n in run.notes)


def test_missing_fields_become_null_columns(make_run):
    run = load_run(make_run())
    assert set(FIELDS) <= set(run.df.columns)
    sparse = run.df.set_index("cell_id").loc["sparse"]
    assert sparse["status"] == "error" and bool(sparse["failed"])
    assert sparse["train_img_s"] != sparse["train_img_s"]  # NaN, not 0


def test_last_record_of_a_cell_wins(make_run, throughput):
    run = load_run(make_run([throughput("c1", 10.0), throughput("c1", 20.0)]))
    assert list(run.df["train_img_s"]) == [20.0]
    assert any("more than once" in n for n in run.notes)


def test_synthetic_cells_never_carry_accuracy(make_run):
    run = load_run(make_run())
    syn = run.df[run.df["synthetic"]]
    assert not syn.empty
    assert syn["test_accuracy"].isna().all() and syn["per_class"].isna().all()
    history = syn.set_index("cell_id").loc["syn-train", "history"]
    assert history and all("accuracy" not in k for epoch in history for k in epoch)
    assert any("synthetic" in n for n in run.notes)


def test_empty_partial_run_loads(make_run):
    run = load_run(make_run([]))
    assert run.df.empty and set(FIELDS) <= set(run.df.columns)


def test_bad_run_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        load_run(tmp_path / "missing")
    with pytest.raises(UserError, match="no results.jsonl"):
        load_run(tmp_path)


def test_machine_label_tells_machines_apart_but_not_runs():
    env = {"hostname": "h", "cpu_model": "CPU A", "created_at": "t1"}
    assert machine_label(env) == machine_label({**env, "created_at": "t2"})
    assert machine_label(env) != machine_label({**env, "cpu_model": "CPU B"})
    assert "CPU A" in machine_label(env) and "no GPU" in machine_label(env)


def test_partial_run_says_how_many_cells_are_missing(make_run, throughput):
    run_dir = make_run([throughput("a", 1.0)], matrix=False)
    cells = '[[cells]]\ncell_id = "a"\n[[cells]]\ncell_id = "b"\n'
    (run_dir / "matrix.toml").write_text('name = "x"\n' + cells)
    run = load_run(run_dir)
    assert run.planned_cells == 2
    assert any("1 of 2 planned cells have no record" in n for n in run.notes)
