"""A shared result: one run as one self-contained, versioned gzip JSON file that can leave the machine
(`python -m bench share`), and the registry of such files in the checkout (results/machines/).

Written: the run's records (every status, with its reason), env.json, matrix.toml, galaxybench's and
the libraries' versions and a short label, with nothing personal (bench.results.scrub). Read: files
from other machines are untrusted, so reading bounds the decompressed size and the JSON's depth, checks
the kind and version, validates every record and the env through the run folder's own schema, and
refuses implausible figures; anything wrong is one line naming the file.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import subprocess
import zlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import bench
from bench import atomic
from bench.config.record import NUMERIC_FIELDS
from bench.errors import UserError
from bench.results import loader, scaling
from bench.results.paths import ENV, MATRIX, RESULTS
from bench.results.scrub import Scrubber, env_names

KIND = "galaxybench-shared-result"
SHARED_VERSION = 1
REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "results" / "machines"
CODE_FOLDERS = ("bench", "models", "datasets")  # what makes a galaxybench version
SUFFIX = ".json.gz"
MAX_FILE_BYTES = 16 * 2**20  # compressed; the registry's files are tens of kB
MAX_JSON_BYTES = 64 * 2**20  # decompressed: a gzip bomb stops here
MAX_DEPTH = 32  # nesting of the JSON (a record nests 4 deep)
MAX_RECORDS = 100_000
PEAK_MARGIN = 1.5  # a float32 cell may not achieve more than this times the float32 GEMM peak
ACCURACY_KEYS = ("test_accuracy", "macro_precision", "macro_recall", "macro_f1", "weighted_precision",
                 "weighted_recall", "weighted_f1")
SIGNED_FIELDS = ("gpu_temp_c_max",)  # the only numeric record fields that may be below zero


class DerivedRow(BaseModel):
    """One training of a pair known only from a report's wall time: end-to-end training images/s
    derived as epochs x training images / wall time, never a measured throughput cell."""

    model_config = ConfigDict(extra="forbid")

    data: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=100)
    device: str = Field(default="cpu", pattern=r"^(cpu|gpu:\d{1,3})$")
    precision: str = Field(default="float32", max_length=40)
    synthetic: Literal[False] = False
    epochs: int = Field(gt=0, le=100_000)
    train_examples: int = Field(gt=0, le=10**9)
    validation_examples: int = Field(ge=0, le=10**9)
    train_s: float = Field(gt=0, le=10**9, allow_inf_nan=False)
    train_img_s: float = Field(gt=0, le=10**9, allow_inf_nan=False)
    test_accuracy: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    derivation: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _arithmetic(self) -> DerivedRow:
        """train_img_s must be what the derivation says: epochs x train_examples / train_s."""
        expected = self.epochs * self.train_examples / self.train_s
        if not math.isclose(self.train_img_s, expected, rel_tol=0.005):
            raise ValueError(f"train_img_s {self.train_img_s:g} is not epochs x train_examples / train_s "
                             f"({expected:g})")
        return self


class SharedResult(BaseModel):
    """The shared file's content (kind, shared_version, label, records, env, matrix, versions; for a
    machine known only from a report, `derived` with `derivation` and its derived_rows)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["galaxybench-shared-result"] = KIND
    shared_version: int = Field(default=SHARED_VERSION, ge=1, le=SHARED_VERSION)
    label: str = Field(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
    note: str = Field(default="", max_length=2000)
    galaxybench_version: str = Field(max_length=100)
    versions: dict[str, str] = Field(default_factory=dict, max_length=64)
    env: dict[str, Any]
    matrix: str | None = Field(default=None, max_length=4 * 2**20)
    records: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    notes: list[str] = Field(default_factory=list, max_length=100)
    price_per_kwh: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    derived: bool = False
    derivation: str | None = Field(default=None, max_length=4000)
    derived_rows: list[DerivedRow] = Field(default_factory=list, max_length=1000)

    @field_validator("records")
    @classmethod
    def _records(cls, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every record through the run folder's validating loader."""
        return checked_records(records)

    @field_validator("env")
    @classmethod
    def _env(cls, env: dict[str, Any]) -> dict[str, Any]:
        """env.json through the run folder's schema."""
        return checked_env(env)

    @field_validator("matrix")
    @classmethod
    def _matrix(cls, matrix: str | None) -> str | None:
        """matrix.toml's text through the run folder's schema."""
        return checked_matrix(matrix)

    @model_validator(mode="after")
    def _derived(self) -> SharedResult:
        """A derived file says how (derivation) and holds derived rows only; a measured one has none."""
        if self.derived and not (self.derivation and self.derived_rows) or self.derived and self.records:
            raise ValueError("a derived result needs a derivation and derived_rows, and holds no records")
        if not self.derived and (self.derived_rows or self.derivation):
            raise ValueError("derived_rows and derivation belong to a derived result (derived: true)")
        if not self.derived and not self.records:
            raise ValueError("no records")
        return self


def checked_records(records: list[Any]) -> list[dict[str, Any]]:
    """The records through the run folder's one validating loader (bench.results.loader: migrated to the
    current schema, validated); the first that fails is a ValueError naming its position, field and why."""
    out = []
    for i, raw in enumerate(records, 1):
        try:
            out.append(loader.validate_record(raw))
        except loader.RecordError as exc:
            raise ValueError(f"record {i}: {exc.field} {exc.why}") from None
    return scaling.fill(out)


def checked_env(env: dict[str, Any]) -> dict[str, Any]:
    """env.json through the run folder's schema (bench.results.schema.Env), with a count of logical cores."""
    try:
        return loader.validate_machine_env(env)
    except loader.RecordError as exc:
        raise ValueError(f"env: {exc.field} {exc.why}") from None


def checked_matrix(text: str | None) -> str | None:
    """matrix.toml's text, valid under the run folder's schema (bench.results.schema.MatrixValues)."""
    if text is not None:
        try:
            loader.read_matrix_values(text)
        except loader.RecordError as exc:
            raise ValueError(f"matrix: {exc.field} {exc.why}") from None
    return text


def implausible(result: SharedResult) -> str | None:
    """Why the figures cannot be true (an accuracy outside 0..1, a negative time or speed, a float32 cell
    achieving more than PEAK_MARGIN x the GEMM peak recorded with it), or None."""
    peaks = result.env.get("peak_gflop_s") if isinstance(result.env.get("peak_gflop_s"), dict) else {}
    for i, record in enumerate(result.records, 1):
        for key in ACCURACY_KEYS:
            value = record.get(key)
            if value is not None and not 0 <= value <= 1:
                return f"record {i}: {key} is {value:g}, outside 0..1"
        for key in NUMERIC_FIELDS:
            value = record.get(key)
            if value is not None and value < 0 and key not in SIGNED_FIELDS:
                return f"record {i}: {key} is {value:g}, below zero"
        for key, value in record.items():
            if key.endswith(("_s", "_runs")) and isinstance(value, list) and any(
                    isinstance(v, int | float) and v < 0 for v in value):
                return f"record {i}: {key} holds a value below zero"
        why = _beyond_peak(record, peaks)
        if why:
            return f"record {i}: {why}"
    return None


def _beyond_peak(record: dict[str, Any], peaks: dict[str, Any]) -> str | None:
    """Why a float32 cell's achieved GFLOP/s exceed PEAK_MARGIN x its device's float32 GEMM peak, or None
    (mixed precision may pass the float32 peak: bf16/fp16 units are faster)."""
    achieved, device = record.get("train_gflop_s"), record.get("device")
    peak = record.get("peak_gflop_s")
    if peak is None and isinstance(device, str):
        peak = peaks.get(device)
    if (record.get("precision") != "float32" or not isinstance(achieved, int | float)
            or not isinstance(peak, int | float) or isinstance(peak, bool) or peak <= 0):
        return None
    replicas = record.get("replicas") if isinstance(record.get("replicas"), int) else 1
    limit = PEAK_MARGIN * peak * max(1, replicas)
    if achieved > limit:
        return (f"train_gflop_s {achieved:,.1f} is more than {PEAK_MARGIN}x the GEMM peak recorded with it "
                f"({peak:,.1f} GFLOP/s)")
    return None


def galaxybench_version() -> str:
    """This checkout's `git describe` (tag or commit; -modified when the code folders differ from it, run
    folders and results not counted), else bench.__version__."""
    try:
        described = _git("describe", "--tags", "--always")
        changed = _git("status", "--porcelain", "--untracked-files=no", "--", *CODE_FOLDERS)
    except (OSError, subprocess.SubprocessError):
        return bench.__version__
    if not described:
        return bench.__version__
    return f"{bench.__version__} ({described}{'-modified' if changed else ''})"


def _git(*args: str) -> str:
    """git's output in the checkout; SubprocessError when git fails."""
    proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        raise subprocess.SubprocessError(proc.stderr.strip())
    return proc.stdout.strip()


def library_versions(env: dict[str, Any]) -> dict[str, str]:
    """Python, TensorFlow, Keras and the other installed packages env.json names, by name."""
    versions = {"python": env.get("python"), "tensorflow": env.get("tf_version"),
                "keras": env.get("keras_version")}
    packages = env.get("packages") if isinstance(env.get("packages"), dict) else {}
    for name, version in packages.items():
        versions.setdefault(name, version)
        versions[name] = versions[name] or version
    return {k: str(v) for k, v in versions.items() if isinstance(v, str) and v}


def default_label(env: dict[str, Any]) -> str:
    """'Ryzen 7 7800X3D, RTX 3070, 32 GB' from env.json: the CPU, the first GPU (else the core count), RAM."""
    cpu = env.get("cpu") if isinstance(env.get("cpu"), dict) else {}
    parts = [short_cpu(str(env.get("cpu_model") or cpu.get("brand_raw") or "unknown CPU"))]
    gpus = [g["name"] for g in (env.get("nvml_gpus") or env.get("tf_gpus") or [])
            if isinstance(g, dict) and isinstance(g.get("name"), str)]
    if gpus:
        parts.append(short_gpu(gpus[0]) + (f" x{len(gpus)}" if len(gpus) > 1 else ""))
    elif isinstance(env.get("logical_cores"), int):
        parts.append(f"{env['logical_cores']} cores")
    if isinstance(env.get("ram_gb"), int | float):
        parts.append(f"{round(env['ram_gb'])} GB")
    return ", ".join(parts)[:80]


def short_cpu(name: str) -> str:
    """'AMD Ryzen 7 7800X3D 8-Core Processor' -> 'Ryzen 7 7800X3D'; 'Intel(R) Xeon(R) Processor' -> 'Intel
    Xeon'."""
    name = re.sub(r"\((R|TM|tm|r)\)|\bCPU\b|\bProcessor\b|\d+-Core|@.*$|with Radeon.*$", " ", name)
    name = re.sub(r"^(AMD|Intel)\s+(?=(Ryzen|Core|Threadripper)\b)", "", " ".join(name.split()))
    return name.strip() or "unknown CPU"


def short_gpu(name: str) -> str:
    """'NVIDIA GeForce RTX 3070' -> 'RTX 3070'."""
    return re.sub(r"^(NVIDIA\s+)?(GeForce\s+)?", "", name.strip()) or name


def build_shared(run_dir: Path, label: str | None = None, note: str = "") -> SharedResult:
    """The shared result of RUN_DIR: its records and files, scrubbed, with versions and a label."""
    run_dir = Path(run_dir)
    if not (run_dir / RESULTS).is_file():
        raise UserError(f"{run_dir} has no {RESULTS}; pass a run folder made by `python -m bench run`")
    env = loader.load_env(run_dir)
    if env is None:
        raise UserError(f"{run_dir} has no {ENV}: a shared result needs the machine's fingerprint; "
                        "share a run folder that `python -m bench run` finished or resumed")
    loaded = loader.load_records(run_dir)
    records = loaded.records
    if not records:
        raise UserError(f"{run_dir / RESULTS} holds no valid records to share; run some cells first")
    names = env_names(env) + [r["machine"] for r in records if isinstance(r.get("machine"), str)]
    scrub = Scrubber(names)
    notes = []
    if loaded.set_aside:
        notes.append(f"{len(loaded.set_aside)} line(s) of {RESULTS} set aside, not shared; the first: "
                     f"{loaded.set_aside[0]}")
    matrix = _matrix_text(run_dir, notes)
    try:
        return SharedResult(
            label=scrub.text(" ".join((label or default_label(env)).split())),
            note=scrub.text(note),
            galaxybench_version=galaxybench_version(),
            versions=scrub.any(library_versions(env)),
            env=scrub.env(env),
            matrix=scrub.toml(matrix) if matrix is not None else None,
            records=scrub.records(records),
            notes=[scrub.text(n) for n in notes],
            price_per_kwh=_price(run_dir),
        )
    except ValidationError as exc:
        raise UserError(f"{run_dir} cannot be shared: {_first_error(exc)}") from None


def _matrix_text(run_dir: Path, notes: list[str]) -> str | None:
    """RUN_DIR/matrix.toml's text when it is valid under the schema; a damaged one is left out with a note
    (the records still travel)."""
    path = run_dir / MATRIX
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        loader.read_matrix_values(text)
    except (OSError, UnicodeDecodeError, loader.RecordError) as exc:
        notes.append(f"{MATRIX} left out: it does not read as the expanded matrix ({exc})")
        return None
    return text


def _price(run_dir: Path) -> float | None:
    """The electricity price kept in RUN_DIR/pricing.json (bench report --price-per-kwh), or None."""
    try:
        price = json.loads((run_dir / "pricing.json").read_text(encoding="utf-8"))["price_per_kwh"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    ok = isinstance(price, int | float) and not isinstance(price, bool) and math.isfinite(price) and price > 0
    return float(price) if ok else None


def to_bytes(result: SharedResult) -> bytes:
    """The file's bytes: compact JSON, gzip without a file name or time (the same result, the same bytes)."""
    text = json.dumps(result.model_dump(mode="json"), allow_nan=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def write_result(result: SharedResult, out: Path) -> Path:
    """Write a shared result atomically, once it reads back as valid (what leaves is what others read)."""
    data = to_bytes(result)
    parse_shared(data, str(out))
    return atomic.write_bytes(Path(out), data)


def write_shared(run_dir: Path, out: Path, label: str | None = None, note: str = "") -> Path:
    """RUN_DIR shared as OUT (see build_shared); the path written."""
    return write_result(build_shared(run_dir, label, note), out)


def read_shared(path: Path | str) -> SharedResult:
    """A shared file, validated; a UserError in one line naming the file and what is wrong."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserError(f"{path} is {size:,} bytes, more than a shared result may be "
                            f"({MAX_FILE_BYTES:,}); it is not one `python -m bench share` wrote")
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path} cannot be read ({exc.strerror or exc}); check the path") from None
    return parse_shared(data, str(path))


def parse_shared(data: bytes, name: str) -> SharedResult:
    """The bytes of a shared file, validated (see read_shared); name is the file named in errors."""

    def refuse(why: str) -> UserError:
        return UserError(f"{name} is not a usable galaxybench shared result: {why}")

    if not data.startswith(b"\x1f\x8b"):
        raise refuse("not gzip data (a shared result is the .json.gz that `python -m bench share` writes)")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise refuse(f"damaged gzip data ({exc})") from None
    if len(raw) > MAX_JSON_BYTES:
        raise refuse(f"it inflates to more than {MAX_JSON_BYTES // 2**20} MiB (a gzip bomb?)")
    try:
        content = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise refuse("its content is not UTF-8 text") from None
    except RecursionError:
        raise refuse(f"its JSON nests more than {MAX_DEPTH} deep") from None
    except ValueError as exc:
        raise refuse(f"its content is not JSON ({str(exc)[:120]})") from None
    if depth(content) > MAX_DEPTH:
        raise refuse(f"its JSON nests more than {MAX_DEPTH} deep")
    if not isinstance(content, dict):
        raise refuse("its JSON is not an object")
    if content.get("kind") != KIND:
        raise refuse(f"kind is {_short(content.get('kind'))}, not {KIND!r}")
    version = content.get("shared_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SHARED_VERSION:
        raise refuse(f"shared_version {version} is newer than this galaxybench reads ({SHARED_VERSION}); "
                     "update galaxybench (git pull)")
    try:
        result = SharedResult.model_validate(content)
    except ValidationError as exc:
        raise refuse(_first_error(exc)) from None
    why = implausible(result)
    if why:
        raise refuse(f"implausible: {why}")
    return result


def _no_constant(name: str) -> Any:
    """json's NaN/Infinity are not JSON: refuse them."""
    raise ValueError(f"{name} is not a JSON number")


def _short(value: Any) -> str:
    """A value from an untrusted file, short and on one line."""
    return repr(value)[:60]


def _first_error(exc: ValidationError) -> str:
    """The first validation error as 'where: what' (and how many more)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "content"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {str(first['msg'])[:200]}{more}"


def depth(value: Any) -> int:
    """How deep a JSON value nests (a scalar 0, [] 1, [[1]] 2), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            if level + 1 > MAX_DEPTH:
                return level + 1
            stack += [(v, level + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


def registry_files(folder: Path = REGISTRY) -> list[Path]:
    """The registry's shared files, by name."""
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def load_registry(folder: Path = REGISTRY) -> list[SharedResult]:
    """Every shared file of the registry, validated (a bad file is a UserError naming it)."""
    return [read_shared(path) for path in registry_files(folder)]
