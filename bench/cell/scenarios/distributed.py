"""Throughput under MultiWorkerMirroredStrategy: a custom training step through strategy.run.

Keras 3's model.fit fails under MultiWorkerMirroredStrategy ("Attempt to convert a value
(PerReplica...)", keras-team/keras#20585), so this scenario trains with TensorFlow's documented custom
loop instead: the global-batch tf.data pipeline is split over the workers by
strategy.experimental_distribute_dataset (DATA sharding), each replica computes the recipe's loss
(tf.nn.compute_average_loss over the global batch) and applies the model's compiled optimizer (the
recipe's), gradients all-reduced by the strategy. Timed like the throughput scenario: the first step
(tracing) is compile_s, then warmup + steps x repeats steps whose end times are cut into repeats;
every step ends with the loss on the host, so a step's time includes its all-reduce. Inference runs
the model through strategy.run and gathers the predictions (as Keras's predict does). jit_compile
XLA-compiles each replica's forward and backward pass (and the inference forward pass). Each worker
measures itself; the workers' own training rates are all-gathered into worker_train_img_s.
"""

from __future__ import annotations

import time
from typing import Any

from bench.cell.scenarios.feed import input_verdict, pipeline_img_s
from bench.cell.scenarios.workload import Workload
from bench.cell.strategy import global_batch
from bench.cell.trackers.energy import EnergyMeter, energy_fields
from bench.cell.trackers.timing import StepTimer, percentiles_ms, spread
from bench.config.cell import Cell
from bench.config.devices import cell_gpus
from bench.outcome import check_finite


def run(cell: Cell, work: Workload) -> dict[str, Any]:
    """Measure training and inference under the cell's strategy; returns the throughput record fields."""
    import tensorflow as tf

    strategy, b = work.strategy, global_batch(cell)
    warm, steps, repeats = cell.warmup_steps, cell.steps, cell.repeats
    train = work.dataset.tf_dataset("train", b, mode=cell.pipeline, shuffle=True, seed=cell.seed, repeat=True)
    train_step = make_train_step(strategy, work, b, cell.jit_compile)
    batches = iter(distribute(strategy, train))

    t = time.perf_counter()
    check_finite([float(train_step(batches))])
    fields: dict[str, Any] = {"compile_s": time.perf_counter() - t}
    # RAPL counts the whole package: every local worker's energy
    meter = EnergyMeter.for_gpus(cell_gpus(cell))
    timer, losses = timed_steps(lambda: float(train_step(batches)), warm + steps * repeats,
                                at_step={warm: meter.start})
    reading = meter.stop() if meter.started else None
    check_finite(losses)
    got, why = energy_fields(reading, steps * repeats * b)
    why |= _remote_workers_energy(got)
    fields |= {k: v for k, v in got.items() if k not in why} | {"unavailable": why}
    fields |= spread("train_img_s", timer.repeat_img_s(warm, steps, repeats, b))
    fields |= percentiles_ms(timer.step_s(skip=warm))
    fields["worker_train_img_s"] = all_gather(strategy, fields["train_img_s"])

    infer_step = make_infer_step(strategy, work.model, cell.jit_compile)
    infer = iter(distribute(strategy, work.dataset.tf_dataset("train", b, mode=cell.pipeline, repeat=True)))
    infer_step(infer)
    infer_timer, _ = timed_steps(lambda: infer_step(infer), warm + steps * repeats)
    fields |= spread("infer_img_s", infer_timer.repeat_img_s(warm, steps, repeats, b))

    fields["pipeline_img_s"] = pipeline_img_s(train, b, steps * repeats)
    cached = iter(distribute(strategy, tf.data.Dataset.from_tensors(next(iter(train))).repeat()))
    cached_timer, _ = timed_steps(lambda: float(train_step(cached)), 1 + steps)
    fields["cached_train_img_s"] = cached_timer.repeat_img_s(1, steps, 1, b)[0]
    fields |= input_verdict(fields["train_img_s"], fields["cached_train_img_s"])
    fields["train_gflop_s"] = work.fields["train_flops_per_image"] * fields["train_img_s"] / 1e9
    return fields


