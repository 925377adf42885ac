"""Every way a cell can fail becomes a record with its status, reason and log tail; the matrix goes on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.config.cell import Cell
from bench.config.matrix import load_matrix
from bench.config.record import FIELDS, SCHEMA_VERSION, STATUSES
from bench.results.loader import validate_env, validate_record
from tests.bench.conftest import FAULTS, bench, records


def by_model(run_dir: Path) -> dict[str, dict]:
    return {r["model"]: r for r in records(run_dir)}


def test_run_completes_with_one_record_per_cell(faults_run):
    out, proc = faults_run
    assert proc.returncode == 0, proc.stderr
    recs = records(out)
    assert len(recs) == 8
    assert len({r["cell_id"] for r in recs}) == 8


def test_failure_statuses_and_reasons(faults_run):
    got = by_model(faults_run[0])
    assert got["m_raise"]["status"] == "error" and "RuntimeError" in got["m_raise"]["reason"]
    if os.name == "posix":
        assert got["m_abort"]["status"] == "error" and "SIGABRT" in got["m_abort"]["reason"]
        assert got["m_sigkill"]["status"] == "oom" and "SIGKILL" in got["m_sigkill"]["reason"]
    else:  # Windows: abort() exits 3; a TerminateProcess'd cell is an error (Windows has no OOM killer)
        assert got["m_abort"]["status"] == "error" and "abort()" in got["m_abort"]["reason"]
        assert got["m_sigkill"]["status"] == "error" and "without a record" in got["m_sigkill"]["reason"]
    assert got["m_memory"]["status"] == "oom" and "MemoryError" in got["m_memory"]["reason"]
    assert got["m_nan"]["status"] == "nan" and "nan" in got["m_nan"]["reason"]
    assert got["m_hang"]["status"] == "timeout" and "timeout_s=2" in got["m_hang"]["reason"]


def test_failed_records_carry_log_tail_and_log_file(faults_run):
    out = faults_run[0]
    for model in ("m_raise", "m_memory", "m_nan"):
        rec = by_model(out)[model]
        assert "Traceback" in rec["log_tail"]
        assert (out / "logs" / f"{rec['cell_id']}.log").read_text().endswith(rec["log_tail"] + "\n")


def test_gpu_cell_without_that_gpu_is_skipped_with_reason(faults_run):
    rec = by_model(faults_run[0])["m_gpu"]
    assert rec["status"] == "skipped"
    assert "gpu:99 requested" in rec["reason"]
    assert not (faults_run[0] / "logs" / f"{rec['cell_id']}.log").exists()  # no process was started


def test_thread_count_above_cores_needs_oversubscribe(faults_run):
    rec = by_model(faults_run[0])["m_threads"]
    assert rec["status"] == "skipped" and "oversubscribe = true" in rec["reason"]


def test_every_record_key_is_in_the_schema(faults_run):
    for rec in records(faults_run[0]):
        assert set(rec) <= set(FIELDS), set(rec) - set(FIELDS)
        assert rec["status"] in STATUSES
        assert rec["schema_version"] == SCHEMA_VERSION
        assert rec["cell_id"] == Cell.from_dict(rec).cell_id
        assert validate_record(rec) == rec  # what the runner writes, every reader reads (bench.results.loader)
    assert validate_env(json.loads((faults_run[0] / "env.json").read_text()))


def test_env_json_fingerprint(faults_run):
    env = json.loads((faults_run[0] / "env.json").read_text())
    for key in ("hostname", "os", "python", "cpu_model", "logical_cores", "physical_cores", "ram_gb",
                "tf_version", "keras_version", "tf_build_info", "onednn", "tf_gpus", "nvml_gpus"):
        assert key in env, key
    assert env["logical_cores"] >= 1 and env["ram_gb"] > 0
    assert env["nvml_gpus"] or env["nvml_unavailable"]  # NVML's GPUs, or why there are none
    assert env["peak_gflop_s"]["cpu"] > 0


def test_expanded_matrix_toml_reloads_to_the_same_cells(faults_run):
    out = faults_run[0]
    spec = load_matrix(str(out / "matrix.toml"))
    assert [c.cell_id for c in spec.cells] == [r["cell_id"] for r in records(out)]


def test_resume_runs_nothing_more_and_retry_reruns_only_failed(faults_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(faults_run[0], run)
    proc = bench("run", "--resume", "--out", str(run))
    assert proc.returncode == 0, proc.stderr
    assert len(records(run)) == 8
    hang_id = next(r["cell_id"] for r in records(run) if r["model"] == "m_hang")
    first_log = (run / "logs" / f"{hang_id}.log").read_text()
    proc = bench("run", "--retry", "failed", "--out", str(run), env={"BENCH_FAULT": FAULTS.replace(
        "hang@m_hang", "raise@m_hang")})
    assert proc.returncode == 0, proc.stderr
    assert (run / "logs" / f"{hang_id}.attempt1.log").read_text() == first_log  # the failed try's log
    assert (run / "logs" / f"{hang_id}.log").read_text() != first_log
    recs = records(run)
    rerun = [r["model"] for r in recs[8:]]
    assert sorted(rerun) == sorted(["m_raise", "m_abort", "m_sigkill", "m_memory", "m_nan", "m_hang"])
    assert {r["model"]: r["status"] for r in recs[8:]}["m_hang"] == "error"  # rerun with another fault


def test_a_second_runner_on_the_same_folder_is_refused(faults_run, tmp_path):
    import shutil

    import filelock

    run = tmp_path / "run"
    shutil.copytree(faults_run[0], run)
    # what a running runner holds (bench.results.store.RunLock)
    with filelock.FileLock(run / ".lock", timeout=0):
        proc = bench("run", "--resume", "--out", str(run))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "in use by another runner" in proc.stderr
    assert "Traceback" not in proc.stderr
