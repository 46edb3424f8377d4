"""Django's relational data (users, sessions, API tokens) in SQLite by default, or in
PostgreSQL when DATABASE_URL names one. `make test` runs this file, the entrypoint's tests and
the auth, session and token tests once more against a real PostgreSQL (scripts/postgres)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

ROOT = Path(__file__).resolve().parents[2]


def default_database(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "mnistsite.settings",
            "DJANGO_ENV_FILE": "",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sqlite_stays_the_zero_setup_default():
    database = default_database(DJANGO_DEBUG="1")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "var" / "db.sqlite3")


def test_database_url_switches_to_postgresql_with_kept_connections():
    database = default_database(
        DJANGO_DEBUG="1", DATABASE_URL="postgres://site:s3cret@db.internal:6543/digits"
    )
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 6543, "digits")
    assert (database["USER"], database["PASSWORD"]) == ("site", "s3cret")
    assert database["CONN_MAX_AGE"] == 60 and database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_asked_for():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.django_db
def test_every_migration_applies():
    # (`make check` runs makemigrations --check; here: the migrations ran on this database.)
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
