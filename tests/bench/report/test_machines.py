"""A run of several machines (bench run --cluster, every-node): one row per cell and machine, a machine
axis in the headline, 'which machine for which pair', and compare splitting the run by machine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.report.compare_report import make_compare
from bench.report.load import load_run
from bench.report.machines import by_machine, which_machine
from bench.report.make import make_report
from bench.report.tables import headline
from bench.results import store

EXAMPLE = Path(__file__).resolve().parents[3] / "results" / "example" / "quick"
SPEED = {"node-a": 1.0, "node-b": 0.5}  # node-b measured half node-a's speed in every cell


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """The example run's ok throughput records as if run on two machines (every-node), node-b slower."""
    run = tmp_path / "fleet"
    run.mkdir()
    shutil.copy(EXAMPLE / "matrix.toml", run / "matrix.toml")
    ok = [r for r in store.read_records(EXAMPLE) if r["status"] == "ok" and r["mode"] == "throughput"][:3]
    env = json.loads((EXAMPLE / "env.json").read_text(encoding="utf-8"))
    (run / "envs").mkdir()
    machines = {}
    for name, factor in SPEED.items():
        where = {"machine": name, "machine_env_id": name[-1] * 10, "placement": "every-node"}
        store.write_json(run / "envs" / f"{name}.json",
                         env | {"hostname": name, "machine_env_id": where["machine_env_id"]})
        machines[name] = {"machine_env_id": name[-1] * 10, "cpu_model": env["cpu_model"], "logical_cores": 2,
                          "gpu_count": 0, "env": f"envs/{name}.json"}
        for r in ok:
            runs = [v * factor for v in r["train_img_s_runs"]]
            store.append_record(run, r | where | {"train_img_s": r["train_img_s"] * factor,
                                                  "train_img_s_runs": runs})
    store.write_json(run / "env.json", {"cluster_machines": machines, "logical_cores": 2})
    return run


def test_every_machine_keeps_its_row_and_the_headline_has_a_machine_axis(fleet: Path) -> None:
    run = load_run(fleet)
    assert len(run.df) == 6 and sorted(run.df["machine"].unique()) == ["node-a", "node-b"]
    assert "2 machine(s) of a Ray cluster" in run.machine
    assert run.planned_cells == 2 * 13  # every cell of the example's matrix on each machine
    head = headline(run.df)
    assert list(head.columns[:3]) == ["pair", "device", "machine"]
    for _, rows in head.groupby("pair"):
        speed = rows.set_index("machine")["best training images/s"]
        assert speed["node-b"] == pytest.approx(speed["node-a"] / 2, rel=0.01)


def test_which_machine_names_the_fastest_per_pair(fleet: Path) -> None:
    table = which_machine(load_run(fleet).df)
    assert not table.empty
    assert table["fastest for training"].str.startswith("node-a (2.00x node-b)").all()


def test_a_one_machine_run_has_no_machine_table() -> None:
    assert which_machine(load_run(EXAMPLE).df).empty
    assert "machine" not in headline(load_run(EXAMPLE).df).columns


def test_report_and_compare_read_a_fleet_run(fleet: Path, tmp_path: Path) -> None:
    report = make_report(fleet)
    summary = report.markdown.read_text(encoding="utf-8")
    assert "## Which machine for which pair" in summary and "node-b" in summary
    assert [r.env["hostname"] for r in by_machine(load_run(fleet))] == ["node-a", "node-b"]
    result = make_compare([fleet], tmp_path / "cmp")  # one run folder of two machines: node-a vs node-b
    train = result.table[result.table["metric"] == "train_img_s"]
    assert len(train) == 3 and train["ratio"].round(3).eq(0.5).all()
