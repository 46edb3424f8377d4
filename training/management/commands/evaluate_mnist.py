"""``manage.py evaluate_mnist``: a model file's accuracy and confusion matrix on MNIST test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.data import DataError
from training.management.commands.train_mnist import default_output
from training.trainer import TrainingError


class Command(BaseCommand):
    help = "Evaluate a Keras model file (default settings.MNIST_MODEL_PATH) on the MNIST test set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model",
            default=None,
            metavar="PATH",
            help="model file (default settings.MNIST_MODEL_PATH)",
        )
        parser.add_argument(
            "--data",
            default=None,
            metavar="PATH",
            help="mnist.npz, mnist.pkl.gz or a directory of IDX files (as train_mnist)",
        )
        parser.add_argument(
            "--test-limit",
            type=int,
            default=None,
            metavar="N",
            help="evaluate on the first N test images only",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="print one JSON object (test_accuracy, confusion_matrix, model_version, ...)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = Path(options["model"]) if options["model"] else default_output()
        if options["test_limit"] is not None and options["test_limit"] < 1:
            raise CommandError("--test-limit must be at least 1")
        from training.trainer import evaluate

        try:
            result = evaluate(
                model_path=model, data=options["data"], test_limit=options["test_limit"]
            )
        except (DataError, TrainingError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        if options["verbosity"] >= 1:
            self.stdout.write("confusion matrix (rows: true digit, columns: predicted)")
            self.stdout.write("      " + "".join(f"{d:>6}" for d in range(10)) + "   acc")
            for digit, row in enumerate(result["confusion_matrix"]):
                accuracy = result["per_class_accuracy"][digit]
                shown = f"{accuracy:.4f}" if accuracy is not None else "  -   "
                self.stdout.write(f"{digit:>6}" + "".join(f"{n:>6}" for n in row) + f"  {shown}")
        self.stdout.write(
            self.style.SUCCESS(
                f"test accuracy {result['test_accuracy']:.4f} on {result['test_count']} images "
                f"({result['model_version'][:12]}, {model})"
            )
        )
