"""gunicorn's settings for the site: ``gunicorn --config gunicorn.conf.py mnistsite.wsgi``
(gunicorn also reads this file from the working directory by itself).

The image's entrypoint uses this file; the environment tunes it without a rebuild, and
gunicorn's own GUNICORN_CMD_ARGS still overrides anything here. The worker model comes from the
load benchmark (``make bench``; docs/PERFORMANCE.md, "Worker model"): on 2 cores shared with
Cassandra a request is CPU-bound (decoding, Django) with a wait for Cassandra's fsynced write,
so one worker per core; 8 threads each keep the cores busy through that wait (4 saturated at
186 answers/s with a third of the machine idle, 8 at 215, 16 at 222 with twice the p99 at half
load; a third worker gave 207) and park idle keep-alive connections without holding a worker
(sync workers measured within the noise of gthread; gevent cannot work with the Cassandra
driver's reactor; an ASGI worker with async views cost 70% more CPU per answer).
"""

import os

# Inside a container the port is published by compose; PORT as most platforms set it.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]  # noqa: S104 - a container's own interface

# Processes, each with its own model (a few MB with LiteRT) and its own Cassandra session,
# which connects in the worker after the fork (post_worker_init below); WEB_CONCURRENCY as
# Heroku and uvicorn name it. Threads overlap the waits on Cassandra and PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
# Django is imported once in the master and shared by the workers (faster start, less memory).
# Safe because importing the app opens no Cassandra connection and starts no thread
# (mnistsite/tests/test_wsgi.py); the model and the session are made after the fork.
preload_app = True

# A prediction takes milliseconds; a worker silent for 30 s is stuck and gets replaced.
timeout = 30
# On SIGTERM (a redeploy, `docker compose stop`), finish requests in flight first.
graceful_timeout = 20
# Behind a proxy that keeps connections open (Caddy in the cluster profile).
keepalive = 5
# The heartbeat file on tmpfs: a container's /tmp may sit on a slow overlay filesystem.
worker_tmp_dir = "/dev/shm"  # noqa: S108

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker):
    """Load the model, connect to Cassandra and prepare the writer's statements in each
    worker, after the fork and before it takes a request: the driver is not fork-safe
    (nothing Cassandra-related runs in the master), and the first person to draw should
    not wait for either. Neither failure stops the worker (recognizer.services)."""
    from recognizer.services import serving_warm_up

    serving_warm_up()
