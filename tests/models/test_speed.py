"""The side-by-side speed check: a real measurement of a small model, and the interleaved rounds."""

from __future__ import annotations

import pytest

from models import speed


def test_measure_trains_and_counts_images() -> None:
    assert speed.measure("mnist_cnn", batch=8, warmup=1, steps=2) > 0


def test_rounds_interleave_and_report_the_median_ratio(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []
    figures = iter([20.0, 10.0, 30.0, 10.0, 9.0, 10.0])  # made-up img/s: ratios 2, 3, 0.9

    def fake_child(name: str, batch: int, warmup: int, steps: int) -> float:
        calls.append(name)
        return next(figures)

    monkeypatch.setattr(speed, "_child", fake_child)
    assert speed.main(["galaxy_deep", "galaxy_cnn", "--rounds", "3"]) == 0
    assert calls == ["galaxy_deep", "galaxy_cnn"] * 3
    out = capsys.readouterr().out
    assert "median train img/s ratio galaxy_deep / galaxy_cnn: 2.000 (time ratio 0.500)" in out


def test_child_process_prints_its_figure() -> None:
    assert speed._child("mnist_cnn", batch=8, warmup=1, steps=2) > 0
