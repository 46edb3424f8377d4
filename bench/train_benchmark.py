"""Training benchmark: the 2019 seed's recipe against ours, on this machine, on the same data.

    .venv/bin/python bench/train_benchmark.py [--epochs N] [--seed-epochs 4] [--no-write]

Trains both networks one after the other (never in parallel: they would share the CPU), prints each
epoch, and writes the results as the "Training" section of docs/PERFORMANCE.md (replacing that
section if it is there, leaving any other section alone). The models go to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import write_section  # noqa: E402
from training.data import load_mnist  # noqa: E402
from training.network import DEFAULT_ARCH  # noqa: E402
from training.trainer import DEFAULT_EPOCHS, train  # noqa: E402

SHIPPED_REPORT = ROOT / "recognizer" / "ml" / "mnist_cnn.json"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(arch: str, epochs: int, data: Any, workdir: Path, limit: int | None) -> dict[str, Any]:
    print(f"--- {arch}: {epochs} epochs", flush=True)

    def progress(row: dict[str, Any]) -> None:
        print(
            f"{arch} epoch {row['epoch']}/{row['epochs']}  loss {row['loss']:.4f}  "
            f"val_acc {row['val_accuracy']:.4f}  lr {row['lr']:.2e}  {row['seconds']:.1f}s",
            flush=True,
        )

    report = train(
        epochs=epochs,
        limit=limit,
        output=workdir / f"{arch}.keras",
        arch=arch,
        dataset=data,
        progress=progress,
        command=f"bench/train_benchmark.py ({arch})",
        force=True,
        members=1,  # one network against one: the shipped model averages three of ours
    )
    report["thick_stroke_accuracy"] = thick_stroke_accuracy(workdir / f"{arch}.keras", data)
    print(
        f"{arch}: test accuracy {report['test_accuracy']:.4f} "
        f"(thick strokes {report['thick_stroke_accuracy']:.4f}), {report['fit_seconds']}s",
        flush=True,
    )
    return report


def thick_stroke_accuracy(model_path: Path, data: Any) -> float:
    """Test accuracy with every stroke one pixel thicker (a grey dilation with a 3x3 cross), the
    commonest way a canvas drawing differs from MNIST after the site's preprocessing."""
    import keras
    import numpy as np

    from training.evaluation import classification_report, predict_probabilities

    x = data.x_test
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    thick = np.max(
        [x, padded[:, :-2, 1:-1], padded[:, 2:, 1:-1], padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]],
        axis=0,
    )
    model = keras.saving.load_model(model_path)
    return classification_report(predict_probabilities(model, thick), data.y_test)["accuracy"]


def section(rows: list[tuple[str, dict[str, Any]]], data: Any, command: str) -> str:
    import keras
    import tensorflow as tf

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {cpu_model()}, {os.cpu_count()} cores "
        "(shared with other work while it ran, so seconds are an upper bound), "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"Python {platform.python_version()}.",
        f"Command: `{command}`. Data: {data.source}, {len(data.y_train)} training / "
        f"{len(data.y_val)} validation / {len(data.y_test)} test images, the same for both.",
        "",
        "| recipe | epochs run | s / epoch | total s | test accuracy | thick strokes "
        "| params | MACs / image |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in rows:
        seconds = [h["seconds"] for h in r["history"]]
        lines.append(
            f"| {label} | {r['epochs_run']} | {sum(seconds) / len(seconds):.1f} "
            f"| {r['fit_seconds']:.0f} "
            f"| {r['test_accuracy']:.2%} | {r['thick_stroke_accuracy']:.2%} "
            f"| {r['params']:,} | {r['macs_per_image'] / 1e6:.2f} M |"
        )
    lines += [
        "",
        "- seed: the 2019 prototype's network (Conv 32 5x5 same → max-pool → Conv 64 5x5 same → "
        "max-pool → dropout 0.25 → Dense 1024 → Dense 10), Adam 1e-3, batch 128, no augmentation.",
        f"- ours (`python manage.py train_mnist`, `--arch {DEFAULT_ARCH}`): each of the seed's "
        "5x5 convolutions replaced by two 3x3 ones with 'valid' padding (the same field of view), "
        "batch norm, Dense 256, dropout 0.25/0.4, AdamW with one epoch of warm-up then "
        "cosine decay, early stopping on validation loss, and augmentation that imitates drawing "
        "(rotation ±12°, scale ±10%, shear ±0.15, shift ±2 px, stroke thinning/thickening), "
        "plus canvas drawings (`training/drawings.py`): per two MNIST images one redrawn as pen "
        "strokes, per five one template drawing and one non-digit (an eleventh class). One "
        "network here; the shipped model averages three (below).",
        '- "thick strokes": test accuracy with every stroke dilated by one pixel (3x3 cross), '
        "as a stand-in for canvas drawings, which come out bolder than MNIST's pen strokes.",
        '- "s / epoch" includes the validation pass after each epoch; "total s" is `fit` time; '
        "evaluation and export come on top (a few seconds).",
        "",
    ]
    return "\n".join(lines + shipped_model_lines())


