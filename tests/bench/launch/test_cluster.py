"""bench.launch.cluster without a cluster: the --cluster address, which cell runs are still owed in each
placement (resume), and the command's one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.errors import UserError
from bench.launch import cluster
from bench.launch.cluster import Node, merged, parse_address, plan_jobs
from bench.launch.runner import skipped_record
from tests.bench.conftest import REPO

A = Cell(dataset="synthetic:8x8x1:10:128", model="cifar_cnn", batch_size=16)
B = Cell(dataset="synthetic:8x8x1:10:128", model="cifar_cnn", batch_size=32)
GPU = Cell(dataset="synthetic:8x8x1:10:128", model="cifar_cnn", device="gpu:0")


def node(machine: str, gpu: bool) -> Node:
    planned = [Planned(A), Planned(B), Planned(GPU, None if gpu else "no GPU here")]
    return Node(f"{machine}-id", "10.0.0.1", machine, {"machine_env_id": machine * 2}, planned)


NODES = [node("a", gpu=False), node("b", gpu=True)]


def record(cell: Cell, machine: str, status: str = "ok", reason: str | None = None) -> dict:
    return {"cell_id": cell.cell_id, "status": status, "reason": reason, "machine": machine}


@pytest.mark.parametrize("text", ["ray:", "ray://", "tcp://h:1", "ray://h:1/x", "RAY"])
def test_a_bad_cluster_address_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError, match="ray://HOST:PORT"):
        parse_address(text)


def test_cluster_addresses() -> None:
    assert parse_address("ray") is None
    assert parse_address("ray://10.0.0.5:10001") == "ray://10.0.0.5:10001"


def test_spread_runs_each_cell_once_where_it_can_run() -> None:
    jobs, skips = plan_jobs("spread", merged([n.planned for n in NODES]), NODES, [], False)
    assert [(j.cell, j.machines) for j in jobs] == [(A, ("a", "b")), (B, ("a", "b")), (GPU, ("b",))]
    assert skips == []


def test_every_node_runs_every_cell_on_every_machine_and_skips_per_machine() -> None:
    jobs, skips = plan_jobs("every-node", [], NODES, [], False)
    assert [(j.cell, j.machines) for j in jobs] == [(A, ("a",)), (B, ("a",)), (A, ("b",)), (B, ("b",)),
                                                    (GPU, ("b",))]
    assert [(s["cell_id"], s["machine"], s["reason"]) for s in skips] == [(GPU.cell_id, "a", "no GPU here")]


def test_resume_skips_what_a_machine_recorded() -> None:
    done = [record(A, "a"), record(B, "b", "error", "lost")]
    jobs, _ = plan_jobs("every-node", [], NODES, done, retry_failed=False)
    assert [(j.cell, j.machines) for j in jobs] == [(B, ("a",)), (A, ("b",)), (GPU, ("b",))]
    retry, _ = plan_jobs("every-node", [], NODES, done, retry_failed=True)
    assert (B, ("b",)) in [(j.cell, j.machines) for j in retry]
    spread, _ = plan_jobs("spread", merged([n.planned for n in NODES]), NODES, done, retry_failed=False)
    assert [j.cell for j in spread] == [GPU]  # a cell recorded on any machine is done in spread


def test_a_data_skip_is_checked_again_on_resume() -> None:
    skip = skipped_record(A, "data missing: cifar10 is not on this machine: ...") | {"machine": "a"}
    jobs, _ = plan_jobs("every-node", [], NODES[:1], [skip, record(B, "a")], retry_failed=False)
    assert [j.cell for j in jobs] == [A]


def test_placement_without_cluster_and_a_cluster_run_resumed_without_it(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--matrix", "ci", "--placement", "spread"]) == 2
    assert "--placement needs --cluster" in capsys.readouterr().err
    (tmp_path / cluster.CLUSTER_FILE).write_text('{"placement": "spread"}', encoding="utf-8")
    (tmp_path / "matrix.toml").write_text('name = "ci"\n', encoding="utf-8")
    assert main(["run", "--resume", "--out", str(tmp_path)]) == 2
    assert "add --cluster ray" in capsys.readouterr().err
    assert main(["run", "--matrix", "ci", "--cluster", "ray:/x"]) == 2
    assert "ray://HOST:PORT" in capsys.readouterr().err


def test_a_cluster_run_keeps_its_placement(tmp_path: Path) -> None:
    assert cluster._placement(tmp_path, "every-node", "ray") == "every-node"
    assert cluster._placement(tmp_path, None, "ray") == "every-node"
    with pytest.raises(UserError, match="was run with --placement every-node"):
        cluster._placement(tmp_path, "spread", "ray")


def test_download_is_refused_on_a_cluster(capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--matrix", "ci", "--cluster", "ray", "--download"]) == 2
    assert "on each machine" in capsys.readouterr().err


def test_the_code_shipped_to_the_nodes_keeps_every_package() -> None:
    """Ray's working_dir excludes (its own gitwildmatch) drop the run folders, never a package of the same
    name such as bench/results (an unanchored `results/` left bench.results off every node)."""
    pytest.importorskip("ray")
    from ray._private.thirdparty.pathspec import PathSpec

    spec = PathSpec.from_lines("gitwildmatch", cluster.SHIP_EXCLUDES)
    code = [p.relative_to(REPO).as_posix() for top in ("bench", "datasets", "models")
            for p in (REPO / top).rglob("*.py") if "__pycache__" not in p.parts]
    assert "bench/results/store.py" in code
    assert [p for p in code if spec.match_file(p)] == []
    assert spec.match_file("results/20261207T000000Z-host-ci/results.jsonl")


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"placement": "everywhere"}', "\xe9"])
def test_a_damaged_cluster_file_is_one_line(tmp_path: Path, text: str) -> None:
    """RUN_DIR/cluster.json is a file on disk like any other: damaged, it is a one-line error naming it."""
    (tmp_path / cluster.CLUSTER_FILE).write_text(text, encoding="latin-1")
    with pytest.raises(UserError, match="cluster.json") as caught:
        cluster._placement(tmp_path, None, "ray")
    assert "\n" not in str(caught.value)
