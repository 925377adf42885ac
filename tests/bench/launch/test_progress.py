"""The run's progress display: the time left counts down inside a long cell from its prediction, and the
bar counts only the cells this run actually runs (the others said in words)."""

from __future__ import annotations

from rich.console import Console

from bench.config.cell import Cell
from bench.config.matrix import Planned
from bench.launch import progress, runner
from bench.launch.datacheck import DATA_SKIP_PREFIX
from bench.launch.predict import Priors
from bench.launch.pruning import Planner
from bench.launch.spawn import base_record, utc_now
from bench.results import store

PRIORS = Priors(peak_fraction={"small": 0.2}, train_flops={("small", "digits"): 1e7}, setup_s={"small": 4.0},
                compile_s={"small": 1.0}, precision_speed={})


class Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_time_left_counts_down_inside_a_cell_and_floors_at_the_cells_after_it():
    clock = Clock()
    countdown = progress.Countdown(clock)
    column = progress.LeftColumn(countdown)
    countdown.start_cell(200.0, after_s=120.0, unknown=0)  # a 200-s DenseNet121 cell, then 2 min more
    seen = []
    for elapsed in (0, 60, 150, 250, 400):
        clock.now = 1000.0 + elapsed
        seen.append(column.render(None).plain)
    assert seen == ["left ~5 min", "left ~4 min", "left ~3 min", "left ~2 min", "left ~2 min"]
    assert countdown.left_s() == 120.0  # past its prediction: the rest of this cell counts 0, not less
    countdown.finished = True
    assert countdown.text() == "0 min"


def test_unknown_cells_are_said_and_durations_read_as_people_write_them():
    countdown = progress.Countdown(Clock())
    countdown.start_cell(None, after_s=3900.0, unknown=2)
    assert countdown.text() == "1 h 05 min (+2 cells unknown)"
    assert progress.duration_text(20.0) == "1 min" and progress.duration_text(0.0) == "0 min"


def _cell(batch: int) -> Cell:
    return Cell("digits", "small", batch_size=batch, timeout_s=60.0, warmup_steps=1, steps=1, repeats=3)


def test_the_bar_counts_the_cells_run_here_and_counts_down_from_each_prediction(tmp_path, monkeypatch):
    planner = Planner(PRIORS, {"cpu": 100.0}, cores=2)
    a, b, c = _cell(32), _cell(64), _cell(128)
    for skipped in (_cell(256), _cell(512)):  # the pre-run data check recorded these two
        store.append_record(tmp_path, runner.skipped_record(skipped, DATA_SKIP_PREFIX + "mnist is not here"))
    cells = [Planned(a), Planned(b, "gpu:3 requested but TensorFlow sees 0 GPU(s)"), Planned(c)]
    predicted = [planner.predict(x).seconds for x in (a, c)]
    bars, left_at_start = [], []

    class Watched(progress.RunProgress):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            bars.append(self)

    def fake_run_cell(cell, run_dir, env):
        left_at_start.append(bars[0].countdown.left_s())
        return base_record(cell, "error", "made up") | {"started_at": utc_now(), "finished_at": utc_now(),
                                                        "wall_s": 1.0}

    monkeypatch.setattr(progress, "RunProgress", Watched)
    monkeypatch.setattr(runner, "run_cell", fake_run_cell)
    console = Console(record=True, width=200, force_terminal=False)
    counts = runner.run_cells(tmp_path, cells, {}, total=5, console=console, planner=planner)
    assert counts == {"error": 2, "skipped": 1}
    task = bars[0].progress.tasks[0]
    assert task.total == 2 and task.completed == 2  # not 3/5 before anything ran
    assert abs(left_at_start[0] - sum(predicted)) < 1.0  # this cell's prediction + the one after it
    assert abs(left_at_start[1] - predicted[1]) < 1.0  # the last cell: its own prediction only
    text = console.export_text()
    assert text.startswith("running 2 cells; not on the bar, of the matrix's 5: 1 that cannot run here "
                           "(recorded as skipped), 2 skipped for missing data (listed above)")
    assert text.rstrip().endswith("left ~0 min")
