"""WSGI entry point: ``gunicorn mnistsite.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mnistsite.settings")

application = get_wsgi_application()

# Each serving process loads the model and connects to Cassandra at boot, after gunicorn's
# fork (without --preload), before it takes requests; neither failure stops it.
from recognizer.services import serving_warm_up  # noqa: E402

serving_warm_up()
