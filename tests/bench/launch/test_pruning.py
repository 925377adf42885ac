"""Predictions and pruning decisions from made-up records: which evidence a prediction rests on, when a
cell is pruned and what its reason says, and the cheapest-first order."""

from __future__ import annotations

import dataclasses

import pytest
from rich.console import Console

from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.launch.predict import Priors, phase_s, throughput_scenario_s, train_examples
from bench.launch.pruning import PRUNE_FACTOR, Planner, cheapest_first

PRIORS = Priors(
    peak_fraction={"small": 0.2, "big": 0.4},
    train_flops={("small", "mnist"): 1e7, ("big", "galaxy10"): 2e10},
    setup_s={"small": 4.0, "big": 5.0}, compile_s={"small": 1.0, "big": 10.0},
    precision_speed={"mixed_float16": 0.01, "mixed_bfloat16": 1.5},
)


def cell(model: str = "small", data: str = "mnist", **kw) -> Cell:
    base = {"warmup_steps": 3, "steps": 10, "repeats": 3, "min_time_s": 2.0, "max_time_s": 20.0,
            "timeout_s": 600.0}
    return Cell(f"synthetic:{data}", model, stands_for=data, **(base | kw))


def record(c: Cell, img_s: float, **kw) -> dict:
    return {"cell_id": c.cell_id, **c.config(), "status": "ok", "train_img_s": img_s,
            "train_flops_per_image": PRIORS.train_flops[(c.model, c.stands_for)], "wall_s": 30.0} | kw


def planner(*records: dict) -> Planner:
    p = Planner(PRIORS, {"cpu": 100.0}, cores=2)
    for r in records:
        p.observe(r)
    return p


def test_prior_uses_flops_peak_fraction_and_the_machine_peak():
    img_s, basis = planner().img_s(cell("big", "galaxy10"))
    assert img_s == pytest.approx(0.4 * 100e9 / 2e10)
    assert "prior" in basis and "40%" in basis


def test_same_pair_measured_at_another_batch_is_the_first_evidence():
    measured = cell(batch_size=128)
    img_s, basis = planner(record(measured, 5000.0)).img_s(cell(batch_size=32))
    assert img_s == 5000.0 and measured.cell_id in basis


def test_precision_slowdown_measured_on_the_cheap_pair_carries_to_the_big_one():
    f32, f16 = cell(), cell(precision="mixed_float16")
    big32 = cell("big", "galaxy10")
    p = planner(record(f32, 4000.0), record(f16, 40.0), record(big32, 2.0))
    img_s, basis = p.img_s(cell("big", "galaxy10", precision="mixed_float16"))
    assert img_s == pytest.approx(2.0 * 0.01)
    assert f16.cell_id in basis and big32.cell_id in basis


def test_flops_ratio_to_another_model_measured_at_the_same_settings():
    small = cell()
    img_s, basis = planner(record(small, 4000.0)).img_s(cell("big", "galaxy10"))
    assert img_s == pytest.approx(4000.0 * 1e7 / 2e10) and "FLOPs ratio" in basis and small.cell_id in basis


def test_a_cell_far_over_budget_is_pruned_with_its_prediction_and_evidence():
    f32, f16 = cell(), cell(precision="mixed_float16")
    p = planner(record(f32, 4000.0), record(f16, 40.0), record(cell("big", "galaxy10"), 2.0))
    slow = cell("big", "galaxy10", precision="mixed_float16")  # 0.02 img/s: a 32-image step takes 1,600 s
    prediction, reason = p.prune_reason(slow)
    assert prediction.seconds > PRUNE_FACTOR * slow.timeout_s
    assert reason.startswith("predicted ") and "evidence:" in reason and f16.cell_id in reason
    assert p.prune_reason(cell("big", "galaxy10"))[1] is None  # float32 runs
    assert p.prune_reason(slow, budget_s=10 * prediction.seconds)[1] is None  # a larger budget keeps it


def test_time_boxed_cell_time_is_bounded_by_the_caps():
    c = cell(max_time_s=20.0, steps=30)
    fast, slow = throughput_scenario_s(c, 0.001), throughput_scenario_s(c, 5.0)
    assert fast < 20  # min_time_s-bound: ~2 s per repeat
    assert slow < 2 * 3 * 20 + 20 + 6 * 5  # capped repeats, not 30 steps of 5 s
    assert phase_s(100.0, 3, 2.0, 20.0) == 100.0  # a repeat is at least one step


def test_finished_cells_correct_later_predictions():
    p = planner()
    c = cell()
    first = p.predict(c)
    p.observe(record(c, first.img_s, wall_s=first.raw_seconds * 2), first.raw_seconds)  # took twice as long
    again = p.predict(c)
    assert again.seconds == pytest.approx(2 * first.seconds) and "x2.00" in again.basis


