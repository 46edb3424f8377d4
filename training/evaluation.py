"""How a trained network is judged: its answers on a set of images (Keras or the served LiteRT
file), the classification report, and the two thresholds the site answers with.

Both thresholds are calibrated on validation drawings and written to the model's report:

- "not sure" (``unsure_threshold``): the largest confidence threshold t such that at most 3% of
  the redrawn validation digits have a top probability below t (``UNSURE_FLAG_RATE``): the
  canvas's domain is where "not sure" must earn its name;
- "not a digit" (``not_a_digit_threshold``): the smallest score threshold that wrongly rejects at
  most one in a thousand of the redrawn validation digits (``DIGIT_REJECT_RATE``; MNIST as it is
  is rejected less); the report gives the share of validation non-digits it rejects. Telling a
  person that the digit they drew is no digit costs as much as reading a doodle as a digit, and
  people draw digits here far more often than anything else (docs/DRAWN_DIGITS.md, "Not a
  digit: the operating point").
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

UNSURE_FLAG_RATE = 0.03
DIGIT_REJECT_RATE = 0.001
EVAL_BATCH_SIZE = 1000


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1], the model file's contract."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def predict_probabilities(model: Any, images: np.ndarray) -> np.ndarray:
    """Probabilities for uint8 images. Batched calls in inference mode (no ``fit``/``predict``
    overhead); deterministic for a given model, so evaluate_mnist reproduces the report exactly."""
    out = []
    for start in range(0, len(images), EVAL_BATCH_SIZE):
        batch = to_model_input(images[start : start + EVAL_BATCH_SIZE])
        out.append(np.asarray(model(batch, training=False), dtype=np.float32))
    return np.concatenate(out) if out else np.zeros((0, 10), np.float32)


def classification_report(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Accuracy, log loss, per-class accuracy, confusion matrix (rows: true, cols: predicted)."""
    labels = labels.astype(np.int64)
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = [
        float(confusion[d, d] / confusion[d].sum()) if confusion[d].sum() else None
        for d in range(10)
    ]
    picked = probabilities[np.arange(len(labels)), labels]
    return {
        "count": len(labels),
        "accuracy": float((predicted == labels).mean()),
        "loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
    }


def calibrate_unsure_threshold(
    probabilities: np.ndarray, labels: np.ndarray, flag_rate: float = UNSURE_FLAG_RATE
) -> dict[str, Any]:
    """The largest threshold t flagging at most ``flag_rate`` of the answers (confidence < t).

    With the confidences sorted ascending as c[0..n-1] and k = floor(flag_rate * n), t = c[k]:
    exactly the answers below c[k] (at most k of them) are flagged, and any larger t would also
    flag c[k] itself.
    """
    confidence = probabilities.max(axis=1)
    wrong = probabilities.argmax(axis=1) != labels
    n = len(confidence)
    k = int(np.floor(flag_rate * n))
    threshold = float(np.sort(confidence)[min(k, n - 1)])
    flagged = confidence < threshold
    errors = int(wrong.sum())
    return {
        "unsure_threshold": threshold,
        "unsure_rule": (
            f"largest confidence threshold t such that at most {flag_rate:.0%} of validation "
            "answers have top probability < t (the site says 'not sure' below t)"
        ),
        "unsure_validation": {
            "count": n,
            "flagged_fraction": float(flagged.mean()),
            "errors": errors,
            "errors_caught_fraction": float((flagged & wrong).sum() / errors) if errors else None,
            "accuracy_of_confident_answers": float((~wrong[~flagged]).mean())
            if (~flagged).any()
            else None,
        },
    }


def calibrate_not_a_digit_threshold(
    digit_scores: np.ndarray,
    non_digit_scores: np.ndarray,
    reject_rate: float = DIGIT_REJECT_RATE,
) -> dict[str, Any]:
    """The smallest "not a digit" threshold t that rejects (score >= t) at most ``reject_rate``
    of the real digits: the most non-digits caught for that price."""
    n = len(digit_scores)
    k = int(np.floor(reject_rate * n))
    ordered = np.sort(digit_scores)[::-1]
    # Just above the (k+1)-th highest digit score: at most k digits are at or over it.
    threshold = float(np.nextafter(ordered[min(k, n - 1)], np.float32(2.0)))
    threshold = max(threshold, 0.5)  # never reject what the network thinks is more likely a digit
    return {
        "not_a_digit_threshold": threshold,
        "not_a_digit_rule": (
            f"smallest threshold t (at least 0.5) such that at most {reject_rate:.2%} of the "
            "redrawn validation digits have a not-a-digit probability >= t "
            "(the site says 'That doesn't look like a digit' at or over t)"
        ),
        "not_a_digit_validation": {
            "digits": n,
            "digits_rejected_fraction": float((digit_scores >= threshold).mean()),
            "non_digits": len(non_digit_scores),
            "non_digits_rejected_fraction": float((non_digit_scores >= threshold).mean())
            if len(non_digit_scores)
            else None,
        },
    }


def tflite_outputs(
    tflite_path: str | os.PathLike[str], images: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run a .tflite file with LiteRT's interpreter (what the site serves with): the digit
    probabilities (N, 10) and the "not a digit" scores (N,) (zeros without that output)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path))
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], [len(images), 28, 28, 1])
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], to_model_input(images))
    interpreter.invoke()
    outputs = {int(d["shape"][-1]): d["index"] for d in interpreter.get_output_details()}
    probabilities = np.array(interpreter.get_tensor(outputs[10]), dtype=np.float32)
    scores = (
        np.array(interpreter.get_tensor(outputs[1]), dtype=np.float32)[:, 0]
        if 1 in outputs
        else np.zeros(len(images), np.float32)
    )
    return probabilities, scores
