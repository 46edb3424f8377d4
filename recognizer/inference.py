"""The model the site serves, loaded once per process behind ``get_recognizer()``.

Serving runs the LiteRT flatbuffer that ``train_mnist`` writes beside the Keras file
(``mnist_cnn.tflite`` next to ``mnist_cnn.keras``, its weights in 8 bits): a fraction of a
millisecond per drawing without importing TensorFlow, where ``model.predict`` costs tens of
milliseconds. When the flatbuffer is missing or was made from another Keras file, the
Keras file is converted in memory (this imports TensorFlow once, at load).

The network also says whether a drawing is a digit at all. The Keras file keeps its contract
(ten probabilities), and its ``logits`` layer holds an eleventh score, "not a digit"; the LiteRT
file has it as a second output (:func:`serving_model`), so one call answers both. The report's
``not_a_digit_threshold`` is where the site starts saying "That doesn't look like a digit".
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.model_files import file_sha256, report_path, tflite_path

logger = logging.getLogger(__name__)

# Used when the model has no report to take a calibrated threshold from.
DEFAULT_UNSURE_THRESHOLD = 0.80


class ModelUnavailable(RuntimeError):
    """The model file is missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Recognition:
    digit: int
    confidence: float
    probabilities: tuple[float, ...]
    unsure: bool
    # The network's "not a digit" probability (0 for a model without that class), and whether
    # it is over the calibrated threshold.
    not_a_digit_score: float = 0.0
    not_a_digit: bool = False

    def reads_as(self, digit: int) -> bool:
        """Whether the site answers ``digit``: the network's digit, and not "That doesn't
        look like a digit" (which a person who drew that digit sees as a wrong answer)."""
        return not self.not_a_digit and self.digit == digit

    @property
    def ranked(self) -> list[int]:
        """Digits from most to least likely."""
        return sorted(range(10), key=lambda d: -self.probabilities[d])


class Recognizer:
    """A loaded model: call ``recognize`` with (28, 28) float32 images in [0, 1]."""

    def __init__(self, model_path: Path) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelUnavailable(
                f"No model at {self.model_path}: train one with `python manage.py train_mnist` "
                "or point MNIST_MODEL_PATH at a model file."
            )
        self.model_version = file_sha256(self.model_path)
        report = self._read_report()
        self.unsure_threshold = float(report.get("unsure_threshold", DEFAULT_UNSURE_THRESHOLD))
        # No threshold (an older model, or one without the class): never say "not a digit".
        self.not_a_digit_threshold = float(report.get("not_a_digit_threshold") or math.inf)
        flatbuffer = self._flatbuffer(report)
        try:
            from ai_edge_litert.interpreter import Interpreter

            self._interpreter = Interpreter(model_content=flatbuffer, num_threads=1)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelUnavailable(
                f"The model at {self.model_path} could not be loaded ({exc}); "
                "retrain it with `python manage.py train_mnist`."
            ) from exc
        self._input = self._interpreter.get_input_details()[0]["index"]
        # Outputs by shape: (1, 10) digit probabilities and, if there, (1, 1) "not a digit".
        outputs = {int(d["shape"][-1]): d["index"] for d in self._interpreter.get_output_details()}
        self._output = outputs[10]
        self._not_a_digit = outputs.get(1)
        # The interpreter keeps state between set_tensor and get_tensor.
        self._lock = threading.Lock()
        self.recognize(np.zeros((28, 28), dtype=np.float32))  # warm up

    def _read_report(self) -> dict:
        path = report_path(self.model_path)
        try:
            report = json.loads(path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            logger.warning("Ignoring unreadable model report %s: %s", path, exc)
            return {}
        return report if isinstance(report, dict) else {}

    def _flatbuffer(self, report: dict) -> bytes:
        tflite = tflite_path(self.model_path)
        if tflite.is_file() and report.get("model_version") == self.model_version:
            return tflite.read_bytes()
        logger.warning(
            "No LiteRT file matching %s; converting the Keras model in memory.", self.model_path
        )
        return convert_keras_to_tflite(self.model_path)

    def recognize(self, image: np.ndarray) -> Recognition:
        batch = np.ascontiguousarray(image, dtype=np.float32).reshape(1, 28, 28, 1)
        with self._lock:
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            probabilities = self._interpreter.get_tensor(self._output)[0].astype(float)
            score = (
                float(self._interpreter.get_tensor(self._not_a_digit)[0, 0])
                if self._not_a_digit is not None
                else 0.0
            )
        digit = int(np.argmax(probabilities))
        confidence = float(probabilities[digit])
        return Recognition(
            digit=digit,
            confidence=confidence,
            probabilities=tuple(float(p) for p in probabilities),
            unsure=confidence < self.unsure_threshold,
            not_a_digit_score=score,
            not_a_digit=score >= self.not_a_digit_threshold,
        )


def serving_model(model):
    """The Keras model to run: ``model`` (ten probabilities), plus a (N, 1) "not a digit"
    output when its ``logits`` layer has an eleventh score."""
    import keras
    from keras import layers

    try:
        logits = model.get_layer("logits").output
    except ValueError:
        return model
    classes = logits.shape[-1]
    if classes != 11:
        return model
    x = layers.Softmax(name="classes")(logits)
    x = layers.Reshape((classes, 1), name="class_column")(x)
    x = layers.Cropping1D((10, 0), name="last_class")(x)
    not_a_digit = layers.Flatten(name="not_a_digit")(x)
    return keras.Model(model.inputs, [model.output, not_a_digit], name=f"{model.name}_serving")


# How the served LiteRT file is converted: weights in 8 bits, activations quantized as each
# drawing arrives and the input and outputs float32 (docs/DRAWN_DIGITS.md, "Int8 weights").
QUANTIZATION = "dynamic-range int8 weights"


def convert_model_to_tflite(model, *, quantize: bool = True) -> bytes:
    """A LiteRT flatbuffer of :func:`serving_model`, with :data:`QUANTIZATION` unless told
    otherwise: a quarter of the float32 file's bytes and about a third of its time, the same
    answers within a few drawings in 10,000 (the report's ``tflite`` figures say how close,
    for each model). ``quantize=False`` gives the float32 file, a baseline for benchmarks."""
    import contextlib
    import io

    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(serving_model(model))
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # Keras' export step prints its SavedModel signature; that is noise in a command's output.
    with contextlib.redirect_stdout(io.StringIO()):
        return converter.convert()


def convert_keras_to_tflite(model_path: Path, *, quantize: bool = True) -> bytes:
    try:
        import keras

        model = keras.models.load_model(model_path, compile=False)
        return convert_model_to_tflite(model, quantize=quantize)
    except Exception as exc:  # Keras raises many types for a corrupt file.
        raise ModelUnavailable(
            f"The model at {model_path} could not be loaded ({type(exc).__name__}: {exc}); "
            "retrain it with `python manage.py train_mnist`."
        ) from exc


_lock = threading.Lock()
_recognizers: dict[Path, Recognizer] = {}


def get_recognizer() -> Recognizer:
    """The served model, loaded on first use and then shared by every thread."""
    from django.conf import settings

    path = Path(settings.MNIST_MODEL_PATH)
    recognizer = _recognizers.get(path)
    if recognizer is None:
        with _lock:
            recognizer = _recognizers.get(path)
            if recognizer is None:
                recognizer = Recognizer(path)
                _recognizers[path] = recognizer
                logger.info("Loaded model %s (version %s)", path, recognizer.model_version[:12])
    return recognizer
