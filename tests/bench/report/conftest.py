"""Hand-built run folders for the report tests.

EVERY NUMBER HERE IS MADE UP TEST INPUT (not a measurement): it only exercises the report code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.config.record import SCHEMA_VERSION

DIGITS = [str(i) for i in range(10)]


def _cell(cell_id: str, **fields: object) -> dict:
    """A made-up ok throughput record on real MNIST at the seed's default setting, overridden by fields."""
    record: dict = {
        "schema_version": SCHEMA_VERSION,
        "cell_id": cell_id,
        "status": "ok",
        "reason": None,
        "dataset": "mnist",
        "stands_for": None,
        "model": "mnist_cnn",
        "device": "cpu",
        "threads": "auto",
        "inter_threads": "auto",
        "batch_size": 32,
        "precision": "float32",
        "jit_compile": False,
        "pipeline": "memory",
        "mode": "throughput",
        "seed": 0,
        "repeats": 3,
        "synthetic": False,
        "full_epoch_examples": 48000,
        "wall_s": 20.0,
        "peak_rss_mb": 900.0,
        "gpu_peak_mb": None,
    }
    record.update(fields)
    return record


def _throughput(cell_id: str, img_s: float, spread: float = 0.02, **fields: object) -> dict:
    """A made-up throughput record whose three repeats lie within +-spread of img_s."""
    runs = [img_s * (1 - spread), img_s, img_s * (1 + spread)]
    infer = [3 * r for r in runs]
    return _cell(
        cell_id,
        train_img_s=img_s,
        train_img_s_min=runs[0],
        train_img_s_max=runs[2],
        train_img_s_runs=runs,
        infer_img_s=infer[1],
        infer_img_s_min=infer[0],
        infer_img_s_max=infer[2],
        infer_img_s_runs=infer,
        train_gflop_s=img_s * 0.002,
        peak_gflop_s=40.0,
        peak_fraction=img_s * 0.002 / 40.0,
        **fields,
    )


def _per_class(recalls: list[float]) -> list[dict]:
    """Made-up per-class metrics for the ten digits."""
    return [
        {"class": i, "name": DIGITS[i], "precision": r, "recall": r, "f1": r, "support": 100}
        for i, r in enumerate(recalls)
    ]


def _confusion(recalls: list[float]) -> list[list[int]]:
    """A made-up 10x10 confusion matrix with 100 test images per class."""
    rows = []
    for i, r in enumerate(recalls):
        row = [0] * 10
        row[i] = round(100 * r)
        row[(i + 1) % 10] = 100 - row[i]
        rows.append(row)
    return rows


def _train(cell_id: str, accuracy: float, train_s: float, **fields: object) -> dict:
    """A made-up train record on real MNIST with history, per-class metrics and a confusion matrix."""
    recalls = [accuracy] * 10
    history = [
        {
            "loss": 1.0 / e,
            "accuracy": accuracy - 0.1 / e,
            "val_loss": 1.1 / e,
            "val_accuracy": accuracy - 0.12 / e,
        }
        for e in range(1, 5)
    ]
    fields = {"mode": "train", **fields}
    return _cell(
        cell_id,
        epochs=4,
        epochs_run=4,
        best_epoch=4,
        history=history,
        train_s=train_s,
        test_accuracy=accuracy,
        test_loss=0.1,
        macro_precision=accuracy,
        macro_recall=accuracy,
        macro_f1=accuracy,
        weighted_precision=accuracy,
        weighted_recall=accuracy,
        weighted_f1=accuracy,
        per_class=_per_class(recalls),
        confusion_matrix=_confusion(recalls),
        class_names=DIGITS,
        train_img_s=400.0,
        **fields,
    )


def sample_records() -> list[dict]:
    """A made-up run: ok/skipped/failed cells, all modes, synthetic stand-ins and a record missing fields."""
    synthetic = {
        "dataset": "synthetic:256x256x3:10:512",
        "stands_for": "galaxy10",
        "model": "densenet121",
        "synthetic": True,
        "full_epoch_examples": 11350,
    }
    return [
        *[
            _throughput(f"tp-b{b}", 300.0 * b**0.5, batch_size=b, peak_rss_mb=800.0 + 4 * b)
            for b in (16, 32, 64, 128)
        ],
        *[
            _throughput(f"tp-bf16-b{b}", 60.0 * b**0.5, batch_size=b, precision="mixed_bfloat16")
            for b in (32, 64)
        ],
        *[_throughput(f"tp-t{t}", 1000.0 * t**0.8, threads=t) for t in (1, 2)],
        *[_throughput(f"syn-b{b}", 4.0 * b**0.3, batch_size=b, **synthetic) for b in (8, 16)],
        _train("train-a", 0.98, 120.0),
        _train("train-b", 0.95, 40.0, batch_size=128),
        _train("budget-a", 0.90, 30.0, mode="budget", budget_s=30),
        _train("syn-train", 0.5, 60.0, **synthetic),  # accuracy on synthetic data: must never be shown
        _cell(
            "skip-tfio",
            status="skipped",
            pipeline="tfio",
            reason="tfio: tensorflow-io does not load with TF 2.21 <script>alert(1)</script>",
        ),
        _cell("oom-b4096", status="oom", batch_size=4096, reason="ResourceExhaustedError at batch 4096"),
        _cell("timeout-1", status="timeout", reason="killed after timeout_s=600", log_tail="epoch 3/10 ..."),
        {"cell_id": "sparse", "status": "error", "reason": "record missing most fields"},
    ]


ENV = {
    "hostname": "testbox",
    "cpu_model": "Made-Up CPU 9000",
    "cpu_count": 2,
    "gpus": [],
    "tf_version": "2.21.0",
    "created_at": "2026-11-25T20:00:00Z",
}


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """Write a run folder from records; torn=True appends half a record as a live run would leave."""

    def make(
        records: list[dict] | None = None,
        *,
        name: str = "run",
        env: dict | None = None,
        torn: bool = False,
        matrix: bool = True,
    ) -> Path:
        run = tmp_path / name
        run.mkdir()
        lines = [json.dumps(r) for r in (sample_records() if records is None else records)]
        text = "\n".join(lines) + "\n"
        if torn:
            text += json.dumps(_throughput("torn", 1.0))[:57]
        (run / "results.jsonl").write_text(text)
        (run / "env.json").write_text(json.dumps(ENV if env is None else env))
        if matrix:
            (run / "matrix.toml").write_text('name = "made-up"\n')
        return run

    return make


@pytest.fixture
def throughput() -> Callable[..., dict]:
    """The made-up throughput record builder."""
    return _throughput


MADE_UP_RECIPE = (10, 0.2)  # made-up (epochs, validation_split) so estimates do not depend on models/


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory: pytest.TempPathFactory):
    """The report of the made-up sample run (with a torn last line), built once for the session."""
    from bench.report import estimate
    from bench.report.make import make_report

    run = tmp_path_factory.mktemp("sample") / "run"
    run.mkdir()
    text = "\n".join(json.dumps(r) for r in sample_records()) + "\n"
    (run / "results.jsonl").write_text(text + json.dumps(_throughput("torn", 1.0))[:57])
    (run / "env.json").write_text(json.dumps(ENV))
    (run / "matrix.toml").write_text('name = "made-up"\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(estimate, "recipe_of", lambda model: MADE_UP_RECIPE)
        return make_report(run)
