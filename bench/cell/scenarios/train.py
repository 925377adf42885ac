"""Train: the model's recipe (early stopping, restore best) on the real splits, then the test metrics."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from bench.cell.scenarios import feed
from bench.cell.scenarios.workload import Workload
from bench.cell.strategy import global_batch
from bench.cell.trackers.accuracy import evaluate
from bench.cell.trackers.energy import energy_callback, energy_fields
from bench.cell.trackers.timing import StepTimer
from bench.config.cell import Cell
from bench.config.devices import cell_gpus
from bench.outcome import check_finite

SYNTHETIC_NO_ACCURACY = "synthetic data: no accuracy is reported"


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Fit with the recipe's early stopping for up to cell.epochs; returns the train record fields."""
    r = work.recipe
    stop = keras.callbacks.EarlyStopping(monitor=r.monitor, patience=r.early_stopping_patience,
                                         restore_best_weights=r.restore_best_weights)
    return fit_and_evaluate(cell, work, [stop], cell.epochs or r.epochs, restores_best=r.restore_best_weights)


def fit_and_evaluate(cell: Cell, work: Workload, callbacks: list[Any], epochs: int,
                     restores_best: bool = False) -> dict[str, Any]:
    """Fit on train (validating on val), time it, check the loss, then evaluate on test."""
    ds, b = work.dataset, global_batch(cell)  # model.fit splits each global batch over the replicas
    train = feed.batches(ds, cell, "train", b, shuffle=True, seed=cell.seed,
                         max_examples=cell.max_train_examples)
    val = feed.batches(ds, cell, "val", b)
    timer = StepTimer(None if ds.synthetic else cell.target_accuracy)
    energy = energy_callback(cell_gpus(cell))  # the whole fit, validation included
    t = time.perf_counter()
    history = work.model.fit(train, validation_data=val, epochs=epochs, verbose=0, shuffle=False,  # ours
                             callbacks=[keras.callbacks.TerminateOnNaN(), timer, energy, *callbacks])
    train_s = time.perf_counter() - t
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    check_finite(hist["loss"])
    fields: dict[str, Any] = {"train_s": train_s, "epochs_run": len(hist["loss"]), "epoch_s": timer.epoch_s}
    fields |= energy_fields(energy.reading, energy.images(b, work.fields["train_examples"])).as_fields()
    if ds.synthetic:
        fields["history"] = [{"loss": loss, "val_loss": vl} for loss, vl in
                             zip(hist["loss"], hist.get("val_loss", [None] * len(hist["loss"])), strict=True)]
        fields["unavailable"] |= {k: SYNTHETIC_NO_ACCURACY for k in ("test_accuracy", "time_to_target_s")}
        return fields
    keys = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in hist]
    fields["history"] = [{k: hist[k][i] for k in keys} for i in range(len(hist["loss"]))]
    monitor = work.recipe.monitor
    if monitor in hist and restores_best:
        pick = np.argmin if "loss" in monitor else np.argmax
        fields["best_epoch"] = int(pick(hist[monitor])) + 1
    fields["time_to_target_s"] = timer.time_to_target_s
    test = feed.batches(ds, cell, "test", b)
    fields |= evaluate(work.model, test, ds.labels("test"), list(ds.class_names))
    return fields
