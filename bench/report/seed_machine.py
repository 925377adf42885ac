"""The seed's desktop as a registry entry (results/machines/), built from its report, never measured.

`python -m bench.report.seed_machine [-o FILE]` rebuilds the file. Each row turns a training the report
timed into end-to-end training images/s: epochs x training images / wall time. The wall time holds more
than training steps (each epoch's validation pass, data augmentation, Keras' overhead), so the figure is
below the pure training speed; the rows carry no step times and no inference figure (the report gives
none).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.report.seed_reference import ACCURACY, EPOCHS, TRAIN_TIME_S
from bench.results.shared import REGISTRY, DerivedRow, SharedResult, write_result
from datasets.specs import split_counts

OUT = REGISTRY / "seed-ryzen-7-7800x3d.json.gz"
LABEL = "Student's Ryzen 7 7800X3D, 8 cores, 32 GB"
# Per dataset: (images in all, the official test set or None for a 20% split, where the numbers come from).
SPLITS: dict[str, tuple[int, int | None, str]] = {
    "mnist": (70_000, 10_000, "the report says only 'training, validation and test subsets': Keras' 60,000 "
                              "/ 10,000 split and the 20% validation of the seed's recipe are assumed"),
    "cifar10": (60_000, 10_000, "60,000 images (the report); its confusion matrix counts 1,000 test images "
                                "per class, so 10,000 test; 20% of the rest for validation (the report)"),
    "galaxy10": (17_736, None, "17,736 images (the report); the report gives no test share: 20% "
                                "(train_test_split's test_size=0.2 in galaxybench's recipe, 3,548 images); "
                                "20% of the rest for validation (the report)"),
}
WALL_TIMES = {
    ("mnist", "mnist_cnn"): "'a little over 3 minutes'",
    ("cifar10", "cifar_cnn"): "'12 minutes'",
    ("galaxy10", "galaxy_cnn"): "'67 minutes' (Model 1)",
    ("galaxy10", "galaxy_deep"): "'35 minutes' (Model 2)",
    ("galaxy10", "densenet121"): "'a little over 9 and a half hours' (Model 3, early stopping at 38 of 50)",
}
ENV = {
    "os": "Windows 10 (64-bit)",
    "cpu_model": "AMD Ryzen 7 7800X3D",
    "logical_cores": 16,
    "physical_cores": 8,
    "ram_gb": 32.0,
    "packages": {},  # the report names no versions
    "tf_version": None,
    "keras_version": None,
    "nvml_gpus": [],
    "tf_gpus": [],
    "gpu_count": 0,
    "gpu_note": "an NVIDIA GeForce RTX 3070 was installed; TensorFlow on Windows did not use it",
}
DERIVATION = (
    "Derived from the seed's report (its wall-clock training times, epochs and split sizes), not measured "
    "by galaxybench: end-to-end training images/s = epochs x training images / training wall time. The "
    "wall time also holds each epoch's validation pass, the data augmentation of the Galaxy10 models and "
    "Keras' overhead (TensorFlow on the CPU, Windows 10, float32), so these figures sit below a measured "
    "throughput cell's training speed. No step times, no inference figure, no GEMM peak: the report gives "
    "none. Times the report calls 'a little over' are taken as stated, so those rates are upper bounds."
)


def split(data: str) -> tuple[int, int, str]:
    """(training images, validation images, where the numbers come from) of the seed's split."""
    total, test, source = SPLITS[data]
    counts = split_counts(total, test)  # galaxybench's recipe: sklearn's rounding of 20% test, 20% validation
    return counts["train"], counts["val"], source


def derived_rows() -> list[DerivedRow]:
    """One row per pair the seed trained, in the report's order."""
    rows = []
    for (data, model), train_s in TRAIN_TIME_S.items():
        train, validation, source = split(data)
        epochs = EPOCHS[(data, model)]
        img_s = epochs * train / train_s
        rows.append(DerivedRow(
            data=data, model=model, epochs=epochs, train_examples=train, validation_examples=validation,
            train_s=train_s, train_img_s=img_s, test_accuracy=ACCURACY.get((data, model)),
            derivation=(f"{epochs} epochs x {train:,} training images / {train_s:,.0f} s (the report's "
                        f"{WALL_TIMES[(data, model)]}) = {img_s:,.1f} images/s end to end; split: {source}"),
        ))
    return rows


def seed_result() -> SharedResult:
    """The seed's desktop as a derived shared result."""
    return SharedResult(
        label=LABEL,
        note="The student's home desktop (Ryzen 7 7800X3D, 32 GB, RTX 3070 unused) from her report; every "
             "figure derived from its wall times.",
        galaxybench_version="seed report (not a galaxybench run)",
        versions={},
        env=ENV,
        derived=True,
        derivation=DERIVATION,
        derived_rows=derived_rows(),
    )


def main(argv: list[str] | None = None) -> int:
    """Write the seed's registry file."""
    parser = argparse.ArgumentParser(prog="python -m bench.report.seed_machine", description=__doc__)
    parser.add_argument("-o", "--out", type=Path, default=OUT, help=f"file to write (default {OUT})")
    args = parser.parse_args(argv)
    print(f"wrote {write_result(seed_result(), args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
