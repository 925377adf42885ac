"""Issue 31's report cases: a report that fails (a full disk, text that is not UTF-8) leaves the previous
one whole, with a one-line error naming the file; summary.md escapes record text as report.html does."""

from __future__ import annotations

import errno
import os
import re

from bench.cli import main
from bench.report import make
from bench.report.summary import md_text

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> a|b\nsecond line [x](javascript:alert(3))"


def _files(run) -> dict:
    return {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}


def test_rep2_a_full_disk_mid_report_leaves_the_old_report_whole(make_run, throughput, monkeypatch, capsys):
    """It used to leave a truncated memory.svg (and delete report.html, summary.md, results.csv)."""
    run = make_run([throughput("a", 10.0), throughput("b", 20.0, batch_size=64)])
    assert main(["report", str(run)]) == 0
    before = _files(run)
    assert any(p.suffix == ".svg" for p in before)
    real, calls = os.fsync, {"n": 0}

    def full_on_the_third(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # a chart, two files into the new report
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", full_on_the_third)
    capsys.readouterr()
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"error: No space left on device: \S+\.(png|svg); check that path .*\n", err), err
    assert _files(run) == before  # byte for byte, and no staging folder left
    assert not list(run.glob(f"{make.STAGING}*"))


def test_rep3_text_that_is_not_utf8_in_a_record_is_set_aside_and_named(make_run, throughput, capsys):
    """A record naming h5:/path/caf\\xe9.h5 (JSON can carry the lone surrogate): the report raised
    UnicodeEncodeError, and on a folder with a report deleted report.html, summary.md and results.csv.
    Such a record is not valid Unicode: the loader sets it aside naming the field (bench.results.schema;
    this machine's runs refuse such names at the start), and the report of the rest is written."""
    run = make_run([throughput("a", 10.0, dataset="h5:/path/caf\udce9.h5"), throughput("b", 10.0)])
    (run / "report.html").write_text("previous")
    assert main(["report", str(run)]) == 0, capsys.readouterr().err
    assert "line 1: dataset has a lone surrogate (not valid Unicode); set aside" in capsys.readouterr().out
    for name in ("report.html", "results.csv"):
        text = (run / name).read_text(encoding="utf-8")
        assert text != "previous" and "caf" not in text


def test_summary_escapes_record_text_like_the_html_report(make_run, throughput):
    failed = throughput("bad", 1.0) | {"status": "error", "reason": HOSTILE, "model": "<b>m|odel</b>"}
    run = make_run([throughput("a", 10.0), failed])
    make.make_report(run)
    text = (run / "summary.md").read_text()
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert md_text(HOSTILE) in text
    section = text.split("## Skipped and failed cells", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.strip().splitlines() if line.startswith("|")]
    cells = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
    assert len(rows) == 3 and len(cells) == 1  # header, rule, one row: no pipe or line break split it


def test_md_text_shows_markup_as_written():
    assert md_text("a_b _c_ *c* `d` [e](f) <g> & h|i\r\nj") == \
        r"a_b \_c\_ \*c\* \`d\` \[e\](f) &lt;g&gt; &amp; h\|i<br>j"
