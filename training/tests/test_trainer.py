"""The pure-numpy pieces of training: the "not sure" calibration, the metrics, atomic writes."""

from __future__ import annotations

import numpy as np
import pytest

from training.evaluation import (
    calibrate_not_a_digit_threshold,
    calibrate_unsure_threshold,
    classification_report,
)
from training.trainer import atomic_path


def probabilities_with_confidence(confidence: np.ndarray, digits: np.ndarray) -> np.ndarray:
    rest = (1 - confidence) / 9
    p = np.repeat(rest[:, None], 10, axis=1)
    p[np.arange(len(digits)), digits] = confidence
    return p


def test_the_threshold_flags_at_most_the_rate_asked():
    confidence = np.linspace(0.2, 1.0, 500)
    labels = np.arange(500) % 10
    predicted = labels.copy()
    predicted[:5] = (labels[:5] + 1) % 10  # the five least confident answers are wrong
    result = calibrate_unsure_threshold(
        probabilities_with_confidence(confidence, predicted), labels, flag_rate=0.02
    )
    stats = result["unsure_validation"]
    assert result["unsure_threshold"] == pytest.approx(confidence[10])
    assert stats["flagged_fraction"] == pytest.approx(10 / 500)
    assert stats["errors"] == 5 and stats["errors_caught_fraction"] == 1.0
    assert stats["accuracy_of_confident_answers"] == 1.0


def test_the_threshold_is_the_largest_such():
    confidence = np.random.default_rng(1).uniform(0.3, 1.0, 1000)
    labels = np.zeros(1000, dtype=np.int64)
    probabilities = probabilities_with_confidence(confidence, labels)
    t = calibrate_unsure_threshold(probabilities, labels, flag_rate=0.02)["unsure_threshold"]
    assert (confidence < t).mean() <= 0.02
    assert (confidence < np.nextafter(t, 2)).mean() > 0.02


def test_not_a_digit_rejects_at_most_the_rate_of_digits_asked():
    rng = np.random.default_rng(2)
    digits = rng.uniform(0.0, 1.0, 2000) ** 8  # mostly near 0, a tail towards 1
    non_digits = rng.uniform(0.3, 1.0, 500)
    result = calibrate_not_a_digit_threshold(digits, non_digits, reject_rate=0.005)
    t = result["not_a_digit_threshold"]
    assert (digits >= t).mean() <= 0.005
    # The smallest such: the next digit score below it would be one too many.
    below = digits[digits < t].max()
    assert (digits >= below).mean() > 0.005 or below < 0.5
    stats = result["not_a_digit_validation"]
    assert stats["digits_rejected_fraction"] == (digits >= t).mean()
    assert stats["non_digits_rejected_fraction"] == (non_digits >= t).mean()


def test_not_a_digit_never_rejects_what_is_more_likely_a_digit():
    result = calibrate_not_a_digit_threshold(np.zeros(100), np.ones(10))
    assert result["not_a_digit_threshold"] == 0.5


def test_the_report_counts_every_answer_once():
    labels = np.array([0, 1, 2, 2, 9])
    predicted = np.array([0, 1, 3, 2, 9])
    report = classification_report(
        probabilities_with_confidence(np.full(5, 0.9), predicted), labels
    )
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum() == 5 and matrix[2, 3] == 1
    assert report["accuracy"] == 0.8
    assert report["per_class_accuracy"][2] == 0.5 and report["per_class_accuracy"][5] is None


def test_atomic_writes_leave_nothing_behind_on_failure(tmp_path):
    final = tmp_path / "model.json"
    final.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert final.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    with atomic_path(final) as tmp:
        tmp.write_text("new")
    assert final.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
