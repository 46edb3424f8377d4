"""Training the MNIST network, and evaluating or recalibrating a trained one with
``training.evaluation``; Django-free (the commands are thin wrappers).

TensorFlow is imported inside the functions only.

Outputs of :func:`train`, all written atomically (a temporary file in the same directory, then
``os.replace``), the report last so that it only ever describes files that are there:

- ``<stem>.keras``  the Keras model: (N, 28, 28, 1) float32 in [0, 1], white on black -> (N, 10);
- ``<stem>.tflite`` the same network as a LiteRT flatbuffer with int8 weights, for serving without
  TensorFlow;
- ``<stem>.json``   the report (see :func:`train`).

What the network trains on (see ``training.drawings``): MNIST's training images as they are,
the same images redrawn as canvas pen strokes (``--redrawn``), drawings from digit stroke
templates (``--drawn``), and non-digits as an eleventh class (``--non-digits``: letters, symbols,
shapes, scribbles, several digits at once). The Keras file still gives ten probabilities
(``training.network.digit_model``); the eleventh score rides along for the site.

Validation holds out MNIST's last 10,000 training images, as they are and redrawn, plus non-digits
from their own stream. The "not sure" and "not a digit" thresholds are calibrated on it
(``training.evaluation``) and written to the report.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from recognizer.inference import QUANTIZATION, convert_model_to_tflite
from recognizer.model_files import file_sha256, report_path, tflite_path
from training.data import MnistData, load_mnist
from training.evaluation import (
    EVAL_BATCH_SIZE,
    calibrate_not_a_digit_threshold,
    calibrate_unsure_threshold,
    classification_report,
    predict_probabilities,
    tflite_outputs,
    to_model_input,
)
from training.network import (
    DEFAULT_ARCH,
    AugmentConfig,
    augment_batch,
    build_model,
    count_macs,
    count_params,
    digit_model,
    ensemble_model,
)
from training.nondigits import NOT_A_DIGIT

DEFAULT_EPOCHS = 12
DEFAULT_BATCH_SIZE = 128
DEFAULT_SEED = 2019
# Networks from different seeds, averaged (docs/DRAWN_DIGITS.md, "The ensemble": what each
# member scores alone and together). Each costs a training run and ~0.1 ms per drawing.
DEFAULT_MEMBERS = 3
PEAK_LEARNING_RATE = 3e-3
# The default mix, as shares of the MNIST training images (chosen by measurement: see
# docs/DRAWN_DIGITS.md, "Choosing the training mix").
DEFAULT_DRAWN_SHARE = 0.2
DEFAULT_REDRAWN_SHARE = 0.5
DEFAULT_NON_DIGIT_SHARE = 0.2
# Of each kind of training drawing, the share drawn from sparse pointer events
# (``training.drawings.sparse_sampler``). None by default: three in ten made the served model
# no better on such drawings (docs/DRAWN_DIGITS.md, "What did not help").
DEFAULT_SPARSE_SHARE = 0.0
# Validation drawings: this many of MNIST's validation digits redrawn, and non-digits.
VALIDATION_REDRAWN = 5000
VALIDATION_NON_DIGITS = 2000
EARLY_STOPPING_PATIENCE = 4
# Batch norm's moving statistics (momentum 0.9) trail the weights; a run shorter than this
# many steps ends with statistics from weights long gone, and answers near chance at
# inference. Such runs re-estimate them afterwards (settle_batch_norm).
SETTLE_BELOW_STEPS = 500
SETTLE_PASSES = 60

ProgressFn = Callable[[dict[str, Any]], None]


class TrainingError(Exception):
    """Training could not run or its outputs could not be written."""


def output_paths(output: str | os.PathLike[str]) -> dict[str, Path]:
    model = Path(output)
    if model.suffix != ".keras":
        raise TrainingError(
            f"the model file must end in .keras (Keras 3's format), got {model.name}"
        )
    return {
        "model": model,
        "report": report_path(model),
        "tflite": tflite_path(model),
    }


def check_output(output: str | os.PathLike[str], *, force: bool) -> dict[str, Path]:
    """Fail before training rather than after it: directory exists and is writable, no overwrite."""
    paths = output_paths(output)
    directory = paths["model"].parent
    if not directory.is_dir():
        raise TrainingError(f"output directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TrainingError(f"output directory {directory} is not writable")
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise TrainingError(f"{', '.join(existing)} already exist(s); use --force to overwrite")
    return paths


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` (same suffix) that replaces ``final`` on success."""
    fd, tmp = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; the served files must be readable
        os.replace(tmp_path, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def settle_batch_norm(model: Any, images: np.ndarray, *, batch_size: int, seed: int) -> None:
    """Re-estimate batch norm's moving statistics for the final weights: forward passes in
    training mode (which update them) over training images, without changing any weight."""
    rng = np.random.default_rng(seed)
    for _ in range(SETTLE_PASSES):
        batch = images[rng.choice(len(images), size=min(batch_size, len(images)), replace=False)]
        model(to_model_input(batch), training=True)


def _make_dataset(
    data_x: np.ndarray,
    data_y: np.ndarray,
    *,
    batch_size: int,
    seed: int,
    augment: bool,
    config: AugmentConfig,
) -> Any:
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((data_x[..., np.newaxis], data_y.astype(np.int32)))
    ds = ds.shuffle(len(data_x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).repeat().enumerate()

    def prepare(step: Any, batch: Any) -> Any:
        x, y = batch
        x = tf.cast(x, tf.float32) / 255.0
        if augment:
            x = augment_batch(x, tf.stack([tf.constant(seed, tf.int64), step]), config)
        return x, y

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(2)


@dataclass
class TrainingSet:
    """What one run trains and validates on, and how many of each kind."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray  # MNIST validation, redrawn validation digits, validation non-digits
    y_val: np.ndarray
    val_kinds: np.ndarray  # "mnist", "redrawn" or "non-digit" for each validation image
    counts: dict[str, int]
    # Of each kind of training drawing, the share drawn from sparse pointer events.
    sparse_share: float = 0.0


def build_training_set(
    mnist: MnistData,
    *,
    limit: int | None,
    seed: int,
    drawn: int,
    redrawn: int,
    non_digits: int,
    sparse: float = 0.0,
    status: Callable[[str], None] | None,
) -> TrainingSet:
    """MNIST's training images plus the drawings the options ask for (``training.drawings``)."""
    from training.drawings import non_digit_drawings, redrawn_digits, synthetic_drawings

    def say(line: str) -> None:
        if status is not None:
            status(line)

    def counter(what: str) -> Callable[[int, int], None]:
        return lambda done, total: say(f"  {what} {done}/{total}")

    x_mnist, y_mnist = mnist.x_train, mnist.y_train
    if limit is not None:
        x_mnist, y_mnist = x_mnist[:limit], y_mnist[:limit]
    xs, ys = [x_mnist], [y_mnist.astype(np.uint8)]
    if drawn:
        say(f"Drawing {drawn} digits from stroke templates…")
        x, y = synthetic_drawings(drawn, seed=seed, sparse=sparse, progress=counter("drew"))
        xs.append(x)
        ys.append(y.astype(np.uint8))
    if redrawn:
        # Which MNIST training images to redraw: a seeded choice when not all of them.
        pick = np.random.default_rng([seed, 11]).permutation(len(x_mnist))[:redrawn]
        pick.sort()
        say(f"Redrawing {len(pick)} MNIST training digits as canvas strokes…")
        xs.append(
            redrawn_digits(x_mnist[pick], seed=seed, sparse=sparse, progress=counter("redrew"))
        )
        ys.append(y_mnist[pick].astype(np.uint8))
    if non_digits:
        say(f"Drawing {non_digits} non-digits…")
        x, _ = non_digit_drawings(
            non_digits, seed=seed, digit_images=x_mnist, sparse=sparse, progress=counter("drew")
        )
        xs.append(x)
        ys.append(np.full(non_digits, NOT_A_DIGIT, np.uint8))

    x_val, y_val, val_kinds = build_validation_set(
        mnist,
        limit=limit,
        seed=seed,
        redrawn=bool(redrawn or drawn),
        non_digits=non_digits,
        status=status,
    )
    return TrainingSet(
        x_train=np.concatenate(xs),
        y_train=np.concatenate(ys),
        x_val=x_val,
        y_val=y_val,
        val_kinds=val_kinds,
        counts={
            "mnist_train_count": len(y_mnist),
            "drawn_train_count": drawn,
            "redrawn_train_count": redrawn,
            "non_digit_train_count": non_digits,
        },
        sparse_share=sparse,
    )


def build_validation_set(
    mnist: MnistData,
    *,
    limit: int | None,
    seed: int,
    redrawn: bool,
    non_digits: int,
    status: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MNIST's validation images, the first of them redrawn as strokes (when the run trains on
    drawings), and non-digits of their own stream: images, labels, and each one's kind
    ("mnist", "redrawn" or "non-digit"). The same for training and for ``recalibrate``."""
    from training.drawings import non_digit_drawings, redrawn_digits

    x_val, y_val = mnist.x_val, mnist.y_val
    if limit is not None:  # quick runs validate on a proportionate slice
        x_val, y_val = x_val[: max(limit // 5, 100)], y_val[: max(limit // 5, 100)]
    val_x, val_y, val_kinds = [x_val], [y_val.astype(np.uint8)], ["mnist"] * len(y_val)
    if redrawn:
        count = min(len(x_val), VALIDATION_REDRAWN)
        if status is not None:
            status(f"Redrawing {count} validation digits…")
        val_x.append(redrawn_digits(x_val[:count], seed=seed + 1))
        val_y.append(y_val[:count].astype(np.uint8))
        val_kinds += ["redrawn"] * count
    if non_digits:
        count = min(non_digits, VALIDATION_NON_DIGITS)
        x, _ = non_digit_drawings(count, seed=[seed, 1], digit_images=x_val)
        val_x.append(x)
        val_y.append(np.full(count, NOT_A_DIGIT, np.uint8))
        val_kinds += ["non-digit"] * count
    return np.concatenate(val_x), np.concatenate(val_y), np.array(val_kinds)


def calibration(
    probabilities: np.ndarray, scores: np.ndarray, labels: np.ndarray, kinds: np.ndarray
) -> dict[str, Any]:
    """The report's validation figures and both thresholds, from what the site runs (the
    LiteRT file's outputs) on the validation set: MNIST's accuracy, the redrawn digits'
    accuracy, "not sure" calibrated on the redrawn digits (the canvas's domain) and "not a
    digit" on them against the non-digits (``None`` without non-digits)."""
    val = classification_report(probabilities[kinds == "mnist"], labels[kinds == "mnist"])
    domain = kinds == ("redrawn" if (kinds == "redrawn").any() else "mnist")
    redrawn = classification_report(probabilities[domain], labels[domain])
    non_digit = kinds == "non-digit"
    return {
        "validation_accuracy": val["accuracy"],
        "validation_loss": val["loss"],
        "validation_count": val["count"],
        "validation_redrawn_accuracy": redrawn["accuracy"],
        "validation_redrawn_count": redrawn["count"],
        **calibrate_unsure_threshold(probabilities[domain], labels[domain].astype(np.int64)),
        **(
            calibrate_not_a_digit_threshold(scores[domain], scores[non_digit])
            if non_digit.any()
            else {"not_a_digit_threshold": None}
        ),
    }


def _fit(
    model: Any,
    x_train: np.ndarray,
    y_train: np.ndarray,
    val_data: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    batch_size: int,
    steps_per_epoch: int,
    seed: int,
    augment: bool,
    config: AugmentConfig,
    seed_recipe: bool,
    member: tuple[int, int],
    progress: ProgressFn | None,
) -> list[dict[str, Any]]:
    """Compile and fit one network; returns a history row per epoch run."""
    import keras

    total_steps = steps_per_epoch * epochs
    if seed_recipe:
        optimizer = keras.optimizers.Adam(1e-3)
    else:
        # One epoch of linear warm-up to the peak, then cosine decay to 1% of it.
        warmup = min(steps_per_epoch, total_steps // 2)
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=PEAK_LEARNING_RATE / 10,
            decay_steps=max(1, total_steps - warmup),
            alpha=0.01,
            warmup_target=PEAK_LEARNING_RATE,
            warmup_steps=warmup,
        )
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=1e-4)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    train_ds = _make_dataset(
        x_train, y_train, batch_size=batch_size, seed=seed, augment=augment, config=config
    )
    rows: list[dict[str, Any]] = []

    class EpochProgress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._t0 = time.monotonic()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = logs or {}
            lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            row = {
                "member": member[0],
                "members": member[1],
                "epoch": epoch + 1,
                "epochs": epochs,
                "loss": float(logs.get("loss", float("nan"))),
                "accuracy": float(logs.get("accuracy", float("nan"))),
                "val_loss": float(logs.get("val_loss", float("nan"))),
                "val_accuracy": float(logs.get("val_accuracy", float("nan"))),
                "lr": lr,
                "seconds": time.monotonic() - self._t0,
            }
            rows.append(row)
            if progress is not None:
                progress(row)

    callbacks = [EpochProgress()]
    if not seed_recipe:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=EARLY_STOPPING_PATIENCE, restore_best_weights=True
            )
        )
    model.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=val_data,
        validation_batch_size=EVAL_BATCH_SIZE,
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself (seeded); this only silences Keras' warning
        verbose=0,
    )
    return rows


