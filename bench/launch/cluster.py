"""`bench run --cluster ray[://ADDRESS]`: one matrix over the machines of a Ray cluster.

The driver (this process) never runs a cell: it asks each node which machine it is and for its env
fingerprint (bench.launch.node, written to RUN_DIR/envs/MACHINE.json), expands the matrix for each
machine, and hands cells to nodes one at a time per node (each task asks for the node's `galaxybench`
resource, of which a node offers one, and for a GPU cell its GPUs). A node runs the cell through the
local runner's child contract and returns the record, which the driver appends to RUN_DIR/results.jsonl
as it returns. Placement `spread` runs each cell once, on any machine that can; `every-node` runs every
cell on every machine. A node lost during a cell gives that cell an `error` record naming the node.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config.cell import Cell
from bench.config.devices import cell_gpus
from bench.config.matrix import MatrixSpec, Planned, expand, load_matrix
from bench.errors import UserError
from bench.launch import node as node_task
from bench.launch import runner, shapes
from bench.launch.datacheck import DATA_SKIP_PREFIX
from bench.launch.session import RunOptions
from bench.results import loader, scaling, store
from bench.results.pending import Appender

SLOT = "galaxybench"  # the custom resource each node offers once: one cell at a time per node
PLACEMENTS = ("spread", "every-node")
CLUSTER_FILE = "cluster.json"  # RUN_DIR's placement, so a resume places cells the same way
ENVS = "envs"  # RUN_DIR/envs/MACHINE.json: each machine's env fingerprint, taken on that machine
RAY_INSTALL = "python -m pip install -r requirements-ray.txt"
START_HINT = f"""ray start --head --resources '{{"{SLOT}": 1}}'"""
# The code the nodes run is this checkout's (Ray's working_dir), less what is not code.
SHIP_EXCLUDES = ["/results/", ".git/", "wheels/", ".tox/", ".venv/", "**/__pycache__/", ".hypothesis/"]
MULTIWORKER_SKIP = ("multiworker cells do not run through --cluster (their workers need one machine's "
                    "network set-up): run them with a plain `python -m bench run` on that machine")


@dataclass
class Node:
    """One Ray node the driver may hand cells to, and the machine it runs on."""

    node_id: str
    ip: str
    machine: str
    env: dict[str, Any]
    planned: list[Planned]

    @property
    def label(self) -> str:
        return f"Ray node {self.node_id[:8]} at {self.ip} ({self.machine})"

    def fields(self, placement: str) -> dict[str, Any]:
        """What every record of a cell run here carries about where it ran."""
        return {"machine": self.machine, "machine_env_id": self.env.get("machine_env_id"),
                "ray_node": self.label, "placement": placement}


@dataclass(frozen=True)
class Job:
    """A cell to run and the machines that may run it (one for every-node)."""

    cell: Cell
    machines: tuple[str, ...]


def parse_address(text: str) -> str | None:
    """--cluster's value: None for `ray` (this machine's cluster, or a new one), else a ray:// address."""
    if text == "ray":
        return None
    if re.fullmatch(r"ray://[^\s/]+", text):
        return text
    raise UserError(f"--cluster {text!r}: give `ray` (the Ray cluster $RAY_ADDRESS or `ray start` names "
                    "here, else a new one on this machine) or ray://HOST:PORT (the head's Ray Client port, "
                    "10001)")


def check_options(options: RunOptions) -> None:
    """UserError for options a cluster run cannot take, before any folder is made."""
    parse_address(options.cluster or "")
    if options.download:
        raise UserError("--download does not reach the nodes: each reads its own data folder; run "
                        "`python -m bench datasets download NAME` on each machine (a cell whose data is "
                        "missing on a node is recorded as skipped there, with that command)")


def run(options: RunOptions, spec: MatrixSpec | None, run_dir: Path) -> dict[str, int]:
    """The cells of `bench run --cluster` (inside bench.launch.session.RunSession, which holds RUN_DIR's
    lock): the placement, the cluster, the cells; a count per status."""
    placement = _placement(run_dir, options.placement, options.cluster or "ray")
    ray = connect(parse_address(options.cluster or ""))
    try:
        return _run(ray, run_dir, spec, options.matrix, placement, options.retry_failed)
    finally:
        ray.shutdown()


