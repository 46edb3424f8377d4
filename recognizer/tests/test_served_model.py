"""The served path (the LiteRT flatbuffer) answers as the Keras model does, on all of MNIST's test
set: serving fast must not mean serving something else. Slow-ish (it imports TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest
from django.conf import settings

from recognizer.inference import Recognizer
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

    assert np.array_equal(litert.argmax(axis=1), reference.argmax(axis=1))
    largest = float(np.abs(litert - reference).max())
    print(f"largest probability difference LiteRT vs Keras: {largest:.2e}")
    assert largest < 1e-4
    assert (litert.argmax(axis=1) == labels).mean() > 0.99  # and it is the model we think
