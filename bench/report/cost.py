"""Energy per cell and the electricity cost of one full training per pair (--price-per-kwh).

cost = train_j_per_img x images of one full training / 3.6e6 x price per kWh, where one full training
is full_epoch_examples x the epochs of bench/report/estimate.py's one estimate. The price given to
`bench run` or `bench report` is kept in RUN_DIR/pricing.json so later reports use it too.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bench import atomic
from bench.errors import UserError
from bench.report.estimate import full_epoch_examples, setting_text, training_of
from bench.report.numbers import number

PRICING = "pricing.json"
J_PER_KWH = 3.6e6
WINDOW = {"throughput": "timed steps", "train": "whole fit", "budget": "whole fit"}
ABOUT = (
    "Sources: RAPL counts the whole CPU package (every process on it, not only the cell), NVML the whole "
    "GPU. Throughput cells are metered over their timed training steps, train and budget cells over the "
    "whole fit (validation included). Images/kWh = 3.6e6 / (J per image)."
)
NO_PRICE = "No price set: give --price-per-kwh PRICE to `bench report` (or `bench run`) for the cost."


@dataclass(frozen=True)
class EnergySection:
    """The report's energy and cost section: per-cell table or why none, and the cost table with a price."""

    cells: pd.DataFrame
    reasons: list[str]
    price: float | None = None
    cost: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    @property
    def cost_title(self) -> str:
        """The heading of the cost table."""
        return f"Cost of one full training at {number(self.price)} per kWh"


def energy_section(df: pd.DataFrame, price: float | None) -> EnergySection:
    """Everything the report shows about energy for one run, at `price` per kWh (None: no cost)."""
    cost, notes = cost_table(df, price) if price is not None else (pd.DataFrame(), [])
    return EnergySection(energy_table(df), unavailable_reasons(df), price, cost, notes)


def parse_price(text: str) -> float:
    """--price-per-kwh as a positive finite number, else a UserError naming the fix."""
    try:
        price = float(text)
    except (TypeError, ValueError):
        price = math.nan
    if not (math.isfinite(price) and price > 0):
        raise UserError(f"--price-per-kwh must be a positive number (the price of one kWh), got {text!r}")
    return price


def save_price(run_dir: Path, price: float) -> Path:
    """Write RUN_DIR/pricing.json so later reports of the run keep the price."""
    path = Path(run_dir) / PRICING
    atomic.write_text(path, json.dumps({"price_per_kwh": price}) + "\n")
    return path


def load_price(run_dir: Path) -> float | None:
    """The price kept in RUN_DIR/pricing.json, None without one; a damaged file is a UserError."""
    path = Path(run_dir) / PRICING
    if not path.is_file():
        return None
    try:
        return parse_price(json.loads(path.read_text(encoding="utf-8"))["price_per_kwh"])
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, UserError) as exc:
        raise UserError(f"{path} is damaged ({exc}); delete it or pass --price-per-kwh PRICE again") from None


def _metered(df: pd.DataFrame) -> pd.DataFrame:
    """The ok cells with a training energy per image."""
    return df[(df["status"] == "ok") & df["train_j_per_img"].notna()]


def energy_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per metered cell: its settings, sources, window, joules, J/img and images/kWh (best first per pair)."""
    rows = _metered(df).sort_values(["pair", "train_j_per_img"])
    return pd.DataFrame({
        "pair": rows["pair"] + rows["synthetic"].map({True: " (synthetic)", False: ""}),
        "mode": rows["mode"],
        "setting": [setting_text(r) for _, r in rows.iterrows()],
        "sources": rows["energy_sources"].map(lambda s: ", ".join(s) if isinstance(s, list) else ""),
        "measured over": rows["mode"].map(WINDOW),
        "window s": rows["energy_window_s"],
        "energy J": rows["energy_j"],
        "J/img": rows["train_j_per_img"],
        "images/kWh": rows["train_img_per_kwh"],
        "cell": rows["cell_id"],
    })


def unavailable_reasons(df: pd.DataFrame) -> list[str]:
    """Why the cells have no energy: their records' unavailable reasons, each once, with a count."""
    reasons: Counter[str] = Counter()
    for _, row in df[(df["status"] == "ok") & df["train_j_per_img"].isna()].iterrows():
        why = row.get("unavailable")
        why = why if isinstance(why, dict) else {}
        reasons[str(why.get("train_j_per_img") or why.get("energy_j") or "no energy fields nor a reason in "
                    "the record (recorded before energy metering?)")] += 1
    return [f"{text} ({n} cell{'s' * (n != 1)})" for text, n in reasons.most_common()]


def cost_table(df: pd.DataFrame, price: float) -> tuple[pd.DataFrame, list[str]]:
    """Per pair and device: the lowest measured J/img and the cost of one full training at `price`."""
    rows, notes = [], []
    metered = _metered(df)
    for (pair, device), group in metered.groupby(["pair", "device"], sort=True):
        best = group.loc[group["train_j_per_img"].idxmin()]
        training, examples = training_of(str(best["data"]), str(best["model"])), full_epoch_examples(best)
        if isinstance(training, str) or examples is None:
            why = training if isinstance(training, str) else "full_epoch_examples unknown"
            notes.append(f"{pair} on {device}: no full-training cost ({why})")
            continue
        images = training.epochs * examples
        kwh = best["train_j_per_img"] * images / J_PER_KWH
        rows.append({
            "pair": pair + (" (synthetic data)" if best["synthetic"] else ""), "device": device,
            "J/img": best["train_j_per_img"], "measured over": WINDOW.get(best["mode"], best["mode"]),
            "epochs": training.epochs, "full training images": images, "kWh": kwh, "cost": kwh * price,
            "setting": setting_text(best), "cell": best["cell_id"],
        })
    return pd.DataFrame(rows), notes
