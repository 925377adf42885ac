"""The student's own results, transcribed from her report (the verbatim tables are in
tests/data/seed_results_tables.txt, which a test checks this against): the reference columns of the
report's seed tables. Model 1 = galaxy_cnn, Model 2 = galaxy_deep, Model 3 = densenet121.

Figures are as printed (two decimals, times as stated); she trained on an 8-core Ryzen 7 7800X3D
CPU (TensorFlow on Windows did not use its GPU).
"""

from __future__ import annotations

# (dataset, model) -> the seed's name for it, in the order of its tables.
GALAXY_MODELS = {"galaxy_cnn": "Model 1", "galaxy_deep": "Model 2", "densenet121": "Model 3"}
GALAXY_DATASET = "galaxy10"
# The seed's class labels, in Galaxy10 DECaLS label order (0 Disturbed .. 9 Edge-on with Bulge).
GALAXY_CLASSES = (
    "Disturbed",
    "Merging",
    "Round Smooth",
    "In-Between Round Smooth",
    "Cigar Shaped",
    "Barred Spiral",
    "Unbarred Tight Spiral",
    "Unbarred Loose Spiral",
    "Edge-on Without Bulge",
    "Edge-on with Bulge",
)
METRICS = {"precision": "Precision", "recall": "Recall", "f1": "F1-Score"}

# metric -> model -> one value per class in GALAXY_CLASSES order (the seed's results table).
GALAXY_PER_CLASS: dict[str, dict[str, tuple[float, ...]]] = {
    "precision": {
        "galaxy_cnn": (0.00, 0.65, 0.71, 0.62, 0.50, 0.54, 0.63, 0.42, 0.78, 0.68),
        "galaxy_deep": (0.28, 0.45, 0.84, 0.83, 0.61, 0.80, 0.64, 0.47, 0.80, 0.79),
        "densenet121": (0.67, 0.83, 0.89, 0.89, 0.75, 0.74, 0.77, 0.62, 0.93, 0.90),
    },
    "recall": {
        "galaxy_cnn": (0.00, 0.42, 0.89, 0.75, 0.01, 0.45, 0.49, 0.66, 0.70, 0.80),
        "galaxy_deep": (0.04, 0.87, 0.86, 0.80, 0.42, 0.49, 0.55, 0.58, 0.71, 0.74),
        "densenet121": (0.25, 0.84, 0.86, 0.89, 0.61, 0.88, 0.65, 0.78, 0.85, 0.93),
    },
    "f1": {
        "galaxy_cnn": (0.00, 0.51, 0.79, 0.68, 0.03, 0.49, 0.55, 0.51, 0.74, 0.74),
        "galaxy_deep": (0.07, 0.59, 0.85, 0.82, 0.50, 0.61, 0.59, 0.52, 0.75, 0.77),
        "densenet121": (0.37, 0.84, 0.88, 0.89, 0.67, 0.81, 0.71, 0.69, 0.89, 0.91),
    },
}

# average ("macro", "weighted") -> metric -> model (the seed's averages table).
GALAXY_AVERAGES: dict[str, dict[str, dict[str, float]]] = {
    "macro": {
        "precision": {"galaxy_cnn": 0.55, "galaxy_deep": 0.65, "densenet121": 0.80},
        "recall": {"galaxy_cnn": 0.52, "galaxy_deep": 0.61, "densenet121": 0.76},
        "f1": {"galaxy_cnn": 0.50, "galaxy_deep": 0.61, "densenet121": 0.77},
    },
    "weighted": {
        "precision": {"galaxy_cnn": 0.58, "galaxy_deep": 0.67, "densenet121": 0.80},
        "recall": {"galaxy_cnn": 0.60, "galaxy_deep": 0.66, "densenet121": 0.80},
        "f1": {"galaxy_cnn": 0.58, "galaxy_deep": 0.65, "densenet121": 0.79},
    },
}

# (dataset, model) -> test accuracy, training time in seconds, epochs trained (the seed's text).
ACCURACY: dict[tuple[str, str], float] = {
    ("mnist", "mnist_cnn"): 0.97,
    ("cifar10", "cifar_cnn"): 0.73,
    ("galaxy10", "galaxy_cnn"): 0.60,
    ("galaxy10", "galaxy_deep"): 0.66,
    ("galaxy10", "densenet121"): 0.80,
}
TRAIN_TIME_S: dict[tuple[str, str], float] = {
    ("mnist", "mnist_cnn"): 3 * 60,  # "a little over 3 minutes"
    ("cifar10", "cifar_cnn"): 12 * 60,
    ("galaxy10", "galaxy_cnn"): 67 * 60,
    ("galaxy10", "galaxy_deep"): 35 * 60,
    ("galaxy10", "densenet121"): 9.5 * 3600,  # "a little over 9 and a half hours"
}
EPOCHS: dict[tuple[str, str], int] = {
    ("mnist", "mnist_cnn"): 5,
    ("cifar10", "cifar_cnn"): 10,
    ("galaxy10", "galaxy_cnn"): 50,
    ("galaxy10", "galaxy_deep"): 50,
    ("galaxy10", "densenet121"): 38,  # early stopping of a 50-epoch recipe
}
# The seed's dataset names for the accuracy-and-time table.
DATASET_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10", "galaxy10": "Galaxy10 DECaLS"}
