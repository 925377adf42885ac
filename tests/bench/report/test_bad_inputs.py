"""Issue 14's report and compare cases: a bad record is left out with a note (never a traceback), a
failed report leaves no stale report.html, and compare never writes into a run folder it reads."""

from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.errors import UserError
from bench.report import compare_report, make


def test_report_leaves_out_a_record_with_a_non_numeric_batch_size(make_run, throughput, capsys):
    bad = throughput("bad", 5.0) | {"batch_size": "thirty-two"}
    run = make_run([throughput("a", 10.0), bad, throughput("c", 20.0)])
    before = (run / "results.jsonl").read_bytes()
    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"{run / 'results.jsonl'} line 2: batch_size is 'thirty-two', not a whole number" in out
    assert (run / "report.html").exists()
    assert (run / "results.jsonl").read_bytes() == before  # the report only reads


def test_a_report_that_fails_leaves_no_stale_outputs(make_run, throughput, monkeypatch):
    run = make_run([throughput("a", 10.0)])
    make.make_report(run)
    assert (run / "report.html").exists() and (run / "summary.md").exists()

    def broken(*args, **kwargs):
        raise RuntimeError("chart drawing failed (test)")

    monkeypatch.setattr(make.charts, "draw_all", broken)
    with pytest.raises(RuntimeError):
        make.make_report(run)
    assert not any((run / name).exists() for name in make.OUTPUTS)
    assert (run / "results.jsonl").exists()


def test_compare_writes_a_folder_of_its_own_by_default(make_run, throughput, tmp_path, monkeypatch, capsys):
    from bench.results import paths as results_paths

    a = make_run([throughput("c1", 10.0)], name="A")
    b = make_run([throughput("c1", 12.0)], name="B")
    home = tmp_path / "results"
    monkeypatch.setattr(results_paths, "RESULTS_ROOT", home)
    before = {p: p.read_bytes() for d in (a, b) for p in d.rglob("*") if p.is_file()}
    assert main(["compare", str(a), str(b)]) == 0
    after = {p: p.read_bytes() for d in (a, b) for p in d.rglob("*") if p.is_file()}
    assert after == before  # neither run folder was touched
    [out] = home.iterdir()
    assert out.name.startswith("compare-") and out.name.endswith("-A-vs-B")
    assert (out / "compare.html").exists() and (out / "compare.csv").exists()
    assert f"wrote {out / 'compare.html'}" in capsys.readouterr().out


def test_compare_refuses_to_write_into_a_run_folder_or_a_file(make_run, throughput, tmp_path):
    a = make_run([throughput("c1", 10.0)], name="A")
    b = make_run([throughput("c1", 12.0)], name="B")
    with pytest.raises(UserError, match="is a run folder"):
        compare_report.make_compare([a, b], b)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        compare_report.make_compare([a, b], tmp_path / "file")
    assert not (a / "compare").exists() and not (b / "compare.html").exists()


def test_report_files_are_written_atomically(make_run, throughput, monkeypatch):
    """The report's files go through bench.atomic (temp file, then rename): none is written in place."""
    from bench import atomic

    run = make_run([throughput("a", 10.0)])
    written = []
    real = atomic.write_bytes
    monkeypatch.setattr(atomic, "write_bytes",
                        lambda path, data: written.append(path.name) or real(path, data))
    make.make_report(run)
    assert {"report.html", "summary.md", "results.csv"} <= set(written)
    assert not list(run.glob(".*.tmp"))
    json.loads((run / "env.json").read_text())


@pytest.mark.parametrize(("name", "note"), [
    ("env.json", "env.json is damaged"),
    ("matrix.toml", "matrix.toml is not UTF-8 text"),
    ("results.jsonl", "results.jsonl line 1: incomplete: a torn last line; not a record"),
])
def test_files_that_are_not_utf8_are_notes_not_tracebacks(make_run, throughput, name, note):
    from bench.report.load import load_run

    run = make_run([throughput("a", 10.0)])
    (run / name).write_bytes(b"\xff\xfe")
    assert any(note in n for n in load_run(run).notes)


def test_a_pricing_json_that_is_not_utf8_is_one_line(make_run, throughput):
    from bench.report.cost import load_price

    run = make_run([throughput("a", 10.0)])
    (run / "pricing.json").write_bytes(b"\xff")
    with pytest.raises(UserError, match="pricing.json is damaged"):
        load_price(run)


def test_a_file_where_the_charts_folder_goes_is_one_line_and_no_stale_report(make_run, throughput, capsys):
    run = make_run([throughput("a", 10.0)])
    make.make_report(run)
    import shutil

    shutil.rmtree(run / "charts")
    (run / "charts").write_text("in the way")
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: File exists: {run / 'charts'}") and err.count("\n") == 1
    assert not (run / "report.html").exists()
