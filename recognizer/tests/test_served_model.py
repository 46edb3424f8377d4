"""The served path (the LiteRT flatbuffer) answers as the Keras model does, on all of MNIST's test
set, within what its 8-bit weights move: serving fast must not mean serving something else.
Slow-ish (it imports TensorFlow)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.conf import settings

from recognizer.inference import Recognizer
from recognizer.model_files import report_path
from training.data import load_mnist


@pytest.fixture(scope="module")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    data = load_mnist()
    return data.x_test.astype(np.float32) / 255.0, data.y_test


def test_litert_and_keras_agree_on_all_10000_mnist_test_images(mnist_test):
    import keras  # here, not at collection: it imports TensorFlow (make install provides it)

    images, labels = mnist_test
    assert images.shape == (10_000, 28, 28)

    served = Recognizer(settings.MNIST_MODEL_PATH)
    litert = np.array([served.recognize(image).probabilities for image in images])
    model = keras.models.load_model(settings.MNIST_MODEL_PATH, compile=False)
    reference = model.predict(images[..., None], batch_size=500, verbose=0)

    # The LiteRT file keeps its weights in 8 bits: its probabilities move a little, its answers
    # on at most one test digit in a thousand, and as far as its report says (to a digit or two:
    # another CPU's kernels may round the quantized activations otherwise).
    report = json.loads(report_path(settings.MNIST_MODEL_PATH).read_text())["tflite"]
    agreement = float((litert.argmax(axis=1) == reference.argmax(axis=1)).mean())
    largest = float(np.abs(litert - reference).max())
    print(f"LiteRT vs Keras: {agreement:.2%} the same answer, largest difference {largest:.2e}")
    assert agreement >= 0.999
    assert agreement == pytest.approx(report["agreement_with_keras"], abs=2e-4)
    assert largest < 0.05
    assert (litert.argmax(axis=1) == labels).mean() == pytest.approx(
        report["test_accuracy"], abs=2e-4
    )
