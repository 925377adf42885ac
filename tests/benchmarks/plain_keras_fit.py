"""A plain, hand-written Keras training loop timed from outside, for the harness trust benchmark.

usage: python plain_keras_fit.py DATASET MODEL BATCH STEPS REPEATS
Prints one JSON line: {"img_s_runs": [...]} (each: STEPS x BATCH / wall time of one model.fit call).
"""

import json
import sys
import time

import tensorflow as tf  # noqa: F401  (TensorFlow initialises here, with its default threads)

from datasets.api import open_dataset
from models.registry import get_model

dataset, model_name, batch, steps, repeats = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
ds = open_dataset(dataset)
spec = get_model(model_name)
model = spec.build(ds.image_shape, ds.num_classes)
spec.recipe.compile(model)
data = ds.tf_dataset("train", batch, shuffle=True, repeat=True)
model.fit(data, steps_per_epoch=10, epochs=1, verbose=0)  # compile + warm-up, untimed
runs = []
for _ in range(repeats):
    t = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    runs.append(steps * batch / (time.perf_counter() - t))
print(json.dumps({"img_s_runs": runs}))
