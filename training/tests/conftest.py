"""Fixtures for the training tests: small MNIST-shaped files in every format the loader reads."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def small_mnist() -> dict[str, np.ndarray]:
    """60 training and 20 test images of random uint8 pixels with labels 0-9."""
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, size=(60, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(60) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(20) % 10).astype(np.uint8),
    }


def write_idx(path: Path, array: np.ndarray, *, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def write_idx_dir(directory: Path, arrays: dict[str, np.ndarray], *, compress: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if compress else ""
    for name, key in (
        ("train-images-idx3-ubyte", "x_train"),
        ("train-labels-idx1-ubyte", "y_train"),
        ("t10k-images-idx3-ubyte", "x_test"),
        ("t10k-labels-idx1-ubyte", "y_test"),
    ):
        write_idx(directory / f"{name}{ext}", arrays[key], compress=compress)
    return directory


def write_classic_pickle(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like deeplearning.net's mnist.pkl.gz: flat float32 rows of value/256, int64 labels."""

    def flat(x: np.ndarray) -> np.ndarray:
        return (x.reshape(len(x), 784).astype(np.float32) / 256).astype(np.float32)

    sets = (
        (flat(arrays["x_train"][:50]), arrays["y_train"][:50].astype(np.int64)),
        (flat(arrays["x_train"][50:]), arrays["y_train"][50:].astype(np.int64)),
        (flat(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
    )
    path.write_bytes(gzip.compress(pickle.dumps(sets, protocol=2)))
