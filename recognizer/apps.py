from django.apps import AppConfig


class RecognizerConfig(AppConfig):
    name = "recognizer"
    verbose_name = "Digit recognizer"
