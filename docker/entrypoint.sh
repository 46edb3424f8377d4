#!/bin/sh
# The images' entrypoint.
#   start (the default)  prepare, then serve: one container on its own
#   prepare              wait for the databases, migrate, sync_cassandra, create the staff
#                        user; compose runs it once, in the migrate service, before any web
#                        container
#   serve                wait for the databases, then gunicorn (gunicorn.conf.py)
#   <program> [args]     any program on PATH (python, sh, gunicorn) runs as given
#   <command> [args]     anything else is a manage.py command: train_mnist, drain_outbox, shell
# Waits are bounded by WAIT_TIMEOUT seconds (default 120) and say what they wait for.
set -eu

cd "$(dirname "$0")/.."

wait_for_databases() {
    python docker/wait.py
}

prepare() {
    wait_for_databases
    python manage.py migrate --noinput
    # The prediction rate limit counts in a cache table shared by every worker.
    python manage.py createcachetable
    python manage.py sync_cassandra
    if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ]; then
        # Django's createsuperuser reads DJANGO_SUPERUSER_USERNAME, _PASSWORD and _EMAIL.
        if python manage.py shell -c 'import os, sys
from django.contrib.auth import get_user_model
sys.exit(0 if get_user_model().objects.filter(username=os.environ["DJANGO_SUPERUSER_USERNAME"]).exists() else 1)'; then
            echo "Staff user ${DJANGO_SUPERUSER_USERNAME} already exists."
        else
            python manage.py createsuperuser --noinput
        fi
    fi
}

serve() {
    exec gunicorn --config gunicorn.conf.py mnistsite.wsgi
}

case "${1:-start}" in
    start) prepare; serve ;;
    prepare) prepare ;;
    serve) wait_for_databases; serve ;;
    *)
        if command -v "$1" >/dev/null 2>&1; then
            exec "$@"
        fi
        exec python manage.py "$@"
        ;;
esac
