"""The Python half of .ci/device-check: the CPU variant of the gpu-check preset, and the verdict on a run.

    python .ci/device_check.py cpu-matrix OUT.toml   # gpu-check's cells on device cpu, shrunk
    python .ci/device_check.py verify RUN_DIR DEVICE # exit 1 unless every cell ran ok on DEVICE
    python .ci/device_check.py figures RUN_DIR [CPU_RUN_DIR]   # figures.md: img/s per cell against the CPU's

The CPU variant keeps the preset's cells whose pair, backend, precision and mode are in
DEVICE_CHECK_PAIRS / _BACKENDS / _PRECISIONS / _MODES (comma lists; defaults below), moves them to the
CPU and shrinks them (1 warm-up step, 3 steps, 1 epoch), so CI runs the GPU check's code in minutes.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere: the repo's bench

from bench.config.cell import Cell  # noqa: E402
from bench.config.expanded import dump_expanded  # noqa: E402
from bench.config.matrix import Machine, MatrixSpec, Planned, expand, load_matrix  # noqa: E402
from bench.report.html import number  # noqa: E402
from bench.results import loader  # noqa: E402

PRESET = "gpu-check"
CPU_DEFAULTS = {"PAIRS": "mnist/mnist_cnn", "BACKENDS": "torch,jax", "PRECISIONS": "float32",
                "MODES": "throughput,train"}
CPU_TIMEOUT_S = 600.0
CPU_REFERENCE = Path(__file__).resolve().parents[1] / "results" / "example" / "quick"


def wanted(key: str, env: dict[str, str]) -> set[str]:
    """The values DEVICE_CHECK_<key> keeps (its default when unset)."""
    return {v.strip() for v in env.get(f"DEVICE_CHECK_{key}", CPU_DEFAULTS[key]).split(",") if v.strip()}


def preset_cells() -> list[Cell]:
    """The gpu-check preset's cells as written (gpu:0), independent of this machine's GPUs."""
    machine = Machine(os.cpu_count() or 1, gpus=1, backends=("torch", "jax"))
    return [p.cell for p in expand(load_matrix(PRESET), machine)]


def shrink_to_cpu(cell: Cell) -> Cell:
    """The cell on the CPU with the fewest steps and epochs that still run every code path."""
    small = {"warmup_steps": 1, "steps": 3} if cell.mode == "throughput" else {"epochs": 1}
    return dataclasses.replace(cell, device="cpu", timeout_s=CPU_TIMEOUT_S, **small)


def cpu_cells(env: dict[str, str]) -> list[Cell]:
    """The preset's cells DEVICE_CHECK_* keeps, moved to the CPU and shrunk; none is an error. The
    batch_size = "max" cells stay GPU-only: on the CPU their search extrapolates RAM instead (tested in
    tests/bench/launch/test_maxbatch.py), a different path that would only lengthen this check."""
    pairs, backends, precisions, modes = (wanted(k, env) for k in CPU_DEFAULTS)
    cells = [shrink_to_cpu(c) for c in preset_cells()
             if c.batch_size != "max" and f"{c.stands_for or c.dataset}/{c.model}" in pairs
             and c.backend in backends and c.precision in precisions and c.mode in modes]
    if not cells:
        raise SystemExit(f"no {PRESET} cell matches DEVICE_CHECK_PAIRS={sorted(pairs)}, BACKENDS="
                         f"{sorted(backends)}, PRECISIONS={sorted(precisions)}, MODES={sorted(modes)}")
    return cells


def write_cpu_matrix(path: Path, env: dict[str, str]) -> int:
    """Write the CPU variant as an expanded matrix file `bench run --matrix` reads; the cell count."""
    cells = cpu_cells(env)
    spec = MatrixSpec(name=f"{PRESET}-cpu", source=f"bench/presets/{PRESET}.toml (--cpu)",
                      description="gpu-check's cells on the CPU, shrunk (.ci/device-check --cpu)")
    path.write_text(dump_expanded(spec, [Planned(c, None) for c in cells]))
    return len(cells)


def problems(records: list[dict[str, Any]], device: str, planned: list[str] | None = None) -> list[str]:
    """Why the check failed: no records, a planned cell never recorded (the time budget ran out), a
    cell not ok (skipped for a GPU no backend saw included: never a silent CPU run), or a cell
    recorded on another device."""
    if not records:
        return ["the run wrote no records"]
    recorded = {r.get("cell_id") for r in records}
    out = [f"{cell_id}: not run (the time budget ran out first)" for cell_id in planned or []
           if cell_id not in recorded]
    for r in records:
        if r.get("status") != "ok":
            out.append(f"{r.get('cell_id')}: {r.get('status')}: {r.get('reason')}")
        elif r.get("device") != device:
            out.append(f"{r.get('cell_id')}: ran on {r.get('device')}, not {device}")
    return out


def verify(run_dir: Path, device: str) -> int:
    """Print each cell's status and headline figures; 0 when every cell ran ok on `device`, else 1."""
    records = read_records(run_dir)
    for r in records:
        figures = {k: r[k] for k in ("train_img_s", "infer_img_s", "gpu_peak_mb", "train_j_per_img",
                                     "test_accuracy") if r.get(k) is not None}
        shown = "  ".join(f"{k}={v:,.4g}" for k, v in figures.items())
        print(f"{r.get('status', '?'):8} {r.get('cell_id')}  {shown}")
    matrix = run_dir / "matrix.toml"  # the expanded matrix the run wrote: every planned cell
    planned = [c.cell_id for c in load_matrix(str(matrix)).cells or []] if matrix.exists() else None
    found = problems(records, device, planned)
    for line in found:
        print(f"PROBLEM {line}", file=sys.stderr)
    print(f"{len(records)} cells recorded, {len(found)} problem(s)")
    return 1 if found else 0


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    """A run folder's valid records, read through bench.results.loader ([] when it has none); a line set
    aside is said on stderr."""
    loaded = loader.load_records(run_dir)
    for line in loaded.set_aside:
        print(f"note: {line}", file=sys.stderr)
    return loaded.records


