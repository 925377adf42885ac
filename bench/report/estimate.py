"""Estimated time of a full training per pair and device, from measured throughput and the recipe.

estimate = epochs x (full_epoch_examples / train_img_s + validation_examples / infer_img_s), with
epochs and the validation split from the model's recipe (models.registry); next to the seed's own
times, the same estimate at the epochs the seed actually trained (SEED_EPOCHS). It is an upper bound
when early stopping ends the training sooner, and it leaves out compile time and data loading.
"""

from __future__ import annotations

import pandas as pd

from bench.errors import UserError
from bench.report.seed_reference import EPOCHS, TRAIN_TIME_S

# The seed's own full trainings on an 8-core desktop CPU, seconds (bench/report/seed_reference.py).
SEED_FIGURES_S: dict[tuple[str, str], float] = TRAIN_TIME_S
SEED_MACHINE = "seed: 8-core desktop CPU"
# Epochs those trainings ran: the recipe's maximum except DenseNet121, which early stopping ended at
# epoch 38 (of 50). Estimates put next to the seed's times use these, like for like.
SEED_EPOCHS: dict[tuple[str, str], int] = EPOCHS


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


def estimates(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per (pair, device): fastest measured training setting and the full-training estimate."""
    columns = [
        "pair",
        "data",
        "model",
        "device",
        "synthetic",
        "train_img_s",
        "infer_img_s",
        "epochs",
        "examples",
        "estimate_s",
        "seed_s",
        "seed_epochs",
        "seed_epochs_estimate_s",
        "setting",
    ]
    ok = df[(df["status"] == "ok") & (df["mode"] == "throughput") & df["train_img_s"].notna()]
    rows, notes = [], []
    recipes: dict[str, tuple[int, float] | str] = {}
    for (pair, device), group in ok.groupby(["pair", "device"], sort=True):
        best = group.loc[group["train_img_s"].idxmax()]
        recipe = recipes.setdefault(str(best["model"]), recipe_of(str(best["model"])))
        examples = full_epoch_examples(best)
        if isinstance(recipe, str) or examples is None:
            why = recipe if isinstance(recipe, str) else "full_epoch_examples unknown"
            notes.append(f"{pair} on {device}: no full-training estimate ({why})")
            continue
        epochs, val_split = recipe
        val_examples = examples * val_split / (1 - val_split)
        per_epoch = examples / best["train_img_s"]
        if best["infer_img_s"] == best["infer_img_s"] and best["infer_img_s"]:
            per_epoch += val_examples / best["infer_img_s"]
        seed_epochs = SEED_EPOCHS.get((best["data"], best["model"]))
        rows.append(
            {
                "pair": pair,
                "data": best["data"],
                "model": best["model"],
                "device": device,
                "synthetic": bool(best["synthetic"]),
                "train_img_s": best["train_img_s"],
                "infer_img_s": best["infer_img_s"],
                "epochs": epochs,
                "examples": examples,
                "estimate_s": epochs * per_epoch,
                "seed_s": SEED_FIGURES_S.get((best["data"], best["model"])),
                "seed_epochs": seed_epochs,
                "seed_epochs_estimate_s": None if seed_epochs is None else seed_epochs * per_epoch,
                "setting": setting_text(best),
            }
        )
    return pd.DataFrame(rows, columns=columns), notes


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
