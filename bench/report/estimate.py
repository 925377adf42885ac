"""The one full-training estimate of a pair on a device, used by every table, chart and summary.

epochs = the epochs the student trained the pair where she trained it (SEED_EPOCHS: DenseNet121 stopped
early at 38 of its recipe's 50), else the model's recipe (models.registry); time = epochs x
(full_epoch_examples / train_img_s + validation examples / infer_img_s), from the pair's fastest measured
training setting on that device, the validation split from the recipe. It leaves out compile time and
data loading, and a training that early stopping ends sooner takes less.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bench.errors import UserError
from bench.report.seed_reference import EPOCHS, TRAIN_TIME_S

# The student's own full trainings (the report this project grew from), seconds.
SEED_FIGURES_S: dict[tuple[str, str], float] = TRAIN_TIME_S
STUDENT_DESKTOP = "the student's desktop (Ryzen 7 7800X3D, 8 cores, CPU only)"
SEED_MACHINE = "student's desktop (Ryzen 7 7800X3D CPU)"  # the chart's bar label
# Epochs those trainings ran: the recipe's maximum except DenseNet121, which early stopping ended at
# epoch 38 (of 50).
SEED_EPOCHS: dict[tuple[str, str], int] = EPOCHS
STUDENT, RECIPE = "the student's", "the recipe's"  # where a full training's epochs come from


@dataclass(frozen=True)
class Training:
    """What one full training of a pair is: its epochs (and where they come from) and validation split."""

    epochs: int
    epochs_from: str
    validation_split: float


def training_of(data: str, model: str) -> Training | str:
    """The pair's full training, or why it is not known (the model's recipe is unknown)."""
    recipe = recipe_of(model)
    if isinstance(recipe, str):
        return recipe
    epochs, split = recipe
    seed = SEED_EPOCHS.get((data, model))
    return Training(seed, STUDENT, split) if seed is not None else Training(epochs, RECIPE, split)


def recipe_of(model: str) -> tuple[int, float] | str:
    """(epochs, validation_split) of the model's recipe, or why it is not known."""
    try:
        from models.registry import get_model
    except ImportError as exc:
        return f"models.registry is not available ({exc})"
    try:
        recipe = get_model(model).recipe
    except UserError as exc:
        return str(exc)
    return int(recipe.epochs), float(recipe.validation_split)


def full_epoch_examples(row: pd.Series) -> int | None:
    """Training images per full epoch: the record's field, else datasets.specs for the real dataset."""
    value = row.get("full_epoch_examples")
    if value is not None and value == value:
        return int(value)
    try:
        from datasets.specs import SPECS
    except ImportError:
        return None
    spec = SPECS.get(str(row.get("data")))
    return int(spec.full_epoch_examples) if spec is not None else None


COLUMNS = ("pair", "data", "model", "device", "synthetic", "train_img_s", "infer_img_s", "epochs",
           "epochs_from", "examples", "validation_examples", "estimate_s", "seed_s", "contended", "setting")


def estimates(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per (pair, device): the fastest measured training setting and the full-training estimate
    (estimate_s, at `epochs`), with the student's own time where she trained the pair (seed_s)."""
    ok = df[(df["status"] == "ok") & (df["mode"] == "throughput") & df["train_img_s"].notna()]
    rows, notes = [], []
    for (pair, device), group in ok.groupby(["pair", "device"], sort=True):
        best = group.loc[group["train_img_s"].idxmax()]
        data, model = str(best["data"]), str(best["model"])
        training, examples = training_of(data, model), full_epoch_examples(best)
        if isinstance(training, str) or examples is None:
            why = training if isinstance(training, str) else "full_epoch_examples unknown"
            notes.append(f"{pair} on {device}: no full-training estimate ({why})")
            continue
        val_examples = examples * training.validation_split / (1 - training.validation_split)
        per_epoch = examples / best["train_img_s"]
        if best["infer_img_s"] == best["infer_img_s"] and best["infer_img_s"]:
            per_epoch += val_examples / best["infer_img_s"]
        elif val_examples:
            notes.append(f"{pair} on {device}: the estimate leaves out validation (its fastest training "
                         "setting measured no inference)")
        rows.append({
            "pair": pair, "data": data, "model": model, "device": device,
            "synthetic": bool(best["synthetic"]), "train_img_s": best["train_img_s"],
            "infer_img_s": best["infer_img_s"], "epochs": training.epochs,
            "epochs_from": training.epochs_from, "examples": examples,
            "validation_examples": round(val_examples), "estimate_s": training.epochs * per_epoch,
            "seed_s": SEED_FIGURES_S.get((data, model)), "contended": best.get("contended") == True,  # noqa: E712
            "setting": setting_text(best),
        })
    return pd.DataFrame(rows, columns=list(COLUMNS)), notes


def estimate_text(seconds: float, epochs: int) -> str:
    """'29.7 h at 38 epochs': the estimate always with its epochs."""
    return f"{human_seconds(seconds)} at {epochs:,} epochs"


def setting_text(row: pd.Series) -> str:
    """The cell's settings in one short line, e.g. 'cpu, batch 64, float32, threads auto, memory'."""
    jit = ", jit" if row.get("jit_compile") is True else ""
    batch = int(row["batch_size"]) if row["batch_size"] == row["batch_size"] else "?"
    strategy = row.get("strategy")
    if isinstance(strategy, str) and strategy != "none":  # batch_size is per replica
        batch = f"{batch} x {int(row['replicas'])} replicas ({strategy})"
    return (
        f"{row['device']}, batch {batch}, {row['precision']}, threads {row['threads']}, "
        f"{row['pipeline']}{jit}"
    )


def human_seconds(seconds: float | None) -> str:
    """'42 s', '12.5 min', '9.5 h', '3.2 d'."""
    if seconds is None or seconds != seconds:
        return "n/a"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 1.5 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.2g} s"
