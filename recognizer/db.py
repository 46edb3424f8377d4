"""The one place that knows how to reach Cassandra outside the ORM-like models.

Two promises of the site rest here:

- a web worker never uses a driver connection made before a fork (gunicorn's master
  forks its workers, and a driver's sockets and threads do not survive a fork): the
  connection is made lazily, on first use, and forgotten in a forked child;
- a request never waits on a Cassandra that is down: while the first connection cannot
  be made, at most one attempt runs at a time and at most one every
  ``CASSANDRA_CONNECT_RETRY`` seconds; the other callers fail at once (and the writer
  queues to the outbox). Once connected, the driver reconnects by itself.
"""

from __future__ import annotations

import os
import threading
import time

from cassandra import DriverException
from cassandra.cluster import NoHostAvailable, Session
from cassandra.connection import ConnectionException
from cassandra.cqlengine import CQLEngineException
from cassandra.cqlengine import connection as cqlengine_connection
from django.conf import settings
from django.db import connections

ALIAS = "cassandra"


class CassandraUnavailable(DriverException):
    """Not connected, and the last attempt failed too recently to try again."""


# Everything the driver raises when Cassandra is down, slow or refusing; the
# driver's exceptions do not share one base class.
CASSANDRA_ERRORS: tuple[type[BaseException], ...] = (
    DriverException,
    NoHostAvailable,
    ConnectionException,
    CQLEngineException,
    OSError,
)

_connect_lock = threading.Lock()
_last_failure = -1e9  # time.monotonic() of the last failed connection attempt
_session: Session | None = None


def _forget_connection_after_fork() -> None:
    """In a forked child, drop the parent's driver objects (their threads did not come
    along) so that the first use connects afresh."""
    global _connect_lock, _last_failure, _session
    _connect_lock = threading.Lock()
    _last_failure = -1e9
    _session = None
    for conn in list(cqlengine_connection._connections.values()):
        conn.cluster = None
        conn.session = None
        conn.lazy_connect = True


os.register_at_fork(after_in_child=_forget_connection_after_fork)


def cassandra_session() -> Session:
    """The driver session of the ``cassandra`` database, connecting if needed.

    Raises ``CassandraUnavailable`` (one of ``CASSANDRA_ERRORS``) without waiting when
    another thread is connecting or the last attempt failed less than
    ``CASSANDRA_CONNECT_RETRY`` seconds ago.
    """
    global _last_failure, _session
    if _session is not None and not _session.is_shutdown:
        return _session
    retry = settings.CASSANDRA_CONNECT_RETRY
    since = time.monotonic() - _last_failure
    if since < retry:
        raise CassandraUnavailable(
            f"Cassandra is not connected; next attempt in {retry - since:.1f} s"
        )
    if not _connect_lock.acquire(blocking=False):
        raise CassandraUnavailable("Cassandra is not connected; another thread is connecting")
    try:
        wrapper = connections[ALIAS]
        wrapper.connect()
        session = wrapper.connection.session
    except CASSANDRA_ERRORS:
        _last_failure = time.monotonic()
        raise
    finally:
        _connect_lock.release()
    _session = session
    return session


def cassandra_keyspace() -> str:
    return connections[ALIAS].settings_dict["NAME"]


def cassandra_ping(*, timeout: float = 2.0) -> str:
    """Cassandra's release version; raises one of ``CASSANDRA_ERRORS`` when unreachable."""
    row = (
        cassandra_session()
        .execute("SELECT release_version FROM system.local", timeout=timeout)
        .one()
    )
    # cqlengine gives its session a dict row factory.
    return row["release_version"]
