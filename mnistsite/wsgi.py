"""WSGI entry point: ``gunicorn mnistsite.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mnistsite.settings")

application = get_wsgi_application()

# Each serving process loads the model at boot (after gunicorn's fork, without --preload);
# a missing or corrupt one is one clear log line, and /readyz answers 503.
from recognizer.services import model_warm_up  # noqa: E402

model_warm_up()
