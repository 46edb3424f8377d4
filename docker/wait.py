"""Wait, bounded, until the databases the site needs answer (docker/entrypoint.sh runs this).

PostgreSQL is waited for when DATABASE_URL names it, Cassandra always. Exit 0 once both answer,
1 after WAIT_TIMEOUT seconds (default 120) with one line naming what did not answer and why.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import django

TRY_EVERY = 2.0  # seconds between tries
SAY_EVERY = 10.0  # seconds between "still waiting" lines


def cassandra_answers() -> None:
    from cassandra.cluster import Cluster
    from django.conf import settings

    cluster = Cluster(
        settings.CASSANDRA_HOSTS,
        port=settings.CASSANDRA_PORT,
        connect_timeout=3,
        protocol_version=5,
    )
    try:
        cluster.connect().execute("SELECT release_version FROM system.local", timeout=3)
    finally:
        cluster.shutdown()


def relational_db_answers() -> None:
    from django.db import connections

    connection = connections["default"]
    try:
        connection.ensure_connection()
    finally:
        connection.close()


def wait_for(name: str, check, deadline: float) -> bool:
    started = last_said = time.monotonic()
    while True:
        try:
            check()
        except Exception as exc:  # any failure means "not yet"
            error = f"{type(exc).__name__}: {exc}"
        else:
            print(f"{name} answers.", flush=True)
            return True
        now = time.monotonic()
        if now >= deadline:
            print(
                f"{name} did not answer within {now - started:.0f} s; last error: {error}",
                file=sys.stderr,
                flush=True,
            )
            return False
        if now - last_said >= SAY_EVERY:
            print(f"Still waiting for {name} ({now - started:.0f} s)...", flush=True)
            last_said = now
        time.sleep(min(TRY_EVERY, max(0.0, deadline - now)))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mnistsite.settings")
    django.setup()
    from django.conf import settings

    # The driver logs every failed connection attempt; our own line says it once.
    logging.getLogger("cassandra").setLevel(logging.CRITICAL)
    timeout = float(os.environ.get("WAIT_TIMEOUT", "120"))
    deadline = time.monotonic() + timeout

    waits = []
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.sqlite3":
        host = default.get("HOST") or default.get("OPTIONS", {}).get("host") or "localhost"
        where = f"{host}:{default.get('PORT') or 5432}"
        waits.append((f"PostgreSQL at {where}", relational_db_answers))
    hosts = ",".join(settings.CASSANDRA_HOSTS)
    waits.append((f"Cassandra at {hosts} (port {settings.CASSANDRA_PORT})", cassandra_answers))

    for name, check in waits:
        print(f"Waiting up to {timeout:.0f} s for {name}...", flush=True)
        if not wait_for(name, check, deadline):
            return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    sys.exit(main())
