"""The trust check's in-process half: one model trained alternately on the harness's feed (a synthetic
split in a pipeline mode, with the harness's timed-fit callbacks attached) and on the plain in-memory
tf.data pipeline of plain_feed.py (the reference of both halves), in one fresh process, so the ratio
isolates what the harness's feed and trackers cost without the +-10% that separates one fresh process
from the next.

usage: python feed_in_one_process.py MODEL HxWxC BATCH STEPS ROUNDS MODE [EXAMPLES]
Prints one JSON line: {"plain_img_s": [...], "harness_img_s": [...]}, one value per round: (STEPS - 1) x
BATCH / the wall time from the end of a model.fit call's first step to the end of its last (a plain
LambdaCallback marks both, on both sides). Rounds alternate which side fits first (ABBA).
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import keras
import tensorflow as tf

from bench.cell.scenarios.throughput import timed_fit_callbacks
from bench.cell.trackers.timing import UNBOUNDED_STEPS, TimeBox
from bench.config.cell import Cell
from datasets.api import open_dataset
from models.registry import get_model
from tests.benchmarks.plain_feed import plain_batches

model_name, shape_text = sys.argv[1], sys.argv[2]
batch, steps, rounds = map(int, sys.argv[3:6])
mode = sys.argv[6]
examples = int(sys.argv[7]) if len(sys.argv) > 7 else 2048
shape = tuple(int(v) for v in shape_text.split("x"))
plain = plain_batches(shape, examples, batch)
name = f"synthetic:{shape_text}:10:{examples}"
dataset = open_dataset(name, data_dir=Path(tempfile.mkdtemp(prefix="galaxybench-feed-")))
harness = dataset.batches("train", batch, mode=mode, shuffle=True, seed=0, repeat=True)
cell = Cell(name, model_name, batch_size=batch, pipeline=mode)
spec = get_model(model_name)
model = spec.build(shape, 10)
spec.recipe.compile(model)
for data in (plain, harness):
    model.fit(data, steps_per_epoch=10, epochs=1, verbose=0)  # compile + warm-up, untimed


def trackers() -> list[keras.callbacks.Callback]:
    """The callbacks the harness's timed fit attaches, with a time box too long to stop this fit."""
    box = TimeBox(warmup_steps=1, min_steps=UNBOUNDED_STEPS, repeats=1, min_s=1e9, max_s=1e9)
    return list(timed_fit_callbacks(cell, box))


def timed(data: tf.data.Dataset, extra: list[keras.callbacks.Callback]) -> float:
    """img/s of one model.fit of STEPS steps, first step end to last step end."""
    marks: list[float] = []

    def on_step_end(step: int, logs: dict) -> None:
        if step in (0, steps - 1):
            marks.append(time.perf_counter())

    mark = keras.callbacks.LambdaCallback(on_train_batch_end=on_step_end)
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[*extra, mark])
    return (steps - 1) * batch / (marks[1] - marks[0])


out: dict[str, list[float]] = {"plain_img_s": [], "harness_img_s": []}
for k in range(rounds):
    sides = [("harness_img_s", harness, trackers), ("plain_img_s", plain, list)]
    for key, data, extra in sides[:: -1 if k % 2 else 1]:
        out[key].append(timed(data, extra()))
print(json.dumps(out))