def _member_report(
    model: Any,
    rows: list[dict[str, Any]],
    seed: int,
    x_test: np.ndarray,
    y_test: np.ndarray,
    sets: TrainingSet,
) -> dict[str, Any]:
    """One ensemble member alone, so the report shows what the ensemble adds."""
    digits = digit_model(model)
    redrawn = sets.val_kinds == "redrawn"
    return {
        "seed": seed,
        "epochs_run": len(rows),
        "best_epoch": int(np.argmin([r["val_loss"] for r in rows])) + 1,
        "test_accuracy": classification_report(predict_probabilities(digits, x_test), y_test)[
            "accuracy"
        ],
        "validation_redrawn_accuracy": classification_report(
            predict_probabilities(digits, sets.x_val[redrawn]), sets.y_val[redrawn]
        )["accuracy"]
        if redrawn.any()
        else None,
    }


def train(
    *,
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    test_limit: int | None = None,
    seed: int = DEFAULT_SEED,
    data: str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str],
    augment: bool = True,
    force: bool = False,
    arch: str = DEFAULT_ARCH,
    command: str | None = None,
    command_note: str | None = None,
    progress: ProgressFn | None = None,
    dataset: MnistData | None = None,
    drawn: int | None = None,
    redrawn: int | None = None,
    non_digits: int | None = None,
    members: int = DEFAULT_MEMBERS,
    elastic: float | None = None,
    sparse: float | None = None,
    status: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train, evaluate, and write ``output`` (.keras) with its .tflite and .json report.

    Returns the report dict, also written as ``<stem>.json``: ``model_version`` (the .keras file's
    sha256), ``test_accuracy``/``test_loss``/``per_class_accuracy``/``confusion_matrix`` of the
    written file on the test set, ``unsure_threshold`` and ``not_a_digit_threshold`` with their
    rules and validation statistics, ``params``, ``macs_per_image``, ``epochs_run``, ``history``,
    ``duration_seconds``, ``data_source``/``data_sha256``, library versions, ``command``, and
    ``tflite`` (its sha256, ``source_model_version`` and its agreement with the Keras model).

    ``progress`` is called once per epoch with a dict of epoch, epochs, loss, accuracy, val_loss,
    val_accuracy, lr and seconds. ``limit``/``test_limit`` cut the training/test sets for quick
    runs (validation then uses a proportionate slice); ``dataset`` skips loading (benchmarks).
    The mix (``training.drawings``; None takes the default share of the MNIST training images,
    none at all for the seed's recipe): ``drawn`` template drawings (default one per five),
    ``redrawn`` MNIST training digits redrawn as strokes (``DEFAULT_REDRAWN_SHARE``),
    ``non_digits`` drawings of the "not a digit" class (``DEFAULT_NON_DIGIT_SHARE``); of each
    kind of drawing, ``sparse`` drawn from sparse pointer events (``DEFAULT_SPARSE_SHARE``).
    ``members`` networks are trained from seeds ``seed``, ``seed + 1``, ... on the same data and
    served as one (``training.network.ensemble_model``); the seed's recipe trains one.
    ``status`` gets free-text progress lines for work outside the epochs.
    """
    if epochs < 1:
        raise TrainingError("epochs must be at least 1")
    if batch_size < 1:
        raise TrainingError("batch size must be at least 1")
    if limit is not None and limit < 1:
        raise TrainingError("limit must be at least 1")
    if test_limit is not None and test_limit < 1:
        raise TrainingError("test limit must be at least 1")
    if members < 1:
        raise TrainingError("members must be at least 1")
    if sparse is not None and not 0.0 <= sparse <= 1.0:
        raise TrainingError("sparse must be a share from 0 to 1")
    for name, value in (("drawn", drawn), ("redrawn", redrawn), ("non-digits", non_digits)):
        if value is not None and value < 0:
            raise TrainingError(f"{name} must be 0 or more")
    paths = check_output(output, force=force)
    started = time.monotonic()
    mnist = dataset if dataset is not None else load_mnist(data)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    mnist_count = min(len(mnist.y_train), limit) if limit is not None else len(mnist.y_train)
    seed_recipe = arch == "seed"
    if drawn is None:
        drawn = 0 if seed_recipe else round(mnist_count * DEFAULT_DRAWN_SHARE)
    if redrawn is None:
        redrawn = 0 if seed_recipe else round(mnist_count * DEFAULT_REDRAWN_SHARE)
    if non_digits is None:
        non_digits = 0 if seed_recipe else round(mnist_count * DEFAULT_NON_DIGIT_SHARE)
    if sparse is None:
        sparse = 0.0 if seed_recipe else DEFAULT_SPARSE_SHARE
    redrawn = min(redrawn, mnist_count)
    sets = build_training_set(
        mnist,
        limit=limit,
        seed=seed,
        drawn=drawn,
        redrawn=redrawn,
        non_digits=non_digits,
        sparse=sparse,
        status=status,
    )
    x_train, y_train, x_val, y_val = sets.x_train, sets.y_train, sets.x_val, sets.y_val
    x_test, y_test = mnist.x_test, mnist.y_test
    if test_limit is not None:
        x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    classes = 11 if non_digits else 10

    config = AugmentConfig() if elastic is None else AugmentConfig(elastic_alpha=elastic)
    steps_per_epoch = max(1, -(-len(x_train) // batch_size))
    val_data = (to_model_input(x_val), y_val.astype(np.int32))
    members = 1 if seed_recipe else members
    history_rows: list[dict[str, Any]] = []
    trained: list[Any] = []
    member_reports: list[dict[str, Any]] = []
    fit_started = time.monotonic()
    for index in range(members):
        member_seed = seed + index  # weights, shuffling and augmentation of its own
        if members > 1 and status is not None:
            status(f"Training member {index + 1} of {members} (seed {member_seed})…")
        keras.utils.set_random_seed(member_seed)
        model = build_model(
            arch, classes=classes, name=f"mnist_cnn_{index + 1}" if members > 1 else None
        )
        rows = _fit(
            model,
            x_train,
            y_train,
            val_data,
            epochs=epochs,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
            seed=member_seed,
            augment=augment and not seed_recipe,
            config=config,
            seed_recipe=seed_recipe,
            member=(index + 1, members),
            progress=progress,
        )
        steps_run = steps_per_epoch * len(rows)
        if not seed_recipe and steps_run < SETTLE_BELOW_STEPS:
            if status is not None:
                status(f"Settling batch norm statistics ({steps_run} steps were too few)…")
            settle_batch_norm(model, x_train, batch_size=max(batch_size, 256), seed=member_seed)
        history_rows += rows
        trained.append(model)
        if members > 1:
            member_reports.append(_member_report(model, rows, member_seed, x_test, y_test, sets))
    fit_seconds = time.monotonic() - fit_started
    model = ensemble_model(trained)

    # Write the model (ten probabilities, the file's contract), then evaluate the file itself
    # (what the site and evaluate_mnist load).
    with atomic_path(paths["model"]) as tmp:
        digit_model(model).save(tmp)
        served = keras.saving.load_model(tmp)
    model_version = file_sha256(paths["model"])

    keras_test_probabilities = predict_probabilities(served, x_test)
    test = classification_report(keras_test_probabilities, y_test)

    litert = write_litert(paths, served, model_version, x_test, y_test, keras_test_probabilities)
    val_probabilities, val_scores = tflite_outputs(paths["tflite"], x_val)

    # Thresholds from what the site runs (the LiteRT file), on the validation drawings.
    calibrated = calibration(val_probabilities, val_scores, y_val, sets.val_kinds)

    first = [row for row in history_rows if row["member"] == 1]
    report: dict[str, Any] = {
        "model_version": model_version,
        "model_file": paths["model"].name,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "test_count": test["count"],
        "per_class_accuracy": test["per_class_accuracy"],
        "confusion_matrix": test["confusion_matrix"],
        **calibrated,
        "architecture": arch,
        "classes": classes,
        "params": count_params(served),
        "macs_per_image": count_macs(served),
        "input": "(N, 28, 28, 1) float32 in [0, 1], white ink on black",
        "output": "(N, 10) probabilities"
        + ("; the .tflite adds (N, 1) not-a-digit probability" if classes == 11 else ""),
        "epochs_requested": epochs,
        "epochs_run": len(first),
        "best_epoch": int(np.argmin([r["val_loss"] for r in first])) + 1
        if not seed_recipe
        else len(first),
        "members": members,
        "member_reports": member_reports,
        "history": history_rows,
        "batch_size": batch_size,
        "augment": augment and not seed_recipe,
        "augmentation": vars(config) if augment and not seed_recipe else None,
        "seed": seed,
        "train_count": len(y_train),
        **sets.counts,
        "sparse_share": sets.sparse_share,
        "fit_seconds": round(fit_seconds, 1),
        "batch_norm_settled": not seed_recipe and steps_run < SETTLE_BELOW_STEPS,
        "duration_seconds": 0.0,  # filled in below
        "data_source": mnist.source,
        "data_path": mnist.path,
        "data_sha256": mnist.sha256,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "command": command,
        **({"command_note": command_note} if command_note else {}),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tflite": litert,
    }
    report["duration_seconds"] = round(time.monotonic() - started, 1)
    with atomic_path(paths["report"]) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    return report


def write_litert(
    paths: dict[str, Path],
    model: Any,
    model_version: str,
    x_test: np.ndarray,
    y_test: np.ndarray,
    keras_test_probabilities: np.ndarray,
) -> dict[str, Any]:
    """Convert the Keras ``model`` into the LiteRT file the site serves, and return the
    report's ``tflite`` entry: what the file is, and how closely it gives the Keras answers on
    the test images."""
    with atomic_path(paths["tflite"]) as tmp:
        tmp.write_bytes(convert_model_to_tflite(model))
        lite, _ = tflite_outputs(tmp, x_test)
    return {
        "file": paths["tflite"].name,
        "sha256": file_sha256(paths["tflite"]),
        "source_model_version": model_version,
        "bytes": paths["tflite"].stat().st_size,
        "quantization": QUANTIZATION,
        "test_accuracy": classification_report(lite, y_test)["accuracy"],
        "agreement_with_keras": float(
            (lite.argmax(axis=1) == keras_test_probabilities.argmax(axis=1)).mean()
        ),
        "max_abs_probability_difference": float(np.abs(lite - keras_test_probabilities).max())
        if len(lite)
        else 0.0,
    }


def recalibrate(
    *,
    model_path: str | os.PathLike[str],
    data: str | os.PathLike[str] | None = None,
    command: str | None = None,
    status: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Convert a trained model's LiteRT file and compute its thresholds again, with today's
    conversion and rules, and rewrite its report.

    The validation set is rebuilt from the report (its seed, how many MNIST images it trained
    on, which kinds of drawing), so the figures are the ones ``train`` would write for the same
    weights: a change of ``convert_model_to_tflite`` or of ``training.evaluation``'s
    ``UNSURE_FLAG_RATE`` or ``DIGIT_REJECT_RATE`` needs no new training.
    The report keeps its training figures and gains ``recalibrated`` (when, and the command).
    Returns the report as it was and as written.
    """
    paths = output_paths(model_path)
    if not paths["model"].is_file():
        raise TrainingError(f"{paths['model']} does not exist")
    try:
        report = json.loads(paths["report"].read_text())
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot read the report {paths['report']}: {exc}") from exc
    model_version = file_sha256(paths["model"])
    if report.get("model_version") != model_version:
        raise TrainingError(f"{paths['report']} was not written for {paths['model']}")
    mnist = load_mnist(data)
    if report.get("data_sha256") != mnist.sha256:
        raise TrainingError("the MNIST data differs from the data the model was trained on")
    needed = (
        "seed",
        "mnist_train_count",
        "drawn_train_count",
        "redrawn_train_count",
        "non_digit_train_count",
    )
    missing = [key for key in needed if key not in report]
    if missing:
        raise TrainingError(
            f"{paths['report']} lacks {', '.join(missing)}: it predates recalibration; "
            "train the model again instead"
        )
    model = load_trained(paths["model"])
    trained_on = report["mnist_train_count"]
    x_val, y_val, kinds = build_validation_set(
        mnist,
        limit=trained_on if trained_on < len(mnist.y_train) else None,
        seed=report["seed"],
        redrawn=bool(report["redrawn_train_count"] or report["drawn_train_count"]),
        non_digits=report["non_digit_train_count"],
        status=status,
    )
    tested = report.get("test_count", len(mnist.y_test))
    x_test, y_test = mnist.x_test[:tested], mnist.y_test[:tested]
    if status:
        status(f"converting {paths['model'].name} into {paths['tflite'].name} ({QUANTIZATION})…")
    litert = write_litert(
        paths, model, model_version, x_test, y_test, predict_probabilities(model, x_test)
    )
    probabilities, scores = tflite_outputs(paths["tflite"], x_val)
    written = {
        **report,
        "tflite": litert,
        **calibration(probabilities, scores, y_val, kinds),
        "recalibrated": {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
        },
    }
    try:
        with atomic_path(paths["report"]) as tmp:
            tmp.write_text(json.dumps(written, indent=2) + "\n")
    except OSError as exc:
        raise TrainingError(f"cannot write the report {paths['report']}: {exc}") from exc
    return report, written


def load_trained(path: Path) -> Any:
    """The Keras model at ``path``, or a TrainingError that says why it cannot be read."""
    import keras

    try:
        return keras.saving.load_model(path)
    except Exception as exc:  # noqa: BLE001 - Keras raises many kinds for a bad file
        raise TrainingError(f"cannot load model {path}: {exc}") from exc


def evaluate(
    *,
    model_path: str | os.PathLike[str],
    data: str | os.PathLike[str] | None = None,
    test_limit: int | None = None,
    dataset: MnistData | None = None,
) -> dict[str, Any]:
    """Accuracy and confusion matrix of a model file on the MNIST test set."""
    path = Path(model_path)
    if not path.is_file():
        raise TrainingError(f"model file {path} does not exist")
    mnist = dataset if dataset is not None else load_mnist(data)
    model = load_trained(path)
    x_test, y_test = mnist.x_test, mnist.y_test
    if test_limit is not None:
        x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    result = classification_report(predict_probabilities(model, x_test), y_test)
    return {
        "model": str(path),
        "model_version": file_sha256(path),
        "test_accuracy": result["accuracy"],
        "test_loss": result["loss"],
        "test_count": result["count"],
        "per_class_accuracy": result["per_class_accuracy"],
        "confusion_matrix": result["confusion_matrix"],
        "data_source": mnist.source,
        "data_sha256": mnist.sha256,
    }
