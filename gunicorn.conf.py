"""gunicorn's settings for the site: ``gunicorn --config gunicorn.conf.py mnistsite.wsgi``.

The image's entrypoint uses this file; the environment tunes it without a rebuild. These are
first defaults for a small container: the speed issue measures the worker model and settles
them. gunicorn's own GUNICORN_CMD_ARGS still overrides anything here.
"""

import os

# Inside a container the port is published by compose; PORT as most platforms set it.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]  # noqa: S104 - a container's own interface

# Processes, each with its own model (a few MB with LiteRT) and its own Cassandra session,
# which connects lazily in the worker after the fork; WEB_CONCURRENCY as Heroku and
# uvicorn name it. Threads overlap the waits on Cassandra and PostgreSQL within a worker.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

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
