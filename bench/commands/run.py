"""`python -m bench run`: run a matrix into a run folder (resumable, one process per cell)."""

from __future__ import annotations

import argparse
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.commands.report import PRICE_HELP
from bench.config.limits import cell_budget
from bench.config.matrix import presets
from bench.errors import UserError
from bench.launch.session import EXIT_STATUS_HELP, RunOptions
from bench.launch.workers import EXPOSE_HELP
from bench.results import paths as results_paths

if TYPE_CHECKING:
    from bench.config.matrix import MatrixSpec

NAME = "run"
MATRIX_HELP = f"a preset ({', '.join(presets())}) or the path of a matrix .toml"
SET_HELP = ("set one axis for every cell of the matrix, e.g. --set data=synthetic (the full study on "
            "synthetic data of the real shapes) or --set batch_size=[32,64]; repeatable")
HELP = "run a matrix of benchmark cells, each in its own process, into a run folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matrix", help=MATRIX_HELP)
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="AXIS=VALUE",
                        help=SET_HELP)
    parser.add_argument("--out", type=Path, help="run folder (default: a new <UTC time>-<host>-<matrix> "
                        "folder in results/, or in $BENCH_RESULTS_DIR)")
    parser.add_argument("--resume", action="store_true",
                        help="continue a run folder: skip cells that already have a record")
    parser.add_argument("--download", action="store_true",
                        help="first download the named data sets the cells need and this machine lacks "
                        "(without it, missing data sets are named before anything runs)")
    parser.add_argument("--skip-missing", action="store_true",
                        help="when no cell that reads real data could run for want of it, record those cells "
                        "as skipped and run the rest anyway (the default stops, naming what to download)")
    parser.add_argument("--no-prune", action="store_true",
                        help="run every cell, even one predicted far over its budget (default: such a cell "
                        "is recorded as pruned, with its predicted time and the evidence)")
    parser.add_argument("--cell-budget", type=cell_budget, metavar="SECONDS",
                        help="the per-cell budget pruning compares predictions with (default: each cell's "
                        "timeout_s)")
    parser.add_argument("--no-report", action="store_true",
                        help="skip writing report.html and the charts at the end (see `bench report`)")
    parser.add_argument("--price-per-kwh", metavar="PRICE", help=PRICE_HELP)
    parser.add_argument("--expose-workers", action="store_true", help=EXPOSE_HELP)
    parser.add_argument("--cluster", metavar="ray[://ADDRESS]",
                        help="run the cells on the nodes of a Ray cluster: `ray` (this machine's cluster, "
                        "else a new one) or ray://HOST:PORT; needs requirements-ray.txt (docs/guide/ray.md)")
    parser.add_argument("--placement", choices=["spread", "every-node"],
                        help="with --cluster: spread (default; each cell once, on any machine that can run "
                        "it) or every-node (every cell on every machine: the machine comparison)")
    parser.add_argument("--retry", choices=["failed"],
                        help="with a run folder: rerun cells whose latest record failed (implies --resume)")
    parser.epilog = EXIT_STATUS_HELP[0].upper() + EXIT_STATUS_HELP[1:] + "."


def options(args: argparse.Namespace) -> RunOptions:
    """The command line unpacked once into RunOptions, with the checks that need no file."""
    from bench.report.cost import parse_price

    if args.matrix is None and not ((args.resume or args.retry == "failed") and args.out):
        raise UserError("give --matrix NAME|PATH (or --resume --out RUN_DIR to continue a run)")
    if args.overrides and args.matrix is None:
        raise UserError("--set changes the matrix a run starts from; give --matrix NAME|PATH with it")
    return RunOptions(
        matrix=args.matrix, overrides=tuple(args.overrides), out=args.out,
        resume=args.resume or args.retry == "failed", retry_failed=args.retry == "failed",
        download=args.download, skip_missing=args.skip_missing, prune=not args.no_prune,
        cell_budget_s=args.cell_budget, report=not args.no_report,
        price_per_kwh=None if args.price_per_kwh is None else parse_price(args.price_per_kwh),
        expose_workers=args.expose_workers, cluster=args.cluster, placement=args.placement)


def run(args: argparse.Namespace) -> int:
    """Run the matrix here, or over a Ray cluster (--cluster, or a run folder that was started on one)."""
    from bench.config.matrix import load_matrix
    from bench.launch import cluster, datacheck, shapes
    from bench.launch.session import RunSession

    opts = options(args)
    spec = load_matrix(opts.matrix, list(opts.overrides)) if opts.matrix else None
    if spec is not None:
        shapes.check_matrix(spec)  # every cell's data too small for its model: one line, nothing started
    run_dir = _run_dir(opts.out, spec.name if spec else "", opts.resume)
    if opts.cluster is not None or opts.placement is not None or cluster.ran_on_cluster(run_dir):
        if opts.cluster is None:
            raise UserError("--placement needs --cluster ray[://ADDRESS]" if opts.placement else
                            f"{run_dir} ran on a Ray cluster; add --cluster ray[://ADDRESS]")
        cluster.check_options(opts)
        return RunSession(opts, run_dir).run(lambda: cluster.run(opts, spec, run_dir))
    datacheck.check_data_folder()
    return RunSession(opts, run_dir).run(lambda: _run_here(opts, spec, run_dir))