def members_line(r: dict[str, Any]) -> str:
    members = r.get("member_reports") or []
    if not members:
        return f"{r['epochs_run']} epochs, best at epoch {r['best_epoch']}; "
    alone = ", ".join(
        f"{m['test_accuracy']:.2%} / {m['validation_redrawn_accuracy']:.2%}" for m in members
    )
    return (
        f"{len(members)} networks of {r['epochs_run']} epochs each, averaged (alone, MNIST test / "
        f"redrawn validation: {alone}); together "
    )


def shipped_model_lines() -> list[str]:
    """What recognizer/ml/mnist_cnn.json says about the model the site serves."""
    if not SHIPPED_REPORT.is_file():
        return []
    r = json.loads(SHIPPED_REPORT.read_text())
    unsure = r["unsure_validation"]
    lite = r["tflite"]
    caught = unsure["errors_caught_fraction"]
    return [
        "### The shipped model (`recognizer/ml/mnist_cnn.keras`)",
        "",
        f"Trained by `{r['command']}` in {r['duration_seconds'] / 60:.1f} min "
        f"({r['fit_seconds'] / 60:.1f} of them fitting; the rest draws the canvas drawings): "
        f"{members_line(r)}"
        f"**{r['test_accuracy']:.2%}** MNIST test accuracy (test loss {r['test_loss']:.4f}), "
        f"{r['validation_accuracy']:.2%} on validation, "
        f"{r['validation_redrawn_accuracy']:.2%} on validation digits redrawn as strokes; "
        f"{r['params']:,} parameters, "
        f"{r['macs_per_image'] / 1e6:.2f} M multiply-accumulates per image. "
        f"The LiteRT file ({lite.get('quantization') or 'float32'}, "
        f"{lite['bytes'] / 1e6:.1f} MB) agrees with the Keras model on "
        f"{lite['agreement_with_keras']:.2%} of the test set (largest probability difference "
        f"{lite['max_abs_probability_difference']:.1e})"
        + (
            f"; it and the thresholds below were made again from the same weights by "
            f"`{r['recalibrated']['command']}` on {r['recalibrated']['at'][:10]}."
            if r.get("recalibrated")
            else "."
        ),
        "",
        f'"Not sure" below a top probability of {r["unsure_threshold"]:.3f}: {r["unsure_rule"]}. '
        f"On validation it flags {unsure['flagged_fraction']:.2%} of answers and catches "
        + (f"{caught:.0%}" if caught is not None else "n/a")
        + f" of the {unsure['errors']} errors; the answers it does not flag are "
        f"{unsure['accuracy_of_confident_answers']:.2%} right.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs for ours")
    parser.add_argument("--seed-epochs", type=int, default=4, help="epochs for the seed's recipe")
    parser.add_argument("--limit", type=int, default=None, help="train on N images (smoke test)")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/PERFORMANCE.md"
    )
    args = parser.parse_args()
    command = shlex.join(["python", "bench/train_benchmark.py", *sys.argv[1:]])

    data = load_mnist()
    print(data.describe(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("seed (2019)", run("seed", args.seed_epochs, data, Path(tmp), args.limit)),
            (f"ours ({DEFAULT_ARCH})", run(DEFAULT_ARCH, args.epochs, data, Path(tmp), args.limit)),
        ]
    text = section(rows, data, command)
    print(text)
    if not args.no_write:
        path = write_section("PERFORMANCE.md", "Training", text, title="Performance")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
