"""Metrics of predictions, checked against scikit-learn and NumPy: the confusion matrix, accuracy
and macro precision/recall/F1 (over the classes that occur in the true or predicted labels),
class predictions from network outputs, and regression errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from visnet.core.metrics import (class_metrics, confusion_matrix, per_class, predicted_classes,
                                 regression_metrics, softmax)


def sklearn_macro(true: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """Macro precision, recall and F1 over the classes present in either labelling."""
    labels = np.union1d(true.ravel(), predicted.ravel())
    p, r, f, _ = skm.precision_recall_fscore_support(true.ravel(), predicted.ravel(),
                                                     labels=labels, average="macro",
                                                     zero_division=0)
    return p, r, f


def check_against_sklearn(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> dict:
    m = class_metrics(true, predicted, n_classes)
    expected = skm.confusion_matrix(true.ravel(), predicted.ravel(), labels=range(n_classes))
    np.testing.assert_array_equal(confusion_matrix(true, predicted, n_classes), expected)
    assert m["confusion"] == expected.tolist()
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(true.ravel(), predicted.ravel()))
    p, r, f = sklearn_macro(true, predicted)
    assert m["precision"] == pytest.approx(p)
    assert m["recall"] == pytest.approx(r)
    assert m["f1"] == pytest.approx(f)
    return m


@pytest.mark.parametrize("seed", range(6))
def test_class_metrics_match_sklearn_on_random_labels(seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(2, 8))
    true = rng.integers(0, n_classes, 200)
    # mostly right, partly random, so that every score is somewhere between 0 and 1
    predicted = np.where(rng.random(200) < 0.6, true, rng.integers(0, n_classes, 200))
    m = check_against_sklearn(true, predicted, n_classes)
    assert 0.0 < m["accuracy"] < 1.0
    assert isinstance(m["accuracy"], float) and isinstance(m["f1"], float)


@pytest.mark.parametrize("seed", range(4))
def test_class_never_predicted(seed):
    rng = np.random.default_rng(100 + seed)
    true = rng.integers(0, 5, 120)
    true[:3] = 4  # class 4 occurs ...
    predicted = rng.integers(0, 4, 120)  # ... but is never predicted
    m = check_against_sklearn(true, predicted, 5)
    assert np.array(m["confusion"])[:, 4].sum() == 0
    assert per_class(np.array(m["confusion"]))["precision"][4] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_class_never_true_but_predicted(seed):
    rng = np.random.default_rng(200 + seed)
    true = rng.integers(0, 3, 90)
    predicted = rng.integers(0, 4, 90)
    predicted[0] = 3  # class 3 is predicted but never true
    m = check_against_sklearn(true, predicted, 4)
    assert per_class(np.array(m["confusion"]))["recall"][3] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_classes_absent_from_both_do_not_count_in_the_macro_average(seed):
    rng = np.random.default_rng(300 + seed)
    true = rng.choice([0, 2, 5], 100)
    predicted = np.where(rng.random(100) < 0.5, true, rng.choice([0, 2, 5, 6], 100))
    m = check_against_sklearn(true, predicted, 8)  # classes 1, 3, 4 and 7 never occur
    present = {0, 2, 5} | set(np.unique(predicted).tolist())
    scores = per_class(np.array(m["confusion"]))
    assert m["recall"] == pytest.approx(np.mean([scores["recall"][c] for c in present]))


def test_perfect_and_all_wrong_predictions():
    true = np.array([0, 1, 2, 2, 1, 0])
    perfect = class_metrics(true, true, 3)
    assert perfect["accuracy"] == perfect["precision"] == perfect["recall"] == perfect["f1"] == 1.0
    wrong = check_against_sklearn(true, (true + 1) % 3, 3)
    assert wrong["accuracy"] == wrong["precision"] == wrong["recall"] == wrong["f1"] == 0.0


def test_per_step_labels_are_flattened():
    rng = np.random.default_rng(7)
    true = rng.integers(0, 6, (30, 12))
    predicted = np.where(rng.random((30, 12)) < 0.5, true, rng.integers(0, 6, (30, 12)))
    m = check_against_sklearn(true, predicted, 6)
    assert np.array(m["confusion"]).sum() == 30 * 12
    flat = class_metrics(true.ravel(), predicted.ravel(), 6)
    assert flat == m


def test_confusion_matrix_counts_true_by_predicted():
    counts = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 4)
    np.testing.assert_array_equal(counts, [[1, 1, 0, 0],
                                           [0, 1, 0, 0],
                                           [1, 0, 2, 0],
                                           [0, 0, 0, 0]])


def test_class_metrics_of_no_samples():
    empty = np.zeros(0, np.int64)
    m = class_metrics(empty, empty, 3)
    assert m["accuracy"] == m["precision"] == m["recall"] == m["f1"] == 0.0
    assert m["confusion"] == [[0] * 3] * 3


# ---------------------------------------------------------------------------------------------
# predicted_classes


def test_predicted_classes_cross_entropy_is_argmax():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(50, 7))
    out = predicted_classes(logits, "cross_entropy")
    np.testing.assert_array_equal(out, logits.argmax(axis=1))
    assert out.shape == (50,)
    # per step: (N, T, C) gives (N, T)
    seq = rng.normal(size=(4, 9, 5))
    np.testing.assert_array_equal(predicted_classes(seq, "cross_entropy"), seq.argmax(axis=-1))


def test_predicted_classes_binary_logits_threshold_at_zero():
    logits = np.array([[-2.0], [-1e-6], [0.0], [1e-6], [0.3], [4.0]])
    out = predicted_classes(logits, "binary_cross_entropy")
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 1, 1])
    assert out.shape == (6,) and out.dtype == np.int64
    # a probability of 0.4 is a positive logit: class 1 when read as logits
    assert predicted_classes(np.array([[0.4]]), "binary_cross_entropy")[0] == 1


def test_predicted_classes_binary_probabilities_threshold_at_half():
    probs = np.array([[0.0], [0.2], [0.5], [0.50001], [0.9], [1.0]])
    out = predicted_classes(probs, "binary_cross_entropy", probabilities=True)
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 1, 1])
    assert out.dtype == np.int64
    # the same as thresholding the logits of those probabilities at 0
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(100, 1)) * 3
    sig = 1 / (1 + np.exp(-logits))
    np.testing.assert_array_equal(predicted_classes(sig, "binary_cross_entropy", True),
                                  predicted_classes(logits, "binary_cross_entropy"))


def test_predicted_classes_binary_per_step():
    logits = np.array([[[1.0], [-1.0], [2.0]], [[-3.0], [0.5], [-0.5]]])
    np.testing.assert_array_equal(predicted_classes(logits, "binary_cross_entropy"),
                                  [[1, 0, 1], [0, 1, 0]])


# ---------------------------------------------------------------------------------------------
# regression_metrics


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", [(40, 1), (40,), (40, 3)])
def test_regression_metrics_match_numpy(seed, shape):
    rng = np.random.default_rng(seed)
    true = rng.normal(size=shape).astype(np.float32)
    predicted = rng.normal(size=shape).astype(np.float32)
    m = regression_metrics(true, predicted)
    diff = predicted.astype(np.float64) - true.astype(np.float64)
    assert m["mse"] == pytest.approx(np.mean(diff ** 2), rel=1e-12)
    assert m["mae"] == pytest.approx(np.mean(np.abs(diff)), rel=1e-12)
    assert m["mse"] == pytest.approx(skm.mean_squared_error(true, predicted), rel=1e-5)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(true, predicted), rel=1e-5)
    assert isinstance(m["mse"], float) and isinstance(m["mae"], float)


def test_regression_metrics_mix_n_by_1_and_flat():
    true = np.array([1.0, 2.0, 3.0, 4.0])
    predicted = np.array([[1.5], [2.0], [2.0], [6.0]])
    for t, p in ((true, predicted), (true[:, None], predicted[:, 0])):
        m = regression_metrics(t, p)
        assert m["mse"] == pytest.approx((0.25 + 0 + 1 + 4) / 4)
        assert m["mae"] == pytest.approx((0.5 + 0 + 1 + 2) / 4)


def test_regression_metrics_exact_predictions_are_zero():
    y = np.linspace(-1, 1, 11)[:, None]
    assert regression_metrics(y, y.copy()) == {"mse": 0.0, "mae": 0.0}


def test_regression_metrics_of_no_samples_are_zero():
    # regression_metrics means to return 0.0 when there is nothing to compare
    empty = np.zeros((0, 1), np.float32)
    assert regression_metrics(empty, empty) == {"mse": 0.0, "mae": 0.0}


def test_softmax_gives_probabilities_even_for_huge_logits_and_keeps_float32():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]], np.float32)
    p = softmax(logits)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[0], e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0.0], atol=1e-7)
    np.testing.assert_allclose(softmax(logits.T, axis=0), p.T, rtol=1e-6)