def figures(records: list[dict[str, Any]], cpu: list[dict[str, Any]]) -> str:
    """Markdown: per ok throughput cell, train and inference img/s, GPU peak MB, J per image, and the
    training speed over the CPU reference's (its float32 TensorFlow cell of the same pair and batch)."""
    ref = {(r.get("stands_for"), r["model"], r["batch_size"]): r["train_img_s"] for r in cpu
           if r.get("status") == "ok" and r.get("mode") == "throughput" and r.get("precision") == "float32"
           and r.get("backend", "tensorflow") == "tensorflow" and r.get("train_img_s")}
    rows = ["| pair | backend | precision | batch | train img/s | inference img/s | GPU peak MB "
            "| J per image | train x CPU |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in records:
        if r.get("status") != "ok" or r.get("mode") != "throughput":
            continue
        cells = [r.get(k) for k in ("train_img_s", "infer_img_s", "gpu_peak_mb", "train_j_per_img")]
        base = ref.get((r.get("stands_for"), r["model"], r["batch_size"]))
        cells.append(r["train_img_s"] / base if base else None)
        shown = [number(v) if v is not None else "" for v in cells]
        rows.append(f"| {r.get('stands_for')} / {r['model']} | {r['backend']} | {r['precision']} | "
                    f"{r['batch_size']} | " + " | ".join(shown) + " |")
    for r in records:
        if r.get("status") == "ok" and r.get("mode") == "train":
            how = f"{r['backend']}, {r['precision']}, {r.get('epochs_run')} epochs"
            rows.append(f"\n{r['dataset']} / {r['model']} trained on real data ({how}): "
                        f"test accuracy {r['test_accuracy']:.4g}")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "cpu-matrix":
        print(f"{write_cpu_matrix(Path(argv[1]), dict(os.environ))} cells -> {argv[1]}")
        return 0
    if len(argv) == 3 and argv[0] == "verify":
        return verify(Path(argv[1]), argv[2])
    if len(argv) in (2, 3) and argv[0] == "figures":
        cpu = read_records(Path(argv[2]) if len(argv) == 3 else CPU_REFERENCE)
        print(figures(read_records(Path(argv[1])), cpu), end="")
        return 0
    print("usage:\n" + "\n".join(__doc__.strip().splitlines()[2:5]), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
