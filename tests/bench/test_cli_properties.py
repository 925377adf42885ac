"""Property-based (hypothesis): generated command lines thrown at `python -m bench` (the commands that
only read or plan: no download, no long run). Each is a success or exit 2 with one `error:` line; never
a traceback; the run folder's records are never changed by a command that only reads them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.cli import main
from bench.launch import runner
from bench.results import paths as results_paths

ENV = {"logical_cores": 2, "gpu_count": 0, "hostname": "test", "packages": {"tensorflow": "x"}}
MATRIX = 'name = "t"\n\n[[cells]]\ndataset = "digits"\nmodel = "mnist_cnn"\ndevice = "gpu:7"\n'


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Paths the generated arguments may name: a finished run folder, a file, a folder, a missing path."""
    from bench.config.matrix import load_matrix

    base = tmp_path_factory.mktemp("cli")
    run = base / "run"
    (run / "logs").mkdir(parents=True)
    (run / "matrix.toml").write_text(MATRIX)
    (run / "env.json").write_text(json.dumps(ENV))
    cell_id = load_matrix(str(run / "matrix.toml")).cells[0].cell_id
    (run / "results.jsonl").write_text(json.dumps({"cell_id": cell_id, "status": "skipped"}) + "\n")
    (base / "file.txt").write_text("not a matrix")
    (base / "folder").mkdir()
    return {"run": str(run), "file": str(base / "file.txt"), "folder": str(base / "folder"),
            "missing": str(base / "missing" / "x"), "base": str(base)}


def argv_for(places: dict[str, str]) -> st.SearchStrategy[list[str]]:
    """A command line: a command, its positional arguments and flags with values drawn from paths
    (a finished run folder, a file, a folder, a missing path), names, numbers and any text."""
    text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
    path = st.one_of(st.sampled_from([places[k] for k in ("run", "file", "folder", "missing")]), text)
    number = st.one_of(st.sampled_from(["0", "-1", "1e9", "nan", "inf", "0.5", "0.12", "abc", ""]), text)
    name = st.one_of(st.sampled_from(["digits", "mnist", "cifar10", "galaxy10", "h5:/nope.h5",
                                      f"h5:{places['file']}", "synthetic:8x8x1:2:64", "synthetic:0x0"]), text)

    def flag(flag: str, value: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[list[str]]:
        present = st.just([flag]) if value is None else value.map(lambda v: [flag, v])
        return st.one_of(st.just([]), present)

    def line(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        return st.tuples(*parts).map(lambda groups: [t for g in groups for t in g])

    one = st.builds(lambda v: [v], path)
    commands = [
        line(st.just(["plan"]), flag("--matrix", st.one_of(path, st.sampled_from(["ci", "quick", "nope"])))),
        line(st.just(["report"]), one, flag("--budget-s", number), flag("--price-per-kwh", number)),
        line(st.just(["compare"]), st.lists(path, min_size=0, max_size=3), flag("--out", path),
             flag("--alpha", number)),
        line(st.just(["datasets"]), flag("--data-dir", path),
             st.one_of(st.just([]), st.just(["list"]), name.map(lambda n: ["verify", n]),
                       st.tuples(name, path).map(lambda np_: ["import", *np_]))),
        line(st.just(["models"]), flag("--json")),
        line(st.just(["run"]), flag("--resume"), flag("--out", path),
             flag("--retry", st.sampled_from(["failed", "all"])), flag("--no-report"),
             flag("--price-per-kwh", number), flag("--expose-workers")),
    ]
    extra = st.one_of(st.just([]), st.just([]), st.just([]), text.map(lambda t: [t]))
    return st.tuples(st.one_of(*commands), extra).map(lambda c: c[0] + c[1])


@pytest.fixture
def quiet_machine(monkeypatch: pytest.MonkeyPatch, places: dict[str, str]) -> None:
    """No environment probe (plan), results and data in the test's folder, which is also the working
    directory (a generated relative path, e.g. --data-dir TEXT, lands there, never in the checkout)."""
    monkeypatch.chdir(places["base"])
    monkeypatch.setattr(runner, "probe_env", lambda peak: ENV)
    monkeypatch.setattr(results_paths, "RESULTS_ROOT", Path(places["base"]) / "results")
    monkeypatch.setenv("BENCH_DATA_DIR", str(Path(places["base"]) / "data"))
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(Path(places["base"]) / "results"))


def _main(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse: a bad flag (2) or --help (0)
            rc = int(exc.code or 0)
    return rc, err.getvalue()


@given(data=st.data())
def test_any_command_line_is_a_result_or_one_line(places, quiet_machine, data):
    argv = data.draw(argv_for(places))
    records = Path(places["run"], "results.jsonl").read_bytes()
    rc, err = _main(argv)
    assert "Traceback" not in err, (argv, err)
    assert rc == 0 or (rc == 2 and err.startswith("error: ") and err.count("\n") == 1), (argv, rc, err)
    after = Path(places["run"], "results.jsonl").read_bytes()
    assert after == records or (argv[0] == "run" and after.startswith(records)), argv