def ran_on_cluster(run_dir: Path | None) -> bool:
    """True when RUN_DIR was started with --cluster (its resume must be too)."""
    return run_dir is not None and (run_dir / CLUSTER_FILE).is_file()


def _saved_placement(path: Path) -> str:
    """The placement RUN_DIR/cluster.json keeps; a damaged file is one line naming it."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8")).get("placement")
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, AttributeError) as exc:
        raise UserError(f"{path} is damaged ({type(exc).__name__}); it says how this --cluster run placed "
                        "its cells: restore it, or start a new run with another --out") from None
    if saved not in PLACEMENTS:
        raise UserError(f"{path} names placement {saved!r}, not one of {', '.join(PLACEMENTS)}; restore it, "
                        "or start a new run with another --out")
    return str(saved)


def _placement(run_dir: Path, asked: str | None, cluster: str) -> str:
    """The run's placement: the one RUN_DIR was started with (a different --placement is an error), else
    --placement (default spread), saved for later resumes."""
    path = run_dir / CLUSTER_FILE
    if path.is_file():
        saved = _saved_placement(path)
        if asked not in (None, saved):
            raise UserError(f"{run_dir} was run with --placement {saved}; drop --placement "
                            "or use another --out")
        return str(saved)
    placement = asked or "spread"
    store.write_json(path, {"placement": placement, "cluster": cluster})
    return placement


def connect(address: str | None) -> Any:
    """ray, initialised against the cluster (for `ray`: $RAY_ADDRESS or the one `ray start` made here,
    else a new one-node cluster of this machine offering the galaxybench resource)."""
    try:
        import ray
    except ModuleNotFoundError:
        raise UserError(f"--cluster needs Ray, which is not installed here: {RAY_INSTALL}") from None
    options = {"runtime_env": {"working_dir": str(runner.REPO), "excludes": SHIP_EXCLUDES,
                               # one cell at a time per node: the cell's own device setting picks its GPUs
                               "env_vars": {"RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES": "1"}},
               "log_to_driver": False, "configure_logging": False}
    try:
        ray.init(address=address or "auto", **options)
    except ConnectionError as exc:
        if address is not None:
            raise UserError(f"cannot reach the Ray cluster at {address} ({exc}); is its head up "
                            f"(`{START_HINT}`) and port 10001 reachable from here?") from None
        print("no Ray cluster found here ($RAY_ADDRESS, `ray start`); starting a one-node cluster "
              "of this machine")
        ray.init(resources={SLOT: 1}, include_dashboard=False, **options)
    return ray


def _run(ray: Any, run_dir: Path, spec: MatrixSpec | None, matrix_arg: str | None, placement: str,
         retry_failed: bool) -> dict[str, int]:
    """Find the nodes, expand the matrix per machine, record what needs no process, run the rest."""
    nodes = find_nodes(ray, run_dir, spec)
    saved = run_dir / store.MATRIX
    union = merged([n.planned for n in nodes])
    if saved.exists():
        asked = merged([expand(spec, runner.machine_of(n.env)) for n in nodes]) if spec is not None else union
        if {p.cell.cell_id for p in asked} != {p.cell.cell_id for p in union}:
            raise UserError(f"--matrix {matrix_arg} differs from {saved}; drop --matrix to resume that run, "
                            "or use a new --out")
    else:
        from bench.config.expanded import write_expanded

        write_expanded(saved, spec, union)
    (run_dir / "logs").mkdir(exist_ok=True)
    records = store.read_records(run_dir)
    jobs, skips = plan_jobs(placement, union, nodes, records, retry_failed)
    with Appender(run_dir) as appender:  # a full disk keeps them aside, never loses them
        for record in skips:
            appender.append(record)
    print(f"run folder: {run_dir}  ({len(jobs)} cell runs on {len(nodes)} machine(s), placement {placement}; "
          f"{len(skips)} recorded as skipped without a process)")
    for n in nodes:
        print(f"  {n.label}: env {n.env.get('machine_env_id')}, {n.env.get('cpu_model')}, "
              f"{n.env.get('logical_cores')} cores, {n.env.get('gpu_count', 0)} GPU(s)")
    counts = schedule(ray, jobs, nodes, run_dir, placement)
    if skips:
        counts["skipped"] = counts.get("skipped", 0) + len(skips)
    return counts


def find_nodes(ray: Any, run_dir: Path, spec: MatrixSpec | None) -> list[Node]:
    """The alive nodes offering the galaxybench resource, each with its machine's env (taken on it
    unless RUN_DIR/envs has it already) and the matrix expanded for it."""
    alive = [n for n in ray.nodes() if n.get("Alive")]
    usable = [n for n in alive if n.get("Resources", {}).get(SLOT, 0) >= 1]
    if len(usable) < len(alive):
        print(f"note: {len(alive) - len(usable)} node(s) offer no `{SLOT}` resource and get no cells "
              f"(start them with --resources '{{\"{SLOT}\": 1}}')")
    if not usable:
        raise UserError(f"no node of the Ray cluster offers the `{SLOT}` resource; start each one with "
                        f"`{START_HINT}` (the head) or `ray start --address HEAD:6379 --resources "
                        f"'{{\"{SLOT}\": 1}}'`")
    names = _gather(ray, [_on(ray, n["NodeID"], node_task.identity, slot=False) for n in usable], "ask")
    _check_unique([x["machine"] for x in names], usable)
    envs = _envs(ray, run_dir, usable, [x["machine"] for x in names])
    source = load_matrix(str(run_dir / store.MATRIX)) if (run_dir / store.MATRIX).exists() else spec
    nodes = [Node(n["NodeID"], n.get("NodeManagerAddress", "?"), x["machine"], env,
                  with_cluster_skips(shapes.mark_unfit(expand(source, runner.machine_of(env)))))
             for n, x, env in zip(usable, names, envs, strict=True)]
    return sorted(nodes, key=lambda n: n.machine)


def _check_unique(machines: list[str], usable: list[dict[str, Any]]) -> None:
    """UserError when two nodes run on one machine (they would share its cores and its identity)."""
    seen = [m for i, m in enumerate(machines) if m in machines[:i]]
    if seen:
        raise UserError(f"two Ray nodes run on machine {seen[0]!r}; galaxybench runs one node per machine "
                        "(stop the extra `ray start` there)")


def _envs(ray: Any, run_dir: Path, usable: list[dict[str, Any]], machines: list[str]) -> list[dict[str, Any]]:
    """Each machine's env: RUN_DIR/envs/MACHINE.json, else probed on its node (in parallel) and saved."""
    folder = run_dir / ENVS
    folder.mkdir(exist_ok=True)
    found = {m: loader.load_env_file(folder / f"{safe(m)}.json") for m in machines}
    known = {m: env for m, env in found.items() if env is not None}
    todo = [(n, m) for n, m in zip(usable, machines, strict=True) if m not in known]
    if todo:
        print(f"taking the env fingerprint (and GEMM peak) on {len(todo)} machine(s) ...")
    probed = _gather(ray, [_on(ray, n["NodeID"], node_task.probe, True) for n, _ in todo],
                     "take the env fingerprint of")
    for (_, m), env in zip(todo, probed, strict=True):
        store.write_json(folder / f"{safe(m)}.json", env)
        known[m] = env
    _write_summary_env(run_dir)
    return [known[m] for m in machines]


