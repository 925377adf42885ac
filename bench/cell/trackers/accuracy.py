"""Test-split quality of a trained model: accuracy, loss and sklearn's per-class metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def evaluate(model: Any, test_data: Any, y_true: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """Loss via Keras evaluate; accuracy, precision/recall/F1 and confusion matrix via sklearn."""
    loss = model.evaluate(test_data, verbose=0, return_dict=True)["loss"]
    y_pred = np.argmax(model.predict(test_data, verbose=0), axis=1)
    if len(y_pred) != len(y_true):
        raise RuntimeError(f"predicted {len(y_pred)} test labels but the split has {len(y_true)}")
    return {"test_loss": float(loss), **classification_fields(y_true, y_pred, class_names)}


def classification_fields(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """Record fields for predicted vs true labels (macro, weighted, per class, confusion matrix)."""
    labels = list(range(len(class_names)))
    fields: dict[str, Any] = {"test_accuracy": float(accuracy_score(y_true, y_pred))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average,
                                                     zero_division=0)
        fields |= {f"{average}_precision": float(p), f"{average}_recall": float(r), f"{average}_f1": float(f)}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    fields["per_class"] = [
        {"class": i, "name": class_names[i], "precision": float(p[i]), "recall": float(r[i]),
         "f1": float(f[i]), "support": int(s[i])} for i in labels
    ]
    fields["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    fields["class_names"] = list(class_names)
    return fields
