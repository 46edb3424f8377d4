#!/bin/sh
# Prepare the databases, then hand over to the command (gunicorn by default).
set -e
mkdir -p var
python manage.py migrate --noinput --verbosity 1
python manage.py sync_cassandra
exec "$@"
