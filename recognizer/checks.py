"""System checks: say at start-up (``manage.py check``, ``runserver``) what would fail later."""

from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register()
def model_file_check(app_configs, **kwargs) -> list[CheckMessage]:
    path = Path(settings.MNIST_MODEL_PATH)
    if path.is_file():
        return []
    return [
        Warning(
            f"No model at {path}: predictions will answer 503 until there is one.",
            hint="Train one with `python manage.py train_mnist`, or set MNIST_MODEL_PATH.",
            id="recognizer.W001",
        )
    ]
