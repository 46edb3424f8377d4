"""The served model's files, side by side: ``<stem>.keras`` (the model), ``<stem>.tflite``
(the LiteRT copy the site runs) and ``<stem>.json`` (its report). ``train_mnist`` writes them
and the inference service reads them; ``model_version`` is the Keras file's sha256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def report_path(model_path: str | os.PathLike[str]) -> Path:
    return Path(model_path).with_suffix(".json")


def tflite_path(model_path: str | os.PathLike[str]) -> Path:
    return Path(model_path).with_suffix(".tflite")
