"""gunicorn's settings for the site; gunicorn reads this file from the working directory.

The values come from the load benchmark (``make bench``, docs/PERFORMANCE.md "Worker model"):
on 2 cores shared with Cassandra a request is CPU-bound (decoding, Django) with a short wait
for Cassandra, so one worker per core; 4 threads each keep a core busy through that wait and
park idle keep-alive connections without holding a worker (sync measured within noise of it,
gevent cannot work with the driver's reactor). WEB_CONCURRENCY and GUNICORN_THREADS override.
"""

import logging
import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Django is imported once in the master and shared by the workers (faster start, less memory).
# Safe because importing the app opens no Cassandra connection and starts no thread
# (mnistsite/tests/test_wsgi.py); the model and the session are made after the fork, below.
preload_app = True
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))


def post_worker_init(worker):
    """Load the model and open the Cassandra session in each worker, after the fork and before it
    takes a request: the driver is not fork-safe (nothing Cassandra-related runs in the master),
    and the first person to draw should not wait for either."""
    from recognizer.db import CASSANDRA_ERRORS, cassandra_session
    from recognizer.inference import ModelUnavailable, get_recognizer

    log = logging.getLogger("gunicorn.error")
    try:
        get_recognizer()
    except ModelUnavailable as exc:  # /readyz says so; the worker still serves the rest
        log.error("%s", exc)
    try:
        cassandra_session()
    except CASSANDRA_ERRORS as exc:  # the driver reconnects on first use
        log.warning("Cassandra not reachable yet: %s", exc)
