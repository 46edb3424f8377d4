from django.apps import AppConfig


class RecognizerConfig(AppConfig):
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self) -> None:
        from recognizer import checks  # noqa: F401  (registers the system checks)
