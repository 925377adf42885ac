"""Every axis of a cell, declared once: name, default, validator, meaning, and how it enters the cell id.

Cell's fields (bench.config.cell), the matrix file's [axes] keys, defaults and checks and its per-mode
settings (bench.config.matrix), the record's config fields (bench.config.record.CONFIG_FIELDS), the
docs' matrix keys page (docs/reference/matrix.md, written by `python -m docs.gen`), the record schema's
config types and the migration of records from before an axis existed (bench.results.schema,
bench.results.loader) all come from AXES. Adding an axis is one entry here plus its behaviour (what the
cell's process does with it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.config.devices import is_device

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
MODES = ("throughput", "train", "budget")
DATA_KINDS = ("real", "synthetic")
BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
STRATEGIES = ("none", "mirrored", "multiworker")
REQUIRED = object()  # a Cell field without a default (dataset, model)


WEEK_S = 7 * 24 * 3600  # 604,800: the longest a cell may be given (the OS's wait caps near 24 days)
HOUR_S = 3600
SYNTHETIC_MAX_BYTES = 32 << 30  # a synthetic data set's file: nine times Galaxy10 DECaLS's 3.5 GB of pixels


def positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _number_text(v: float) -> str:
    """A bound as people write it: 604,800, 0.5, 4,294,967,295."""
    return f"{v:,}" if float(v).is_integer() and abs(v) < 1e18 else f"{v:g}"


@dataclass(frozen=True)
class Bounds:
    """The numbers an axis takes, stated once: finite, at least ``ge`` (or above ``gt``) and at most
    ``le``; ``whole``: integers only. The matrix checks, their error messages and the record schema
    (pydantic Field(**bounds.field_kwargs()), int or float by ``whole``) all read it from here."""

    le: float
    ge: float | None = None
    gt: float | None = None
    whole: bool = True
    unit: str = ""  # "seconds": the error says "a number of seconds"
    cap: str = ""  # why the upper limit is where it is, said in the error

    def holds(self, v: Any) -> bool:
        """True when v is a number (not a bool) of the right kind inside the range."""
        if isinstance(v, bool) or not isinstance(v, int if self.whole else int | float):
            return False
        if isinstance(v, float) and not math.isfinite(v):
            return False
        low_ok = (self.ge is None or v >= self.ge) and (self.gt is None or v > self.gt)
        return low_ok and v <= self.le

    def text(self) -> str:
        """The range in words: 'a whole number from 1 to 65,536', 'a number of seconds above 0 and at
        most 604,800 (a week)'."""
        kind = ("a whole number" if self.whole else "a number") + (f" of {self.unit}" if self.unit else "")
        cap = f" ({self.cap})" if self.cap else ""
        if self.ge is not None:
            return f"{kind} from {_number_text(self.ge)} to {_number_text(self.le)}{cap}"
        return f"{kind} above {_number_text(self.gt or 0)} and at most {_number_text(self.le)}{cap}"

    def field_kwargs(self) -> dict[str, float]:
        """ge/gt/le for pydantic.Field (with allow_inf_nan=False for a float field)."""
        return {k: v for k, v in (("ge", self.ge), ("gt", self.gt), ("le", self.le)) if v is not None}


def _whole(ge: int, le: int, cap: str = "") -> Bounds:
    return Bounds(le=le, ge=ge, cap=cap)


def _seconds(le: float, cap: str) -> Bounds:
    return Bounds(le=le, gt=0, whole=False, unit="seconds", cap=cap)


CORES_CAP = "more than any one machine's logical cores"


def _one_of(*values: Any) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and v in values


def _pipeline_known(v: Any) -> bool:
    """True when v names a pipeline mode of datasets.api ("memory" is always one)."""
    if not isinstance(v, str):
        return False
    if v == "memory":
        return True
    from datasets.api import PIPELINE_MODES

    return v in PIPELINE_MODES


def _pair(v: Any) -> bool:
    return v == "seed" or (isinstance(v, str) and "/" in v and all(v.rsplit("/", 1)))


@dataclass(frozen=True)
class Axis:
    """One axis. kind: "axis" (a key of [axes] / [[include]]), "setting" (a per-mode setting of
    [throughput]/[train]/[budget], its default per mode in mode_defaults), or "derived" (a Cell field
    the matrix fills from other keys). cell: whether Cell and the record carry it (the matrix-only axes
    pairs, data and synthetic_examples do not). id_omits: values left out of the cell id (axes added
    after the first runs, so earlier cells keep their ids); in_id False: never in the id (how a cell is
    run, not what it measures). backfill: a record without the field ran at the default
    (bench.results.loader.migrate).
    A numeric axis gives ``bounds`` (its range) and ``words`` (the strings it takes besides numbers,
    "auto", "recipe"); its check and expected text are then made from those, so the range is stated
    once and the error message says it."""

    name: str
    description: str
    kind: str = "axis"
    default: Any = None
    type: str = "Any"
    check: Callable[[Any], bool] = lambda v: True
    expected: str = ""
    cell: bool = True
    single: bool = False  # one value per matrix, not a list
    in_id: bool = True
    id_omits: tuple[Any, ...] = ()
    backfill: bool = False
    mode_defaults: tuple[tuple[str, Any], ...] = ()
    toml: str = ""  # its line in the matrix keys page's [axes] block: NAME = values   # note
    bounds: Bounds | None = None
    words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.bounds is None:
            return
        bounds, words = self.bounds, self.words
        object.__setattr__(self, "check", lambda v: (isinstance(v, str) and v in words) or bounds.holds(v))
        alternatives = " or ".join(f'"{w}"' for w in words)
        note = f"; {self.expected}" if self.expected else ""
        object.__setattr__(self, "expected", bounds.text() + (f", or {alternatives}" if words else "") + note)


