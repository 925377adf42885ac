"""The outside reference for the harness trust benchmark: a plain Keras model.fit on a plain in-memory
tf.data pipeline built from numpy arrays (plain_feed.py; nothing from datasets/ feeds it), timed from outside.

usage: python plain_keras_fit.py MODEL HxWxC BATCH STEPS REPEATS [EXAMPLES]
Prints one JSON line: {"img_s_runs": [...], "cores": [...]}: for each model.fit call, (STEPS - 1) x
BATCH / the wall time from the end of its first step to the end of its last (a plain LambdaCallback
marks them), and the CPU cores the process used in that window (CPU time / wall time; about 1 on a
2-core machine is TensorFlow's half-speed mode). fit()'s per-call set-up and tear-down, which a
training run pays once per epoch, are left out, as the harness's in-fit repeats leave them: the
tear-down alone took 0.35-0.52 s in one call of three here (2026-11-30), 15% of a 2-s repeat.
The model comes from the project's registry (the same network as the harness cell); TensorFlow keeps
its default threads, as a cell with threads = "auto" does.
"""

import json
import sys
import time

import psutil
import tensorflow as tf

from models.registry import get_model
from tests.benchmarks.plain_feed import plain_batches

model_name, shape_text = sys.argv[1], sys.argv[2]
batch, steps, repeats = map(int, sys.argv[3:6])
examples = int(sys.argv[6]) if len(sys.argv) > 6 else 2048
shape = tuple(int(v) for v in shape_text.split("x"))
data = plain_batches(shape, examples, batch)
spec = get_model(model_name)
model = spec.build(shape, 10)
spec.recipe.compile(model)
model.fit(data, steps_per_epoch=10, epochs=1, verbose=0)  # compile + warm-up, untimed


def cpu_s() -> float:
    """CPU seconds this process has used (user + system)."""
    use = psutil.Process().cpu_times()
    return use.user + use.system


def on_step_end(step: int, logs: dict) -> None:
    """Mark the first and the last step's end, wall and CPU clocks."""
    if step in (0, steps - 1):
        marks.append((time.perf_counter(), cpu_s()))


runs, cores, marks = [], [], []
mark = tf.keras.callbacks.LambdaCallback(on_train_batch_end=on_step_end)
for _ in range(repeats):
    marks.clear()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[mark])
    (wall0, cpu0), (wall1, cpu1) = marks
    runs.append((steps - 1) * batch / (wall1 - wall0))
    cores.append((cpu1 - cpu0) / (wall1 - wall0))
print(json.dumps({"img_s_runs": runs, "cores": cores}))
