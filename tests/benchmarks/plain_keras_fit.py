"""The outside reference for the harness trust benchmark: a plain Keras model.fit on a plain in-memory
tf.data pipeline built here from numpy arrays (nothing from datasets/ feeds it), timed from outside.

usage: python plain_keras_fit.py MODEL HxWxC BATCH STEPS REPEATS [EXAMPLES]
Prints one JSON line: {"img_s_runs": [...]}, each (STEPS - 1) x BATCH / the wall time of one model.fit
call from the end of its first step to its return (a plain LambdaCallback marks that step), so fit()'s
per-call set-up, which a training run pays once, is left out, as the harness's in-fit repeats leave it.
The model comes from the project's registry (the same network as the harness cell); TensorFlow keeps
its default threads, as a cell with threads = "auto" does.
"""

import json
import sys
import time

import numpy as np
import tensorflow as tf

from models.registry import get_model

model_name, shape_text = sys.argv[1], sys.argv[2]
batch, steps, repeats = map(int, sys.argv[3:6])
examples = int(sys.argv[6]) if len(sys.argv) > 6 else 2048
shape = tuple(int(v) for v in shape_text.split("x"))
rng = np.random.default_rng(0)
x = rng.integers(0, 256, size=(examples, *shape), dtype=np.uint8)
y = rng.integers(0, 10, size=examples).astype(np.int32)
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True).cache().repeat()
spec = get_model(model_name)
model = spec.build(shape, 10)
spec.recipe.compile(model)
model.fit(data, steps_per_epoch=10, epochs=1, verbose=0)  # compile + warm-up, untimed
runs, first_end = [], []
mark = tf.keras.callbacks.LambdaCallback(
    on_train_batch_end=lambda i, logs: first_end.append(time.perf_counter()) if i == 0 else None)
for _ in range(repeats):
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[mark])
    runs.append((steps - 1) * batch / (time.perf_counter() - first_end[-1]))
print(json.dumps({"img_s_runs": runs}))