def _gather(ray: Any, refs: list[Any], what: str) -> list[Any]:
    """ray.get of tasks sent to every node; a node whose task fails is a UserError naming it."""
    from ray.exceptions import RayError

    try:
        return ray.get(refs)
    except RayError as exc:
        raise UserError(f"could not {what} a node of the Ray cluster: {_short(exc)}; check that "
                        f"galaxybench's packages ({RAY_INSTALL}, requirements.txt) are installed on every "
                        "machine") from None


def _write_summary_env(run_dir: Path) -> None:
    """RUN_DIR/env.json of a cluster run: which machines ran (each one's own env is in RUN_DIR/envs)."""
    envs = [e for p in sorted((run_dir / ENVS).glob("*.json")) if (e := loader.load_env_file(p)) is not None]
    machines = {e["hostname"]: {"machine_env_id": e.get("machine_env_id"), "cpu_model": e.get("cpu_model"),
                                "logical_cores": e.get("logical_cores"), "gpu_count": e.get("gpu_count", 0),
                                "env": f"{ENVS}/{safe(e['hostname'])}.json"} for e in envs}
    store.write_json(run_dir / store.ENV, {"cluster_machines": machines,
                                           "logical_cores": min(e["logical_cores"] for e in envs)})


def safe(machine: str) -> str:
    """A machine name as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", machine) or "_"


def with_cluster_skips(planned: list[Planned]) -> list[Planned]:
    """The machine's planned cells, multiworker ones skipped (bench.workers sets up one machine's network)."""
    return [Planned(p.cell, p.skip_reason or MULTIWORKER_SKIP) if p.cell.strategy == "multiworker" else p
            for p in planned]


def merged(per_machine: list[list[Planned]]) -> list[Planned]:
    """The union of the machines' planned cells in first-seen order; a cell is runnable when it is on any
    machine (its skip reason: the first machine's, when it runs on none)."""
    out: dict[str, Planned] = {}
    for planned in per_machine:
        for p in planned:
            seen = out.get(p.cell.cell_id)
            if seen is None or (seen.skip_reason and not p.skip_reason):
                out[p.cell.cell_id] = p
    return list(out.values())


def plan_jobs(placement: str, union: list[Planned], nodes: list[Node], records: list[dict[str, Any]],
              retry_failed: bool) -> tuple[list[Job], list[dict[str, Any]]]:
    """The cell runs still owed (resume: a cell recorded for a machine, or in spread for any, is not run
    again, unless its record is a data skip, or failed and retrying) and the skipped records to write."""
    latest = {_key(placement, r.get("machine"), r["cell_id"]): r for r in records}
    jobs: list[Job] = []
    skips: list[dict[str, Any]] = []
    if placement == "every-node":
        for n in nodes:
            for p in n.planned:
                if _owed(latest.get(_key(placement, n.machine, p.cell.cell_id)), retry_failed):
                    _add(p, (n.machine,), n.fields(placement), jobs, skips)
        return jobs, skips
    for p in union:
        if _owed(latest.get(_key(placement, None, p.cell.cell_id)), retry_failed):
            able = tuple(n.machine for n in nodes if any(
                q.cell.cell_id == p.cell.cell_id and q.skip_reason is None for q in n.planned))
            _add(p, able, {"placement": placement}, jobs, skips)
    return jobs, skips


def _add(p: Planned, machines: tuple[str, ...], fields: dict[str, Any], jobs: list[Job],
         skips: list[dict[str, Any]]) -> None:
    """A job for a runnable cell, a skipped record for one that cannot run."""
    if p.skip_reason or not machines:
        skips.append(runner.skipped_record(p.cell, p.skip_reason or "no machine can run it") | fields)
    else:
        jobs.append(Job(p.cell, machines))


def _key(placement: str, machine: str | None, cell_id: str) -> tuple[str | None, str]:
    """What one run of a cell is: per machine in every-node, per cell in spread."""
    return (machine if placement == "every-node" else None, cell_id)


def _owed(record: dict[str, Any] | None, retry_failed: bool) -> bool:
    """Whether a cell run with this latest record (None: none yet) is still to do."""
    if record is None:
        return True
    status, reason = record.get("status"), record.get("reason") or ""
    return (status == "skipped" and reason.startswith(DATA_SKIP_PREFIX)) or (
        retry_failed and status in store.FAILED)


def _on(ray: Any, node_id: str, fn: Any, *args: Any, slot: bool = True, gpus: int = 0) -> Any:
    """fn(*args) as a Ray task pinned to the node (never retried elsewhere); with slot, it holds the
    node's one galaxybench resource while it runs."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return ray.remote(fn).options(
        num_cpus=0, num_gpus=gpus, resources={SLOT: 1} if slot else {}, max_retries=0,
        scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)).remote(*args)


def schedule(ray: Any, jobs: list[Job], nodes: list[Node], run_dir: Path, placement: str) -> dict[str, int]:
    """Hand each idle node the first job it may run, append each record as it returns; a lost node
    gets no more jobs (its cell: an error record naming it). Ctrl-C cancels the running cells."""
    idle = {n.machine: n for n in nodes}
    pending = list(jobs)
    running: dict[Any, tuple[Job, Node, str, float]] = {}
    counts: dict[str, int] = {}
    with Appender(run_dir) as appender:  # a full disk keeps a returned record aside, never loses it
        try:
            while pending or running:
                _start_idle(ray, idle, pending, running, run_dir, placement)
                if not running:
                    break
                ref = ray.wait(list(running), num_returns=1)[0][0]
                job, node, started, t0 = running.pop(ref)
                record, lost = _collect(ray, ref, job, node, started, t0, run_dir, placement)
                if not lost:
                    idle[node.machine] = node
                if job.cell.strategy != "none":
                    machine = record.get("machine")
                    same = [r for r in store.read_records(run_dir) if r.get("machine") == machine]
                    record = scaling.with_scaling(record, same)
                appender.append(record)
                counts[record["status"]] = counts.get(record["status"], 0) + 1
                print(f"{runner.summary_line(record)}  [{record.get('machine')}]", flush=True)
        except BaseException:
            for ref in running:
                ray.cancel(ref, force=True)
            raise
    if pending:
        lost = sorted({m for j in pending for m in j.machines} - set(idle))
        print(f"{len(pending)} cell run(s) not started: every machine that could run them was lost "
              f"({', '.join(lost)}); `python -m bench run --resume --out {run_dir} --cluster ...` runs them "
              "once those nodes are back", file=sys.stderr)
        counts["not run"] = len(pending)
    return counts


def _start_idle(ray: Any, idle: dict[str, Node], pending: list[Job], running: dict[Any, Any], run_dir: Path,
                placement: str) -> None:
    """Give every idle node the first pending job it may run."""
    for machine, node in list(idle.items()):
        job = next((j for j in pending if machine in j.machines), None)
        if job is None:
            continue
        pending.remove(job)
        gpus = len(cell_gpus(job.cell))
        ref = _on(ray, node.node_id, node_task.run, job.cell.config(), run_dir.name, node.env,
                  node.fields(placement), gpus=gpus)
        running[ref] = (job, node, runner.utc_now(), time.perf_counter())
        del idle[machine]


def _collect(ray: Any, ref: Any, job: Job, node: Node, started: str, t0: float, run_dir: Path,
             placement: str) -> tuple[dict[str, Any], bool]:
    """The returned record (its log written to RUN_DIR/logs/MACHINE/), or an error record when the node
    or its task failed; and whether the node is lost (it then gets no more cells)."""
    from ray.exceptions import RayError, RayTaskError

    try:
        out = ray.get(ref)
    except RayTaskError as exc:  # the node's own code raised: the node is still there
        return _failed(job, node, started, t0, placement, f"the task on {node.label} raised: "
                       f"{_short(exc)}"), False
    except RayError as exc:  # the node died, or its worker was killed, during the cell
        return _failed(job, node, started, t0, placement, f"{node.label} was lost during the cell "
                       f"({type(exc).__name__}: {_short(exc)})"), True
    if out["log"]:  # a cell skipped for want of data started no process and has no log
        log = run_dir / "logs" / safe(node.machine) / f"{job.cell.cell_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        store.keep_previous_log(log)
        log.write_text(out["log"], encoding="utf-8")
    return out["record"], bool(out.get("node_lost"))


def _failed(job: Job, node: Node, started: str, t0: float, placement: str, reason: str) -> dict[str, Any]:
    """An error record for a cell whose node or task failed."""
    return runner.base_record(job.cell, "error", reason) | node.fields(placement) | {
        "started_at": started, "finished_at": runner.utc_now(), "wall_s": time.perf_counter() - t0}


def _short(exc: BaseException) -> str:
    """An exception's message on one line, at most 300 characters."""
    return " ".join(str(exc).split())[:300]