def _run_here(opts: RunOptions, spec: MatrixSpec | None, run_dir: Path) -> dict[str, int]:
    """The cells on this machine (the session holds RUN_DIR's lock): probe the machine, expand or reload
    the matrix, check the network and the data, then run what is owed, cheapest first."""
    from bench.config.expanded import write_expanded
    from bench.config.matrix import expand, load_matrix
    from bench.launch import progress, runner, shapes
    from bench.launch.pruning import cheapest_first
    from bench.launch.workers import check_network, check_user_cluster
    from bench.results import store

    saved = run_dir / store.MATRIX
    (run_dir / "logs").mkdir(exist_ok=True)
    env = runner.load_or_probe_env(run_dir)
    machine = runner.machine_of(env)
    if saved.exists():
        planned = expand(load_matrix(str(saved)), machine)
        if spec is not None and {p.cell.cell_id for p in expand(spec, machine)} != {
                p.cell.cell_id for p in planned}:
            raise UserError(f"--matrix {opts.matrix} differs from {saved}; drop --matrix to resume "
                            "that run, or use a new --out")
    else:
        planned = expand(spec, machine)
        write_expanded(saved, spec, planned)
    planned = shapes.mark_unfit(planned)  # data too small for the model: skipped, no process
    check_user_cluster([p.cell for p in planned if p.skip_reason is None])
    check_network([p.cell for p in planned if p.skip_reason is None], opts.expose_workers)
    if opts.download:
        _download_missing(planned)
    todo = _check_data(runner.to_run(planned, run_dir, opts.retry_failed, rerun_data_skips=True,
                                     rerun_pruned=not opts.prune),
                       run_dir, opts.skip_missing)
    planner = make_planner(env, planned, run_dir)
    todo = cheapest_first(todo, planner)
    print(f"run folder: {run_dir}  ({len(todo)} of {len(planned)} cells to run, cheapest first; "
          f"predicted {progress.left_text(planner, todo)} before pruning)")
    return runner.run_cells(run_dir, todo, env, total=len(planned), planner=planner, prune=opts.prune,
                            budget_s=opts.cell_budget_s)


def make_planner(env: dict[str, Any], planned: list[Any], run_dir: Path | None = None) -> Any:
    """A bench.launch.pruning.Planner for this machine (its GEMM peaks, cores, data set sizes), taught the
    run folder's earlier records when resuming."""
    from bench.launch.predict import dataset_examples, load_priors
    from bench.launch.pruning import Planner
    from bench.results import store
    from bench.results.history import earlier_wall_s
    from datasets import paths

    names = {p.cell.dataset for p in planned}
    history = earlier_wall_s(results_paths.RESULTS_ROOT, env["hostname"]) if env.get("hostname") else {}
    planner = Planner(load_priors(), env.get("peak_gflop_s", {}), int(env["logical_cores"]),
                      dataset_examples(names, paths.data_dir(None)), history=history)
    for record in store.read_records(run_dir) if run_dir is not None else []:
        planner.observe(record)
    return planner


def _download_missing(planned: list[Any]) -> None:
    """Download (sha256-verified) every named real data set a runnable cell reads and is not here yet
    (or is here only as the MNIST test set shipped with the project)."""
    from datasets import paths, sources
    from datasets.specs import SPECS

    root = paths.data_dir(None)
    names = sorted({p.cell.dataset for p in planned if p.skip_reason is None and p.cell.dataset in SPECS})
    for name in names:
        if not sources.status(root, name).present or sources.only_bundled(root, name):
            print(f"{name}: {sources.download_named(root, name)[1]}")


def _check_data(todo: list[Any], run_dir: Path, skip_missing: bool) -> list[Any]:
    """Name the missing data sets once; stop (UserError) when no real-data cell could run, else record
    their cells as skipped in one pass and return the cells left to run."""
    from bench.launch import datacheck, runner
    from datasets import paths

    root = paths.data_dir(None)
    found = datacheck.check(todo, root)
    if not found.missing:
        return todo
    lines = datacheck.missing_lines(found, root)
    if found.nothing_real_runs and not skip_missing:
        listed = "; ".join(f"{m.name} ({m.cells} cells, {datacheck.size_text(m.download_bytes)}: {m.command})"
                           for m in found.missing)
        raise UserError(f"no cell that reads real data can run, these data sets are missing: {listed}; "
                        f"or add --download, or --skip-missing to run the rest (data folder: {root})")
    print("missing data sets; their cells are recorded as skipped:\n" + "\n".join(lines))
    pairs = list(zip(todo, datacheck.mark_missing(todo, found), strict=True))
    runner.record_skipped(run_dir, [q for p, q in pairs if q.skip_reason != p.skip_reason])
    return [p for p, q in pairs if q.skip_reason == p.skip_reason]


def _run_dir(out: Path | None, matrix_name: str, resume: bool) -> Path:
    """--out, or a new timestamped folder, or (resume without --out) the latest folder of the matrix."""
    host = socket.gethostname().split(".")[0]
    if out is not None:
        if out.exists() and not out.is_dir():
            raise UserError(f"--out {out} is a file, not a folder; give a new folder name or a run folder")
        if resume and not (out / "matrix.toml").exists():
            raise UserError(f"{out} is not a run folder (no matrix.toml); drop --resume to start it")
        return out
    if resume:
        runs = sorted(results_paths.RESULTS_ROOT.glob(f"*-{host}-{matrix_name}"))
        if not runs:
            raise UserError(f"no earlier '{matrix_name}' run in {results_paths.RESULTS_ROOT}; drop --resume "
                            "or give --out")
        return runs[-1]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return results_paths.RESULTS_ROOT / f"{stamp}-{host}-{matrix_name}"