def distribute(strategy: Any, data: Any) -> Any:
    """The global-batch dataset split over the replicas by TensorFlow (each worker keeps its shard of
    every global batch: AutoShardPolicy.DATA, as the data is one HDF5 file, not a file per worker)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(data.with_options(options))


def make_train_step(strategy: Any, work: Workload, global_batch_size: int, jit_compile: bool = False) -> Any:
    """A tf.function: one global training step (the recipe's loss and the compiled optimizer on every
    replica, gradients all-reduced); returns the global mean loss. With jit_compile, each replica's
    forward and backward pass is XLA-compiled (the all-reduce and the update stay outside XLA)."""
    import keras
    import tensorflow as tf

    model, optimizer = work.model, work.model.optimizer
    per_example_loss = keras.losses.get(work.recipe.loss)

    def loss_and_grads(images: Any, labels: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = tf.nn.compute_average_loss(per_example_loss(labels, predictions),
                                              global_batch_size=global_batch_size)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled = optimizer.scale_loss(loss)  # the loss scale of a mixed_float16 LossScaleOptimizer
        return loss, tape.gradient(scaled, model.trainable_variables)

    forward_backward = tf.function(loss_and_grads, jit_compile=True) if jit_compile else loss_and_grads

    def replica_step(images: Any, labels: Any) -> Any:
        loss, grads = forward_backward(images, labels)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function
    def train_step(batches: Any) -> Any:
        images, labels = next(batches)
        per_replica = strategy.run(replica_step, args=(images, labels))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return train_step


def make_infer_step(strategy: Any, model: Any, jit_compile: bool = False) -> Any:
    """A function running one global inference step: the model on every replica, predictions gathered
    to every worker (as Keras's predict collects them); returns the gathered predictions as numpy."""
    import tensorflow as tf

    forward = tf.function(lambda x: model(x, training=False), jit_compile=jit_compile)

    @tf.function
    def step(batches: Any) -> Any:
        images, _ = next(batches)
        predictions = strategy.run(forward, args=(images,))
        return strategy.gather(predictions, axis=0)

    return lambda batches: step(batches).numpy()


def timed_steps(step: Any, count: int, at_step: dict[int, Any] | None = None) -> tuple[StepTimer, list[Any]]:
    """Run step() count times (it returns once its result is on the host): a StepTimer holding each
    step's begin and end time, as Keras's callbacks would have filled it, and the step results.
    at_step: {i: hook} calls hook() just before step i (the energy meter starts after the warm-up)."""
    timer, results = StepTimer(), []
    for i in range(count):
        if at_step and i in at_step:
            at_step[i]()
        timer.begins.append(time.perf_counter())
        results.append(step())
        timer.ends.append(time.perf_counter())
    return timer, results


def _remote_workers_energy(measured: dict[str, Any]) -> dict[str, str]:
    """Why energy per image is unavailable when some workers run on other machines (the meters
    here read this machine's counters only); {} when every worker is local or nothing was read."""
    import json
    import os

    hosts = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {}).get("worker", [])
    remote = [h for h in hosts if h.rsplit(":", 1)[0] not in ("127.0.0.1", "localhost")]
    if not remote or not measured:
        return {}
    why = f"workers on other machines ({', '.join(remote)}): the counters here read this machine only"
    return {"train_j_per_img": why, "train_img_per_kwh": why}


def all_gather(strategy: Any, value: float) -> list[float]:
    """Every worker's value in worker (task index) order, all-gathered (one replica per worker)."""
    import tensorflow as tf

    @tf.function
    def gather() -> Any:
        per_replica = strategy.run(lambda: tf.constant([value], dtype=tf.float64))
        return strategy.gather(per_replica, axis=0)

    return [float(v) for v in gather().numpy()]
