"""The result record: one JSON object per cell in RUN_DIR/results.jsonl.

FIELDS is the single source of truth for every key a record may carry, with its unit and meaning: the
docs' record fields page (docs/reference/record.md, written by `python -m docs.gen`) is generated from it,
and the record schema (bench.results.schema) types every field of it. Units live in field names (``_s``,
``_ms``, ``_mb``, ``_img_s``, ``_gflop_s``). Absent measurements are ``null`` (never 0), and
``unavailable`` says why where a tracker could not measure.
"""

from __future__ import annotations

from bench.config.axes import CELL_FIELDS

# The record's format version; bench/results/schema.py types it and bench/results/loader.py migrates older
# records to it. 2: every record validated by that schema; a version-1 or unversioned record is migrated.
SCHEMA_VERSION = 2

# The statuses a cell can end with: a cell whose latest record has one of them is done (resume skips it).
# A status not listed here (a newer galaxybench's, "queued") is kept in the record but never counts as done.
STATUSES = ("ok", "skipped", "oom", "error", "timeout", "nan", "pruned")

# The cell's configuration, copied flat into every record: the cell axes of bench/config/axes.py.
CONFIG_FIELDS: dict[str, str] = {axis.name: axis.description for axis in CELL_FIELDS}

MEASUREMENT_FIELDS: dict[str, str] = {
    # identity and outcome
    "schema_version": "record format version",
    "cell_id": "stable id of the cell config (same config, same id, across runs and machines)",
    "status": "ok, skipped, oom, error, timeout, nan, or pruned (not run: predicted far over its budget; "
              "reason gives the prediction and its evidence)",
    "reason": "why the cell is not ok (skipped/failed), one line; null when ok",
    "log_tail": "last lines of the cell's log when it failed",
    "started_at": "ISO-8601 UTC time the cell's process started",
    "finished_at": "ISO-8601 UTC time the record was written",
    "wall_s": "whole cell wall time, process start to record, seconds",
    "batch_size_requested": "\"max\" when the matrix asked for the largest batch that fits (else absent)",
    "batch_search": "how a \"max\" batch was found: method (GPU: grow x2 until out of memory, then bisect; "
                    "CPU: peak RSS at two batches extrapolated to 80% of RAM), every try, a note",
    "predicted_s": "the wall time predicted before the cell ran (bench.launch.pruning), seconds",
    "prediction_basis": "what predicted_s rests on: measured cells of this run, a FLOPs ratio, or priors",
    "setup_s": "process start to scenario start (interpreter, TensorFlow import, data, model build), seconds",
    "scenario_s": "the mode's own work (warm-up, timed runs, evaluation), seconds",
    "synthetic": "true when the data is synthetic (no accuracy is ever reported for it)",
    "data_verified": "true when the data file's checksum matched the published one",
    "dataset_path": "the HDF5 file the cell read",
    "input_shape": "image shape fed to the model [H, W, C]",
    "num_classes": "number of classes",
    "train_examples": "examples in the training split used",
    "full_epoch_examples": "training images per epoch of the full real dataset (stands_for's if synthetic)",
    "device_name": "what the backend ran on (CPU model or GPU name)",
    "tf_version": "TensorFlow version in the cell's process (null when it imported no TensorFlow)",
    "keras_version": "Keras version in the cell's process",
    "backend_version": "version of the cell's backend package (tensorflow, jax or torch)",
    "input_feed": "what fed the model: tf.data (the pipeline modes) or numpy (keras PyDataset over h5py, "
                  "no TensorFlow)",
    "unavailable": "{measurement: reason} for trackers that could not measure here",
    "worker_network": "multiworker: where the workers' TensorFlow servers listened: a private network "
                      "namespace (unreachable from other hosts), the host network (opted in with "
                      "--expose-workers), or the user's TF_CONFIG cluster",
    # where it ran (bench run --cluster; absent on a one-machine run)
    "machine": "--cluster: the machine the cell ran on (its host name); its env is RUN_DIR/envs/MACHINE.json",
    "machine_env_id": "--cluster: id of that machine's env fingerprint (hardware and software; same id, "
                      "same machine and install)",
    "ray_node": "--cluster: the Ray node that ran the cell (node id, address, machine)",
    "placement": "--cluster: spread (each cell once, on any machine) or every-node (every cell on every "
                 "machine)",
    # model
    "params": "trainable + non-trainable parameters",
    "forward_flops_per_image": "forward-pass FLOPs per image (multiply-add = 2 FLOPs)",
    "train_flops_per_image": "training FLOPs per image (3 x forward)",
    # throughput
    "compile_s": "first (tracing/compiling) train step, seconds, excluded from throughput",
    "train_img_s": "median training images/second over repeats (every timed step a full batch)",
    "train_img_s_min": "slowest repeat",
    "train_img_s_max": "fastest repeat",
    "train_img_s_runs": "each repeat's training images/second",
    "train_repeat_steps": "timed training steps in each repeat (time-boxed: min_time_s/steps/max_time_s)",
    "train_warmup_steps_run": "untimed training warm-up steps actually run",
    "infer_img_s": "median inference images/second over repeats",
    "infer_img_s_min": "slowest repeat",
    "infer_img_s_max": "fastest repeat",
    "infer_img_s_runs": "each repeat's inference images/second",
    "infer_repeat_steps": "timed inference steps in each repeat",
    "train_cpu_cores": "CPU cores the cell's process used while its training repeats were timed (CPU "
                       "time / wall time, every thread): about 1 on a 2-core machine is TensorFlow's "
                       "half-speed mode",
    "infer_cpu_cores": "CPU cores the cell's process used while its inference repeats were timed",
    "cached_train_cpu_cores": "CPU cores the cell's process used during the model-only (cached batch) "
                              "repeats",
    "infer_warmup_steps_run": "untimed inference warm-up steps actually run",
    "step_ms_p50": "training step time, 50th percentile, milliseconds",
    "step_ms_p90": "training step time, 90th percentile, milliseconds",
    "step_ms_p99": "training step time, 99th percentile, milliseconds",
    "pipeline_img_s": "the input pipeline alone, images/second",
    "cached_train_img_s": "model-only training images/second: one batch held as a constant, with every "
                          "input-pipeline iterator released (median over repeats)",
    "input_efficiency": "train_img_s / cached_train_img_s: the share of model-only speed kept end to end",
    "input_bound": "true when input_efficiency is below 0.95 (the input pipeline costs training > 5%)",
    "unstable": "true when the timed repeats disagreed by more than 10% ((max - min) / median), were "
                "measured once more, and still disagreed",
    "unstable_runs": "when unstable: both sets of training repeats, images/second [[first], [second]]",
    "train_img_s_remeasured_runs": "the first set of training repeats, images/second, when they disagreed "
                                   "by more than 10% and were measured again (train_img_s_runs: the second)",
    # clocks during the timed training window
    "cpu_mhz": "median CPU clock over the timed window (Linux cpufreq, else psutil), MHz",
    "cpu_mhz_min": "lowest CPU clock sampled in the timed window, MHz",
    "cpu_mhz_max": "highest CPU clock sampled in the timed window, MHz",
    "gpu_sm_mhz": "median GPU SM clock over the timed window (NVML), MHz",
    "gpu_sm_mhz_min": "lowest GPU SM clock sampled in the timed window, MHz",
    "gpu_sm_mhz_max": "highest GPU SM clock sampled in the timed window, MHz",
    "gpu_temp_c_max": "highest GPU temperature sampled in the timed window, degrees C",
    "gpu_throttle_reasons": "NVML slowdown reasons seen in the timed window (power cap, thermal, hardware)",
    "throttled": "true when a clock fell more than 10% during timing or NVML reported a slowdown; null when "
                 "no clock could be read (see unavailable)",
    "throttle_reason": "what throttled, one line (null when not throttled)",
    # other processes on the machine while the cell ran (bench.launch.contention)
    "others_cpu_s": "CPU seconds other processes used while the cell ran: the whole system's busy CPU time "
                    "(psutil; a virtual machine's steal time included) minus the cell's own process tree "
                    "and the runner's process; null where the OS cannot tell (see unavailable)",
    "others_cpu_cores": "others_cpu_s per second of the cell's wall_s: 1 = other processes kept one core "
                        "busy the whole time",
    "contended": "true when others_cpu_cores > 0.5: other processes used more than half a core while the "
                 "cell ran, so its figures may read low",
    "train_gflop_s": "achieved training GFLOP/s (train_flops_per_image x train_img_s)",
    "peak_gflop_s": "measured float32 GEMM peak of the device, GFLOP/s",
    "peak_fraction": "train_gflop_s / peak_gflop_s",
    # distribution
    "global_batch_size": "images per step over all replicas (batch_size x replicas)",
    "per_replica_batch_size": "images per replica per step",
    "train_loop": "how training ran: model.fit, or a custom step through strategy.run (multiworker)",
    "worker_train_img_s": "multiworker: each worker's own training images/second "
                          "(global batch / its step time)",
    "scaling_reference": "cell_id of the single-replica cell (strategy none) that scaling_efficiency "
                         "compares with",
    "scaling_efficiency": "train_img_s / (replicas x the reference's train_img_s); 1 = perfect scaling",
    # energy
    "energy_sources": "energy counters read for this cell, e.g. [rapl:package-0, nvml:gpu:0]",
    "energy_method": "{source: how it was measured: counter (RAPL / NVML total energy) or power sampling}",
    "energy_window_s": "seconds the energy was measured over (the timed training steps, or the whole fit)",
    "energy_j": "joules used over the window by all sources together",
    "cpu_energy_j": "CPU package energy over the window (RAPL), joules",
    "gpu_energy_j": "GPU energy over the window (NVML), joules",
    "train_j_per_img": "training energy per image, joules",
    "train_img_per_kwh": "training images per kilowatt-hour",
    # memory
    "peak_rss_mb": "peak resident memory of the cell's process (Linux VmHWM, Windows peak working set, "
                   "macOS ru_maxrss), MiB",
    "rss_timeline_mb": "sampled [seconds, MB] pairs of the process's resident memory",
    "gpu_peak_mb": "peak GPU memory of the backend's allocator, MB: TensorFlow get_memory_info peak, "
                   "torch.cuda.max_memory_allocated, jax memory_stats peak_bytes_in_use (null without a GPU)",
    "gpu_nvml_used_mb": "GPU memory in use per NVML at the end of the cell, MB",
    # train / budget
    "epochs_run": "epochs actually trained",
    "epoch_s": "wall time of each epoch, seconds",
    "history": "per-epoch {loss, accuracy, val_loss, val_accuracy}",
    "best_epoch": "epoch whose weights were restored (1-based)",
    "train_s": "training wall time, seconds",
    "time_to_target_s": "training seconds until val accuracy first reached target_accuracy (null: never)",
    "test_accuracy": "accuracy on the held-out test split",
    "test_loss": "loss on the held-out test split",
    "macro_precision": "unweighted mean of per-class precision",
    "macro_recall": "unweighted mean of per-class recall",
    "macro_f1": "unweighted mean of per-class F1",
    "weighted_precision": "support-weighted mean of per-class precision",
    "weighted_recall": "support-weighted mean of per-class recall",
    "weighted_f1": "support-weighted mean of per-class F1",
    "per_class": "[{class, name, precision, recall, f1, support}] on the test split",
    "confusion_matrix": "counts, rows = true class, columns = predicted class",
    "class_names": "class names in label order",
}

