"""The generated pages (python -m docs.gen) are what the code gives now, and the check notices when not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docs import gen
from tests.bench.results.made_up_run import record

FAST = ["reference/cli.md", "reference/record.md", "reference/matrix.md", "README.md"]


def test_every_generated_text_is_written_by_one_of_the_checks() -> None:
    assert set(gen.PAGES) | {"README.md"} == set(FAST) | {"reference/models.md"}


def test_the_cli_record_and_matrix_pages_and_the_readme_table_are_current() -> None:
    stale = gen.stale(gen.expected(FAST))
    assert not stale, f"stale: {[str(p.relative_to(gen.REPO)) for p in stale]}; run python -m docs.gen"


@pytest.mark.slow  # builds all five models (DenseNet121 at 256x256) to count parameters and FLOPs
def test_the_models_page_is_current() -> None:
    stale = gen.stale(gen.expected(["reference/models.md"]))
    assert not stale, "docs/reference/models.md is stale; run python -m docs.gen"


def test_a_page_that_differs_from_the_code_is_named_stale(tmp_path: Path) -> None:
    page = tmp_path / "record.md"
    page.write_text(gen.record_page(), encoding="utf-8")
    assert gen.stale({page: gen.record_page()}) == []
    page.write_text(gen.record_page().replace("`wall_s`", "`wall_seconds`"), encoding="utf-8")
    missing = tmp_path / "gone.md"
    assert gen.stale({page: gen.record_page(), missing: "text"}) == [page, missing]


def test_check_exits_1_and_names_the_stale_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "docs" / "reference" / "cli.md"
    monkeypatch.setattr(gen, "REPO", tmp_path)
    monkeypatch.setattr(gen, "expected", lambda names=None: {page: "the code's text\n"})
    assert gen.main(["--check"]) == 1 and not page.exists()
    assert "stale: docs/reference/cli.md" in capsys.readouterr().out
    assert gen.main([]) == 0 and page.read_text(encoding="utf-8") == "the code's text\n"
    assert gen.main(["--check"]) == 0


def test_the_cli_page_shows_every_command_and_flag() -> None:
    from bench.cli import build_parser

    text = gen.cli_page()
    for sub, _ in gen._subcommands(build_parser()):
        assert f"`{sub.prog}`" in text
        flags = [f for a in sub._actions for f in a.option_strings if f not in ("-h", "--help")]
        assert all(f"`{flag}" in text for flag in flags), sub.prog


def test_the_record_page_lists_every_field_once() -> None:
    from bench.config.record import FIELDS

    text = gen.record_page()
    assert all(text.count(f"| `{name}` |") == 1 for name in FIELDS)


def test_the_readme_quick_table_is_made_from_the_records(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "env.json").write_text('{"cpu_model": "Made-up CPU", "logical_cores": 4, "ram_gb": 16.2, '
                                  '"gpu_count": 0, "tf_version": "9.9"}', encoding="utf-8")
    times = {"started_at": "2000-01-01T00:00:00+00:00", "finished_at": "2000-01-01T00:01:05+00:00"}
    rows = [record("a", 1234.4, batch_size=32, infer_img_s=99.94, peak_rss_mb=800.2, **times),
            record("b", 7.777, batch_size=128, infer_img_s=12.34, peak_rss_mb=901.0, **times),
            record("c", 1.0, status="error", batch_size=64, **times)]
    (run / "results.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n", encoding="utf-8")
    table = gen.quick_table(run)
    machine = "Made-up CPU, 4 logical cores, 16 GB RAM, no GPU, TensorFlow 9.9"
    assert f"{machine}: 2 of 3 cells ok, 1 min 5 s" in table
    assert "| mnist/mnist_cnn | 32 / 128 | 1,234 / 7.78 | 99.9 / 12.3 | 901 |  |" in table