AXES: tuple[Axis, ...] = (
    Axis("pairs", "dataset/model pairs, or \"seed\": the seed's five", default=REQUIRED, check=_pair,
         expected='"seed" or "dataset/model" strings such as "galaxy10/densenet121"', cell=False,
         toml='pairs = "seed" | ["galaxy10/densenet121", "digits/mnist_cnn", ...]'),
    Axis("data", "real data, or synthetic data of the real shape", default="real", check=_one_of(*DATA_KINDS),
         expected=" or ".join(DATA_KINDS), cell=False,
         toml='data = "real" | "synthetic"             # synthetic: random data of the real shape '
              '(stands_for)'),
    Axis("dataset", "dataset name: mnist, cifar10, galaxy10, galaxy10_sdss, digits, h5:PATH, "
         "synthetic:HxWxC:K:N", kind="derived", default=REQUIRED, type="str"),
    Axis("stands_for", "for synthetic data: the real dataset whose shape it copies (null otherwise)",
         kind="derived", type="str | None"),
    Axis("model", "model name from the registry (python -m bench models)", kind="derived", default=REQUIRED,
         type="str"),
    Axis("device", "cpu or gpu:N", default="cpu", type="str",
         check=lambda v: v == "all" or is_device(v),
         expected='"cpu", "gpu:N" or "all"',
         toml='device = "cpu" | "gpu:N" | "all"        # all: cpu + every GPU TensorFlow sees'),
    Axis("threads", "intra-op threads (TensorFlow's pool; torch.set_num_threads; jax: the process pinned to "
         "this many cores, XLA having no thread setting), or 'auto' for the backend's default",
         default="auto", type="int | str", bounds=_whole(1, 4096, CORES_CAP), words=("auto", "all"),
         toml='threads = "auto" | "all" | N            # all: 1, 2, 4, ... up to the logical cores'),
    Axis("inter_threads", "inter-op threads (TensorFlow's pool; torch.set_num_interop_threads; jax: none), "
         "or 'auto'", default="auto", type="int | str", bounds=_whole(1, 4096, CORES_CAP), words=("auto",),
         toml='inter_threads = "auto" | N'),
    Axis("backend", "Keras backend the cell ran on: tensorflow, jax or torch", default="tensorflow",
         type="str",
         check=_one_of(*BACKENDS), expected=", ".join(BACKENDS), id_omits=("tensorflow",), backfill=True,
         toml='backend = "tensorflow" | "jax" | "torch"   # Keras backend (docs/guide/backends.md)'),
    Axis("strategy", "distribution: none, mirrored (tf.distribute.MirroredStrategy) or multiworker "
         "(tf.distribute.MultiWorkerMirroredStrategy, one worker process per replica on 127.0.0.1)",
         default="none", type="str", check=_one_of(*STRATEGIES), expected=", ".join(STRATEGIES),
         id_omits=("none",), backfill=True,
         toml='strategy = "none" | "mirrored" | "multiworker"   # tf.distribute (docs/guide/distributed.md)'),
    Axis("replicas", "replicas the strategy trains on: devices (mirrored) or worker processes (multiworker); "
         "1 for none", default=1, type="int", bounds=_whole(1, 1024, "more than one machine's cores or GPUs; "
         "multiworker and CPU mirrored cells above this machine's cores are skipped"),
         id_omits=(1,), backfill=True,
         toml="replicas = N                            # mirrored: devices; multiworker: worker processes "
              "(none: 1)"),
    Axis("batch_size", "images per replica per training/inference step (global batch = batch_size x "
         "replicas); for batch_size = \"max\" the batch found (batch_search says how)", default=32,
         type="int | str", bounds=_whole(1, 65536, "2**16 images a step"), words=("recipe", "max"),
         expected='"max" is the largest that fits',
         toml='batch_size = N | "recipe" | "max"       # per replica; recipe: the model recipe\'s; max: the '
              'largest that fits'),
    Axis("precision", "float32, mixed_float16 or mixed_bfloat16 (Keras mixed-precision policy)",
         default="float32", type="str", check=_one_of(*PRECISIONS), expected=", ".join(PRECISIONS),
         toml='precision = "float32" | "mixed_float16" | "mixed_bfloat16"'),
    Axis("jit_compile", "jit_compile passed to model.compile: XLA on tensorflow, jax.jit on jax "
         "(false: op by op), torch.compile on torch", default=False, type="bool",
         check=lambda v: isinstance(v, bool), expected="true or false", toml="jit_compile = false | true"),
    Axis("pipeline", "input pipeline mode: memory, stream, cache or tfio (tf.data), or numpy (keras "
         "PyDataset over h5py, no TensorFlow needed)", default="memory", type="str", check=_pipeline_known,
         expected="one of datasets.api.PIPELINE_MODES (memory, stream, cache, tfio, numpy)",
         toml='pipeline = "memory" | "stream" | "cache" | "tfio" | "numpy"   # numpy: no TensorFlow needed'),
    Axis("mode", "throughput, train or budget", default="throughput", type="str", check=_one_of(*MODES),
         expected=", ".join(MODES), toml='mode = "throughput" | "train" | "budget"'),
    Axis("seed", "seed for splits, shuffling and weights", default=0, type="int",
         bounds=_whole(0, 2**32 - 1, "NumPy's seed range"), single=True, toml="seed = 0"),
    Axis("synthetic_examples", "images in a synthetic dataset", default=512,
         bounds=_whole(1, 1_000_000, "and their file at most 32 GiB: it is written before the first cell"),
         cell=False, single=True,
         toml="synthetic_examples = 512                # images in a synthetic dataset"),
    Axis("warmup_steps", "throughput: at most this many untimed steps before timing (warm-up also ends "
         "after min_time_s, or once 3 step times agree within 5%)", kind="setting", type="int | None",
         bounds=_whole(0, 100_000), mode_defaults=(("throughput", 3),)),
    Axis("steps", "throughput: at least this many timed steps per repeat (unless max_time_s comes first)",
         kind="setting", type="int | None", bounds=_whole(1, 1_000_000), mode_defaults=(("throughput", 20),)),
    Axis("repeats", "throughput: timed repeats (median/min/max are over these)", kind="setting",
         type="int | None", bounds=_whole(3, 1000, "the spread needs three runs; a thousand is plenty"),
         mode_defaults=(("throughput", 3),)),
    Axis("min_time_s", "throughput: each timed repeat lasts at least this many seconds (and `steps` steps)",
         kind="setting", type="float | None", bounds=_seconds(HOUR_S, "an hour a repeat"),
         id_omits=(None, 2.0), mode_defaults=(("throughput", 2.0),)),
    Axis("max_time_s", "throughput: a timed repeat stops after this many seconds (at least one step) even "
         "short of `steps`", kind="setting", type="float | None", bounds=_seconds(HOUR_S, "an hour a repeat"),
         id_omits=(None, 20.0),
         mode_defaults=(("throughput", 20.0),)),
    Axis("epochs", "train: maximum epochs (null: the model recipe's)", kind="setting", type="int | None",
         bounds=_whole(1, 10_000), words=("recipe",), mode_defaults=(("train", "recipe"), ("budget", 1000))),
    Axis("budget_s", "budget: wall-clock training budget in seconds", kind="setting", type="float | None",
         bounds=_seconds(WEEK_S, "a week"), mode_defaults=(("budget", 60.0),)),
    Axis("target_accuracy", "train/budget: validation accuracy whose first crossing is timed", kind="setting",
         type="float | None", bounds=Bounds(le=1, gt=0, whole=False, cap="a fraction"),
         mode_defaults=(("train", None), ("budget", None))),
    Axis("max_train_examples", "train/budget: cap on training examples (null: the whole split)",
         kind="setting", type="int | None", bounds=_whole(1, 100_000_000),
         mode_defaults=(("train", None), ("budget", None))),
    Axis("timeout_s", "the runner kills the cell's process after this many seconds", default=1800.0,
         type="float", bounds=_seconds(WEEK_S, "a week; a cell cannot run unbounded"), single=True,
         in_id=False, toml="timeout_s = 1800                        # per cell"),
    Axis("oversubscribe", "true when thread counts above the logical cores were explicitly allowed",
         default=False, type="bool", check=lambda v: isinstance(v, bool), expected="true or false",
         single=True, in_id=False,
         toml="oversubscribe = false                   # true: thread counts above the logical cores "
              "may run"),
)
BY_NAME: dict[str, Axis] = {a.name: a for a in AXES}
CELL_FIELDS: tuple[Axis, ...] = tuple(a for a in AXES if a.cell)
MATRIX_AXES: tuple[Axis, ...] = tuple(a for a in AXES if a.kind == "axis")
SETTINGS: tuple[Axis, ...] = tuple(a for a in AXES if a.kind == "setting")


def matrix_reference() -> str:
    """The [axes] block of the matrix keys page (docs/reference/matrix.md; `python -m bench.config.axes`)."""
    return "\n".join(a.toml for a in MATRIX_AXES)


if __name__ == "__main__":
    print(matrix_reference())
