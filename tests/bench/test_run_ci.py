"""The ci preset end to end in subprocesses: a complete run folder, honest records, and resume after
the runner was SIGKILLed mid-matrix with no cell lost or run twice."""

from __future__ import annotations

import json
import os

from bench.cell.trackers import memory
from bench.config.matrix import load_matrix
from bench.config.record import FIELDS
from bench.results import loader
from tests.bench.conftest import bench, records

ACCURACY_FIELDS = ("test_accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix")


def test_resume_after_sigkill_loses_and_repeats_nothing(ci_run):
    assert ci_run["killed_rc"] == (-9 if os.name == "posix" else 1)  # Popen.kill: SIGKILL / TerminateProcess
    assert ci_run["orphans"] == []  # the cell running at the kill died with its runner
    assert 1 <= ci_run["records_before_resume"] < 4
    assert ci_run["resumed"].returncode == 0, ci_run["resumed"].stderr
    out = ci_run["out"]
    ids = [r["cell_id"] for r in records(out)]
    planned = [c.cell_id for c in load_matrix(str(out / "matrix.toml")).cells]
    assert sorted(ids) == sorted(planned) and len(ids) == len(set(ids)) == 4


def test_run_folder_layout(ci_run):
    out = ci_run["out"]
    assert {p.name for p in out.iterdir()} >= {"env.json", "matrix.toml", "results.jsonl", "logs",
                                                "report.html", "summary.md", "results.csv", "charts"}
    assert f"report: {out / 'report.html'}" in ci_run["resumed"].stdout
    for rec in records(out):
        assert (out / "logs" / f"{rec['cell_id']}.log").stat().st_size > 0


def test_all_ci_cells_ok_and_in_schema(ci_run):
    for rec in records(ci_run["out"]):
        assert rec["status"] == "ok", (rec["cell_id"], rec.get("reason"), rec.get("log_tail"))
        assert set(rec) <= set(FIELDS)
        assert loader.validate_record(rec) == rec  # a real cell's record passes the schema as written
        assert rec["threads"] == 1
        if memory.peak_rss_mb() is not None:  # BENCH_SIMULATE=windows: no kept peak, and the record says so
            assert rec["peak_rss_mb"] > 100
        else:
            assert rec["peak_rss_mb"] is None and rec["unavailable"]["peak_rss_mb"] == memory.NO_PEAK
        assert rec["tf_version"] and rec["device_name"] and rec["params"] > 0
        assert rec["unavailable"]["gpu_peak_mb"].startswith("cpu cell")


def test_throughput_records(ci_run):
    for rec in records(ci_run["out"]):
        if rec["mode"] != "throughput":
            continue
        for key in ("train_img_s", "infer_img_s"):
            runs = rec[f"{key}_runs"]
            assert len(runs) == rec["repeats"] == 3 and all(r > 0 for r in runs)
            assert rec[f"{key}_min"] <= rec[key] <= rec[f"{key}_max"]
        assert 0 < rec["step_ms_p50"] <= rec["step_ms_p90"] <= rec["step_ms_p99"]
        assert rec["compile_s"] > 0 and rec["pipeline_img_s"] > 0 and rec["cached_train_img_s"] > 0
        assert rec["input_efficiency"] == rec["train_img_s"] / rec["cached_train_img_s"]
        assert rec["input_bound"] == (rec["input_efficiency"] < 0.95)
        for key in ("train_cpu_cores", "infer_cpu_cores", "cached_train_cpu_cores"):  # CPU time / wall time
            assert 0 < rec[key] <= (os.cpu_count() or 1) + 0.5, (key, rec[key])
        assert rec["unstable"] in (True, False) and "throttled" in rec
        assert rec["train_gflop_s"] == rec["train_flops_per_image"] * rec["train_img_s"] / 1e9
        assert 0 < rec["peak_fraction"] == rec["train_gflop_s"] / rec["peak_gflop_s"]


def test_synthetic_cell_is_labelled_and_has_no_accuracy(ci_run):
    (rec,) = [r for r in records(ci_run["out"]) if r["synthetic"]]
    assert rec["dataset"].startswith("synthetic:8x8x1:10:") and rec["stands_for"] == "digits"
    assert rec["full_epoch_examples"] > 0
    assert not any(k in rec for k in ACCURACY_FIELDS)
    assert "synthetic" in rec["unavailable"]["test_accuracy"]


def test_train_and_budget_records_have_test_metrics(ci_run):
    by_mode = {r["mode"]: r for r in records(ci_run["out"]) if not r["synthetic"]}
    for mode in ("train", "budget"):
        rec = by_mode[mode]
        assert rec["epochs_run"] == len(rec["epoch_s"]) == len(rec["history"]) >= 1
        assert 0 <= rec["test_accuracy"] <= 1 and rec["class_names"] and len(rec["per_class"]) == 10
        matrix = rec["confusion_matrix"]
        assert sum(map(sum, matrix)) == sum(c["support"] for c in rec["per_class"])
        assert abs(sum(matrix[i][i] for i in range(10)) / sum(map(sum, matrix)) - rec["test_accuracy"]) < 1e-9
    assert by_mode["train"]["epochs_run"] <= 2
    assert by_mode["budget"]["train_s"] >= by_mode["budget"]["budget_s"]


def test_plan_estimates_from_earlier_results(ci_run):
    proc = bench("plan", "--matrix", "ci", env=ci_run["env"])
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(proc.stdout.split())
    assert "can run now: 4 cells, about" in flat
    env = json.loads((ci_run["out"] / "env.json").read_text())
    assert f"earlier runs of these 4 cells on {env['hostname']}" in flat  # every ci cell ran there before