def test_cheapest_first_orders_by_prediction_and_puts_unknowns_last():
    cells = [cell("big", "galaxy10"), cell("unknown_model"), cell(), cell(batch_size=128)]
    ordered = cheapest_first([Planned(c) for c in cells], planner())
    models = [p.cell.model for p in ordered]
    assert models[:2] == ["small", "small"] and models[-1] == "unknown_model"


def test_pruned_cells_never_rank_in_recommendations():
    import pandas as pd

    from bench.report.recommend import recommendations

    rows = [{"pair": "mnist/small", "status": s, "mode": "throughput", "synthetic": True,
             "train_img_s": v, "infer_img_s": v, "peak_rss_mb": 100.0, "batch_size": b,
             "precision": "float32", "threads": "auto", "jit_compile": False, "device": "cpu",
             "pipeline": "memory", "backend": "tensorflow", "test_accuracy": None, "strategy": "none",
             "replicas": 1}
            for s, v, b in (("ok", 10.0, 32), ("ok", 20.0, 64), ("pruned", 99.0, 128))]  # 99: never seen
    recs = recommendations(pd.DataFrame(rows))
    assert "batch 128" not in " ".join(recs["best_setting"])


def test_ids_stay_put_with_time_box_defaults():
    c = cell()
    assert dataclasses.replace(c, min_time_s=None, max_time_s=None).cell_id == c.cell_id
    assert dataclasses.replace(c, max_time_s=60.0).cell_id != c.cell_id


def test_prior_precision_slowdown_applies_once():
    f32 = planner().img_s(cell("big", "galaxy10"))[0]
    f16 = planner().img_s(cell("big", "galaxy10", precision="mixed_float16"))[0]
    assert f16 == pytest.approx(f32 * PRIORS.precision_speed["mixed_float16"])


def test_runner_records_a_pruned_cell_without_a_process_and_predictions_on_the_rest(tmp_path, monkeypatch):
    from bench.launch import runner
    from bench.results import store

    monkeypatch.setenv("BENCH_FAULT", "raise")
    slow = Cell("digits", "big", stands_for=None, precision="mixed_float16", timeout_s=60.0,
                warmup_steps=1, steps=1, repeats=3)
    quick = Cell("digits", "small", timeout_s=60.0, warmup_steps=1, steps=1, repeats=3)
    p = Planner(dataclasses.replace(PRIORS, train_flops={("small", "digits"): 1e7, ("big", "digits"): 2e10}),
                {"cpu": 100.0}, cores=2)
    console = Console(record=True, width=200, force_terminal=False)
    counts = runner.run_cells(tmp_path, [Planned(slow), Planned(quick)], {}, total=2, planner=p, prune=True,
                              console=console)
    assert counts == {"pruned": 1, "error": 1}
    assert console.export_text().rstrip().endswith("left ~0 min")  # the last line: nothing left to run
    by_model = {r["model"]: r for r in store.read_records(tmp_path)}
    assert by_model["big"]["status"] == "pruned" and "evidence: prior" in by_model["big"]["reason"]
    assert not (tmp_path / "logs" / f"{slow.cell_id}.log").exists()
    assert by_model["small"]["predicted_s"] > 0 and by_model["small"]["prediction_basis"].startswith("prior")
    not_pruning = runner.run_cells(tmp_path, [Planned(slow)], {}, total=1, planner=p, prune=False)
    assert not_pruning == {"error": 1}  # --no-prune: the same cell runs (and fails on purpose here)


def test_a_precisions_first_cell_is_evidence_and_only_its_timeout_prunes_it():
    p = planner(record(cell(), 4000.0))  # float32 measured; no mixed_float16 cell has run yet
    first = cell(precision="mixed_float16", timeout_s=600.0)  # prior: ~40 img/s, about a minute
    prediction, reason = p.prune_reason(first, budget_s=10.0)
    assert reason is None and prediction.seconds > PRUNE_FACTOR * 10.0
    p.observe(record(first, 40.0))  # it ran: from now on the budget rules that precision
    assert p.prune_reason(cell(precision="mixed_float16", batch_size=64), budget_s=10.0)[1] is not None


def test_a_synthetic_train_cell_is_estimated_from_its_own_size():
    """A train cell on synthetic data reads its own N images, not the real set's (none here): without
    this, `plan` of a synthetic full matrix had no estimate for its five training cells."""
    cell = Cell("synthetic:256x256x3:10:512", "densenet121", mode="train", epochs=38, stands_for="galaxy10")
    capped = dataclasses.replace(cell, max_train_examples=100)
    assert train_examples(cell, {}) == 327  # 512 - 103 test (20%) - 82 validation (20% of the rest)
    assert train_examples(capped, {}) == 100
    assert train_examples(Cell("mnist", "mnist_cnn", mode="train"), {"mnist": 54_000}) == 54_000
