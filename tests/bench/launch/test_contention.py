"""bench.launch.contention: a cell run beside a real CPU-burning process is flagged contended and the same
cell without one is not; the run's GEMM peak measured again at its end flags a drifting run.

The cells here are cheap stand-ins for `python -m bench.cell.child` (runner.spawn_child replaced by a
pure-Python busy loop that prints the child's one JSON line), run through the real runner.run_cell.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench import peak
from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.errors import UserError
from bench.launch import contention, processes, runner

# The cell: pinned to the cores it is given (argv[1]), a grandchild burns a second, then the child itself
# burns a second: one core busy at a time, two processes of the cell's tree, then the child's one line.
BUSY_CELL = """
import json, subprocess, sys, time
import psutil
cores = json.loads(sys.argv[1])
if cores and hasattr(psutil.Process, "cpu_affinity"):
    psutil.Process().cpu_affinity(cores)
LOOP = "import time\\nt = time.perf_counter()\\nwhile time.perf_counter() - t < {s}: pass"
subprocess.run([sys.executable, "-c", LOOP.format(s=1.0)], check=True)
exec(LOOP.format(s=1.0))
print(json.dumps({"status": "ok", "reason": None}))
"""
BURNER = "while True: pass"


def shared_cores() -> list[int]:
    """The first two cores this process may run on (the cell and the burners are pinned to them)."""
    if not hasattr(psutil.Process, "cpu_affinity"):
        return []
    return sorted(psutil.Process().cpu_affinity())[:2]


@pytest.fixture
def cheap_cell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """run() runs the busy stand-in cell through runner.run_cell and returns its record."""
    cores = shared_cores()

    def spawn(cell: Cell, log_path: Path, extra_env: Any = None, wrap: Any = None) -> subprocess.Popen[str]:
        log_path.parent.mkdir(exist_ok=True)
        with open(log_path, "w", encoding="utf-8") as log:
            cmd = [sys.executable, "-c", BUSY_CELL, json.dumps(cores)]
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                                    **processes.new_group())

    monkeypatch.setattr(runner, "spawn_child", spawn)
    return lambda: runner.run_cell(Cell("digits", "mnist_cnn", timeout_s=60), tmp_path, {})


def others_cores(seconds: float) -> float:
    """Cores the rest of the system kept busy over `seconds` of this process sleeping."""
    window = contention.start()
    time.sleep(seconds)
    return contention.fields(window, seconds)["others_cpu_cores"]


needs_rusage = pytest.mark.skipif(contention.resource is None, reason="no getrusage on this OS (Windows)")


@needs_rusage
def test_a_cell_beside_a_cpu_burning_process_is_contended(cheap_cell):
    """Two pure-Python loops pinned to the cell's two cores take about 4/3 of a core from the cell's one
    busy process; whatever else runs on the machine only adds to what others used."""
    cores = shared_cores()
    if len(cores) < 2:
        pytest.skip("needs two cores: on one, a burner sharing it with the cell gets half a core at most")
    burners = [psutil.Popen([sys.executable, "-c", BURNER]) for _ in cores]
    try:
        for b in burners:
            b.cpu_affinity(cores)
        before = sum(sum(b.cpu_times()[:2]) for b in burners)
        record = cheap_cell()
        burned = sum(sum(b.cpu_times()[:2]) for b in burners) - before
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert record["status"] == "ok", record
    assert record["contended"] is True
    assert record["others_cpu_cores"] > contention.CONTENDED_CORES
    # the burners' own CPU time is inside what the record calls others (ticks against exact time: slack)
    assert record["others_cpu_s"] >= burned - 0.3, (record["others_cpu_s"], burned)


@needs_rusage
def test_the_same_cell_alone_is_not_contended(cheap_cell):
    """The cell's own tree (a child and a grandchild, two busy seconds) is not counted as others.

    This box may be loaded by other test processes, so the system's load without the cell is measured just
    before and just after it: the cell's others must stay within half a core of that (counting its own
    tree would add a whole core), and where the machine was quiet (under 0.2 cores busy both times) the
    cell must not be flagged. A burst of load during the cell alone could still fail it."""
    load_before = others_cores(1.0)
    record = cheap_cell()
    load_after = others_cores(1.0)
    load = max(load_before, load_after)
    assert record["status"] == "ok", record
    assert record["others_cpu_cores"] <= load + 0.5, (record["others_cpu_cores"], load_before, load_after)
    if load < 0.2:
        assert record["contended"] is False, (record["others_cpu_cores"], load)


def test_without_getrusage_the_fields_are_null_and_say_why(cheap_cell, monkeypatch):
    monkeypatch.setattr(contention, "resource", None)
    record = cheap_cell()
    assert record["status"] == "ok"
    assert record["others_cpu_s"] is None and record["contended"] is None
    assert record["unavailable"]["others_cpu"] == contention.NO_RUSAGE


def test_attach_keeps_the_childs_own_unavailable_reasons():
    record = {"status": "ok", "unavailable": {"energy": "no RAPL here"}}
    out = contention.attach(record, {"others_cpu_s": None, "unavailable": {"others_cpu": "why"}})
    assert out["unavailable"] == {"energy": "no RAPL here", "others_cpu": "why"}
    assert record["unavailable"] == {"energy": "no RAPL here"}  # the input is not changed


@pytest.mark.parametrize(("start", "end", "flag"), [
    ({"cpu": 212.0}, {"cpu": 107.0}, True),  # another job took the cores halfway through
    ({"cpu": 212.0}, {"cpu": 200.0}, False),  # 5.7% apart: steady
    ({"cpu": 100.0, "gpu:0": 9000.0}, {"cpu": 101.0, "gpu:0": 7000.0}, True),  # any one device
    ({"cpu": 100.0}, {"gpu:0": 100.0}, None),  # no device measured at both ends
    ({"cpu": 0.0}, {"cpu": 100.0}, None),  # a start peak of zero says nothing
])
def test_drifting_when_a_devices_two_peaks_are_over_ten_percent_apart(start, end, flag):
    assert peak.drifting(start, end) is flag


def _run_folder(tmp_path: Path, **env: Any) -> Path:
    start = {"logical_cores": 2, "peak_gflop_s": {"cpu": 212.0}}
    (tmp_path / "env.json").write_text(json.dumps(start | env))
    return tmp_path


def _env(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "env.json").read_text())


def test_end_peaks_are_written_to_env_json_with_the_flag(tmp_path):
    run_dir = _run_folder(tmp_path)
    contention.record_end_peaks(run_dir, lambda peak: {"peak_gflop_s": {"cpu": 107.0}}, cells_s=600)
    env = _env(run_dir)
    assert env["peak_gflop_s"] == {"cpu": 212.0} and env["peak_gflop_s_end"] == {"cpu": 107.0}
    assert env["drifting"] is True and "peak_end_unavailable" not in env


def test_a_short_session_measures_no_second_peak_and_says_so(tmp_path):
    run_dir = _run_folder(tmp_path)

    def probe(peak: bool) -> dict[str, Any]:
        raise AssertionError("no probe for a short session")

    contention.record_end_peaks(run_dir, probe, cells_s=12)
    env = _env(run_dir)
    assert env["peak_gflop_s_end"] is None and env["drifting"] is None
    assert "12 s, under 60 s" in env["peak_end_unavailable"]
    earlier = _run_folder(tmp_path, peak_gflop_s_end={"cpu": 210.0}, drifting=False)
    contention.record_end_peaks(earlier, probe, cells_s=12)  # a short resume keeps the earlier check
    assert _env(earlier)["peak_gflop_s_end"] == {"cpu": 210.0}


def test_a_failed_end_probe_keeps_the_run_and_says_why(tmp_path):
    run_dir = _run_folder(tmp_path, hostname="box")

    def probe(peak: bool) -> dict[str, Any]:
        raise UserError("could not collect the environment (a backend's import failed?): boom")

    contention.record_end_peaks(run_dir, probe, cells_s=600)
    env = _env(run_dir)
    assert env["hostname"] == "box" and env["drifting"] is None
    assert "boom" in env["peak_end_unavailable"]


def test_run_cells_measures_the_peak_again_once_at_the_end(tmp_path, monkeypatch):
    run_dir = _run_folder(tmp_path)
    calls: list[bool] = []
    monkeypatch.setattr(runner, "run_cell", lambda cell, run_dir, env: runner.skipped_record(cell, "x") | {
        "status": "ok", "reason": None, "wall_s": 300.0})
    monkeypatch.setattr(runner, "probe_env",
                        lambda peak: calls.append(peak) or {"peak_gflop_s": {"cpu": 211.0}})
    monkeypatch.setattr(contention, "END_PEAK_MIN_S", 0.0)
    cells = [Planned(Cell("digits", "mnist_cnn", batch_size=b)) for b in (16, 32)]
    counts = runner.run_cells(run_dir, cells, _env(run_dir), total=2)
    assert counts == {"ok": 2} and calls == [True]
    env = _env(run_dir)
    assert env["peak_gflop_s_end"] == {"cpu": 211.0} and env["drifting"] is False


def test_a_run_of_skipped_cells_measures_no_second_peak(tmp_path, monkeypatch):
    run_dir = _run_folder(tmp_path)
    monkeypatch.setattr(runner, "probe_env", lambda peak: pytest.fail("no process ran: no probe"))
    runner.run_cells(run_dir, [Planned(Cell("digits", "mnist_cnn"), skip_reason="no GPU")], _env(run_dir), 1)
    assert "peak_gflop_s_end" not in _env(run_dir)
