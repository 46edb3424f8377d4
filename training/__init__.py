"""MNIST training: loading (training.data), the network (training.network), and training and
evaluation (training.trainer). Plain Python; TensorFlow is imported only inside functions."""

from typing import Any


def train(**kwargs: Any) -> dict[str, Any]:
    """Train and write the model, its .tflite and its JSON report; see training.trainer.train."""
    from training.trainer import train as _train

    return _train(**kwargs)


def evaluate(**kwargs: Any) -> dict[str, Any]:
    """Evaluate a model file on the MNIST test set; see training.trainer.evaluate."""
    from training.trainer import evaluate as _evaluate

    return _evaluate(**kwargs)
