#!/bin/sh
# Prepare the databases, then hand over to the command (gunicorn by default).
set -e
mkdir -p var
python manage.py migrate --noinput --verbosity 1
# The rate-limit counters live in a cache table shared by every worker.
python manage.py createcachetable
python manage.py sync_cassandra
exec "$@"
