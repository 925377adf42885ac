"""Predict a cell's wall time before it runs: from what this run already measured when it can (the same
pair at another batch/thread count, a precision's slowdown measured on another pair, a FLOPs ratio to
another model), else from priors (each model's fraction of the GEMM peak, its FLOPs, setup and compile
times, read from the committed example runs' records) scaled by this machine's measured GEMM peak.

The runner refines every prediction with the ratio actual/predicted of the cells already finished.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config.cell import TIME_BOX_DEFAULTS, Cell
from bench.errors import UserError
from bench.results import loader
from bench.results.paths import RESULTS

EXAMPLES = Path(__file__).resolve().parents[2] / "results" / "example"
INFER_STEP_SHARE = 1 / 3  # forward only: models/flops.py's TRAIN_FACTOR is 3x the forward FLOPs


def data_of(cell_or_record: Any) -> str:
    """The data set a cell stands for (synthetic data copies a real set's shape)."""
    get = cell_or_record.get if isinstance(cell_or_record, dict) else lambda k: getattr(cell_or_record, k)
    return get("stands_for") or get("dataset").split(":")[0]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class Priors:
    """What the committed example runs measured, per model: fraction of the GEMM peak reached in
    training, FLOPs per training image per data set, setup and compile seconds; and each precision's
    speed relative to float32 at the same settings."""

    peak_fraction: dict[str, float] = field(default_factory=dict)
    train_flops: dict[tuple[str, str], float] = field(default_factory=dict)
    setup_s: dict[str, float] = field(default_factory=dict)
    compile_s: dict[str, float] = field(default_factory=dict)
    precision_speed: dict[str, float] = field(default_factory=dict)
    default_setup_s: float = 5.0
    peak_gflop_s: float | None = None  # the CPU GEMM peak of the machine the examples ran on

    def fixed_scale(self, peak_here: float | None) -> float:
        """How much slower than the example machine this one runs what the GEMM peak does not time
        (interpreter start, imports, graph tracing): the ratio of the two measured peaks."""
        return self.peak_gflop_s / peak_here if self.peak_gflop_s and peak_here else 1.0

    def flops(self, model: str, data: str) -> float | None:
        """Training FLOPs per image of model on data (on another data set when only that is known)."""
        if (model, data) in self.train_flops:
            return self.train_flops[(model, data)]
        others = [f for (m, _), f in self.train_flops.items() if m == model]
        return others[0] if others else None


def load_priors(root: Path = EXAMPLES) -> Priors:
    """Priors from every ok TensorFlow float32 throughput record under root (results/example)."""
    runs = sorted(path.parent for path in root.glob(f"*/{RESULTS}"))
    records = [r for run in runs for r in loader.load_records(run).records
               if r["status"] == "ok" and r["backend"] == "tensorflow"]
    by_model: dict[str, dict[str, list[float]]] = {}
    priors = Priors()
    for r in records:
        m = by_model.setdefault(r["model"], {"pf": [], "setup": [], "compile": []})
        if r.get("setup_s"):
            m["setup"].append(r["setup_s"])
        if r["mode"] != "throughput" or r["strategy"] != "none":
            continue
        if r.get("train_flops_per_image"):
            priors.train_flops[(r["model"], data_of(r))] = float(r["train_flops_per_image"])
        if r["precision"] == "float32" and r.get("peak_fraction"):
            m["pf"].append(r["peak_fraction"])
        if r.get("compile_s"):
            m["compile"].append(r["compile_s"])
    for model, m in by_model.items():
        targets = (("pf", priors.peak_fraction), ("setup", priors.setup_s), ("compile", priors.compile_s))
        for key, target in targets:
            value = _median(m[key])
            if value is not None:
                target[model] = value
    priors.precision_speed = precision_speeds(records)
    envs = [_env(run) for run in runs]
    peaks = [(env.get("peak_gflop_s") or {}).get("cpu") for env in envs]
    priors.peak_gflop_s = _median([p for p in peaks if p])
    setups = list(priors.setup_s.values())
    if setups:
        priors.default_setup_s = statistics.median(setups)
    return priors


def _env(run_dir: Path) -> dict[str, Any]:
    """An example run's env.json through the loader ({} when absent or damaged: its peak is then unknown)."""
    try:
        return loader.load_env(run_dir, need_cores=False) or {}
    except UserError:
        return {}


def _settings(r: dict[str, Any]) -> tuple:
    return (r["model"], data_of(r), r["device"], r["batch_size"], str(r["threads"]), r.get("backend"))


def precision_speeds(records: list[dict[str, Any]]) -> dict[str, float]:
    """Median train img/s of each precision over float32's at otherwise identical settings."""
    base = {_settings(r): r["train_img_s"] for r in records
            if r["mode"] == "throughput" and r["precision"] == "float32" and r.get("train_img_s")}
    ratios: dict[str, list[float]] = {}
    for r in records:
        if r["mode"] == "throughput" and r["precision"] != "float32" and r.get("train_img_s"):
            b = base.get(_settings(r))
            if b:
                ratios.setdefault(r["precision"], []).append(r["train_img_s"] / b)
    return {p: statistics.median(v) for p, v in ratios.items()}


@dataclass(frozen=True)
class Prediction:
    """A cell's predicted training img/s and wall seconds, and what they rest on."""

    seconds: float | None
    img_s: float | None
    basis: str
    raw_seconds: float | None = None  # before the run's actual/predicted correction


def phase_s(step_s: float, steps: int, min_s: float, max_s: float) -> float:
    """Seconds of one time-boxed repeat (bench.cell.trackers.timing.RepeatCutter's rule)."""
    return max(step_s, min(max(min_s, steps * step_s), max_s))


def throughput_scenario_s(cell: Cell, step_s: float) -> float:
    """Warm-up, repeats of training and of inference, and the cached-batch repeat, in seconds."""
    min_s = cell.min_time_s or TIME_BOX_DEFAULTS["min_time_s"]
    max_s = cell.max_time_s or TIME_BOX_DEFAULTS["max_time_s"]
    steps, repeats, warm = cell.steps or 1, cell.repeats or 3, cell.warmup_steps or 0
    total = 0.0
    for share in (1.0, INFER_STEP_SHARE):
        s = step_s * share
        warmup = min(warm * s, max(min_s, s)) if warm else 0.0
        total += s + warmup + repeats * phase_s(s, steps, min_s, max_s)  # + the untimed first step
    return total + step_s + phase_s(step_s, steps, min_s, max_s)  # cached batch: 1 warm-up step + 1 repeat


def train_examples(cell: Cell, examples: dict[str, int]) -> int | None:
    """Training images one epoch of a train/budget cell reads (a synthetic set's from its name's count)."""
    n = synthetic_train_examples(cell.dataset) or examples.get(cell.dataset) or examples.get(data_of(cell))
    if n is None:
        return None
    return min(n, cell.max_train_examples) if cell.max_train_examples else n


def synthetic_train_examples(dataset: str) -> int | None:
    """The training split of a synthetic data set named synthetic:HxWxC:CLASSES:N (None for others)."""
    if not dataset.startswith("synthetic:"):
        return None
    from datasets import synthetic
    from datasets.specs import split_counts

    _, _, examples = synthetic.parse(dataset)
    return split_counts(examples, None)["train"]


def wall_s(cell: Cell, img_s: float, priors: Priors, examples: dict[str, int],
           fixed_scale: float = 1.0) -> float | None:
    """A cell's whole wall time at a training speed of img_s (setup, compile, the mode's own work);
    fixed_scale stretches the setup and compile priors (Priors.fixed_scale)."""
    setup = priors.setup_s.get(cell.model, priors.default_setup_s) * fixed_scale
    step_s = cell.batch_size * max(cell.replicas, 1) / img_s
    compile_s = priors.compile_s[cell.model] * fixed_scale if cell.model in priors.compile_s else 2 * step_s
    if cell.mode == "throughput":
        return setup + compile_s + throughput_scenario_s(cell, step_s)
    n = train_examples(cell, examples)
    if n is None:
        return None
    if cell.mode == "budget":
        return setup + compile_s + (cell.budget_s or 0) + n / (img_s / INFER_STEP_SHARE)
    epoch_s = n / img_s * (1 + 0.5 * INFER_STEP_SHARE)  # + validation and test images at inference speed
    return setup + compile_s + (cell.epochs or 1) * epoch_s


def thread_share(cell: Cell, cores: int) -> float:
    """The share of the machine's GEMM peak a cell's thread setting can use."""
    if not isinstance(cell.threads, int):
        return 1.0
    return min(cell.threads, cores) / cores


def prior_img_s(cell: Cell, priors: Priors, peak_gflop_s: float | None,
                cores: int) -> tuple[float | None, str]:
    """Training img/s from the model's FLOPs, its prior fraction of the GEMM peak and this machine's peak."""
    flops = priors.flops(cell.model, data_of(cell))
    fraction = priors.peak_fraction.get(cell.model)
    if flops is None or fraction is None or not peak_gflop_s:
        return None, f"no prior for {cell.model} (no FLOPs or peak fraction in results/example)"
    speed = priors.precision_speed.get(cell.precision, 1.0) if cell.precision != "float32" else 1.0
    img_s = fraction * peak_gflop_s * 1e9 * thread_share(cell, cores) * speed / flops
    basis = (f"prior: {flops / 1e9:.2f} GFLOP/img at {fraction:.0%} of the {peak_gflop_s:,.0f} GFLOP/s peak"
             + (f", {cell.precision} at {speed:.2g}x float32" if speed != 1.0 else ""))
    return img_s, basis


def dataset_examples(datasets: set[str], root: Path) -> dict[str, int]:
    """Training images per epoch of each named data set here (MNIST's shipped test set when that is all
    there is), for the train/budget cells' time."""
    from datasets import sources
    from datasets.specs import SPECS, split_counts

    out = {}
    for name in datasets:
        spec = SPECS.get(name)
        if spec is None:
            continue
        if sources.only_bundled(root, name):
            out[name] = split_counts(spec.official_test_examples or spec.num_examples, None)["train"]
        else:
            out[name] = spec.full_epoch_examples
    return out
