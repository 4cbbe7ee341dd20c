"""Metrics of a model's predictions: for classes the accuracy, the confusion matrix and macro
precision, recall and F1; for regression the mean squared and mean absolute error.

Predictions are the network's outputs (logits for cross-entropy, one logit for binary
cross-entropy, values for regression); targets as the dataset holds them. ``softmax`` turns
logits into class probabilities wherever the app needs them.
"""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities from logits along ``axis``, in the logits' dtype. The largest logit is
    subtracted first, so large logits cannot overflow."""
    e = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def predicted_classes(outputs: np.ndarray, loss_kind: str,
                      probabilities: bool = False) -> np.ndarray:
    """Class indices from network outputs: the arg-max over the last axis, or for binary
    cross-entropy's single output, whether it passes 0 (a logit) or 0.5 (a probability, when
    the layer ends in a sigmoid)."""
    if loss_kind == "binary_cross_entropy":
        return (outputs[..., 0] > (0.5 if probabilities else 0.0)).astype(np.int64)
    return outputs.argmax(axis=-1)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[t, p]: how many samples of true class t were predicted as p."""
    true = np.asarray(true).reshape(-1)
    predicted = np.asarray(predicted).reshape(-1)
    return np.bincount(true * n_classes + predicted,
                       minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of each class from a confusion matrix (0 where undefined)."""
    tp = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(tp), where=total > 0)
    return {"precision": precision, "recall": recall, "f1": f1}


def class_metrics(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> dict[str, object]:
    """accuracy, macro precision/recall/F1 (over the classes that occur in true or predicted)
    and the confusion matrix as nested lists."""
    matrix = confusion_matrix(true, predicted, n_classes)
    scores = per_class(matrix)
    present = (matrix.sum(axis=0) + matrix.sum(axis=1)) > 0
    macro = {k: float(v[present].mean()) if present.any() else 0.0 for k, v in scores.items()}
    total = matrix.sum()
    return {"accuracy": float(np.trace(matrix) / total) if total else 0.0,
            "precision": macro["precision"], "recall": macro["recall"], "f1": macro["f1"],
            "confusion": matrix.tolist()}


def regression_metrics(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    if len(predicted) == 0:
        return {"mse": 0.0, "mae": 0.0}
    err = np.asarray(predicted, np.float64).reshape(len(predicted), -1) \
        - np.asarray(true, np.float64).reshape(len(true), -1)
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err)))}
