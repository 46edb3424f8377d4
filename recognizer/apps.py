from django.apps import AppConfig


class RecognizerConfig(AppConfig):
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self) -> None:
        from recognizer import checks  # noqa: F401  (registers the system checks)
        from recognizer.db import cassandra_connection_install

        # Registers the driver connection (no network) behind a throttle, before any
        # request thread can try to connect through it (see recognizer/db.py).
        cassandra_connection_install()