FIELDS: dict[str, str] = {**CONFIG_FIELDS, **MEASUREMENT_FIELDS}

# Scalar numeric fields (the reports convert them to numbers; a test checks each is in FIELDS).
NUMERIC_FIELDS: tuple[str, ...] = (
    "batch_size", "replicas", "global_batch_size", "per_replica_batch_size", "scaling_efficiency",
    "seed", "epochs", "budget_s", "target_accuracy", "wall_s", "predicted_s", "params",
    "forward_flops_per_image", "train_flops_per_image", "compile_s", "train_img_s", "train_img_s_min",
    "train_img_s_max",
    "infer_img_s", "infer_img_s_min", "infer_img_s_max", "step_ms_p50", "step_ms_p90", "step_ms_p99",
    "pipeline_img_s", "cached_train_img_s", "input_efficiency", "train_cpu_cores", "infer_cpu_cores",
    "cached_train_cpu_cores", "cpu_mhz", "cpu_mhz_min", "cpu_mhz_max",
    "gpu_sm_mhz", "gpu_sm_mhz_min", "gpu_sm_mhz_max", "gpu_temp_c_max", "train_gflop_s", "peak_gflop_s",
    "peak_fraction",
    "peak_rss_mb", "gpu_peak_mb", "gpu_nvml_used_mb", "epochs_run", "best_epoch", "train_s",
    "time_to_target_s", "test_accuracy", "test_loss", "macro_precision", "macro_recall", "macro_f1",
    "weighted_precision", "weighted_recall", "weighted_f1", "full_epoch_examples", "train_examples",
    "num_classes", "energy_window_s", "energy_j", "cpu_energy_j", "gpu_energy_j", "train_j_per_img",
    "train_img_per_kwh", "others_cpu_s", "others_cpu_cores",
)

# Accuracy measurements: never shown for synthetic data (the report also scrubs them on load).
ACCURACY_FIELDS: tuple[str, ...] = (
    "test_accuracy", "time_to_target_s", "macro_precision", "macro_recall", "macro_f1",
    "weighted_precision", "weighted_recall", "weighted_f1", "per_class", "confusion_matrix",
)


def markdown_table() -> str:
    """FIELDS as one Markdown table (`python -m bench.config.record`); the docs' record fields page is
    docs.gen's, grouped into settings and measurements."""
    rows = ["| field | meaning (unit) |", "| --- | --- |"]
    rows += [f"| `{name}` | {text.replace('|', '/')} |" for name, text in FIELDS.items()]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
