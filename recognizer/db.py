"""The one place that knows how to reach Cassandra outside the ORM-like models.

Two promises of the site rest here:

- a web worker never uses a driver connection made before a fork (gunicorn's master
  forks its workers, and a driver's sockets and threads do not survive a fork): the
  connection is made lazily, on first use, and forgotten in a forked child;
- a request never waits on a Cassandra that is down: while the first connection cannot
  be made, at most one attempt runs at a time and at most one every
  ``CASSANDRA_CONNECT_RETRY`` seconds; the other callers fail at once (and the writer
  queues to the outbox). Once connected, the driver reconnects by itself
  (``reconnection_policy`` in settings).
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


class _NoSession:
    """Stands in for the driver session while Cassandra cannot be reached: any use raises
    ``CassandraUnavailable`` (a driver error, as the real session would raise
    ``NoHostAvailable``), so callers, cqlengine models included, fail the usual way."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def __getattr__(self, name: str):
        raise CassandraUnavailable(self._reason)


class _ThrottledConnection(cqlengine_connection.Connection):
    """cqlengine's lazy connection, made by one thread at a time and at most every
    ``CASSANDRA_CONNECT_RETRY`` seconds, never raising a connection error: until it is
    made, the session is a ``_NoSession`` that refuses every use at once.

    Every path to Cassandra goes through here: the writer, cqlengine models, and Django,
    which "connects" each thread's database wrapper at the start and end of every
    request (``close_old_connections``) and, with the engine's plain lazy connection,
    would try (and wait on, and fail the request with) a fresh connection there while
    Cassandra is down.
    """

    @property
    def session(self):
        # Only the thread that connects ever sets the session; everyone else sees the
        # real one or a _NoSession, never None (which cqlengine would trip over).
        real = self.__dict__.get("_session") or self.__dict__.get("session")
        return real or _NoSession(self.__dict__.get("_why", "Cassandra is not connected yet"))

    @session.setter
    def session(self, value) -> None:
        self.__dict__.pop("session", None)
        self.__dict__["_session"] = value

    def handle_lazy_connect(self) -> None:
        global _last_failure
        if not self.lazy_connect:
            return
        if time.monotonic() - _last_failure < settings.CASSANDRA_CONNECT_RETRY:
            return
        if not _connect_lock.acquire(blocking=False):
            return  # another thread is connecting
        try:
            if self.lazy_connect:
                self.lazy_connect = False
                self.setup()
        except BaseException as exc:
            _last_failure = time.monotonic()
            self.__dict__["_why"] = f"Cassandra is not connected: {exc}"
            self.cluster = self.session = None
            self.lazy_connect = True
            if not isinstance(exc, CASSANDRA_ERRORS):
                raise
        finally:
            _connect_lock.release()


def cassandra_connection_install() -> None:
    """Register the ``cassandra`` database's driver connection (lazily: no network) and
    make it throttled. Called from ``RecognizerConfig.ready()`` and before each use, since
    the engine registers a plain connection again after a reconnect (tests do)."""
    connections[ALIAS].connect()
    for conn in set(cqlengine_connection._connections.values()):
        if type(conn) is cqlengine_connection.Connection:
            conn.__class__ = _ThrottledConnection


def _forget_connection_after_fork() -> None:
    """In a forked child, drop the parent's driver objects (their threads did not come
    along) so that the first use connects afresh."""
    global _connect_lock, _last_failure
    _connect_lock = threading.Lock()
    _last_failure = -1e9
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
    cassandra_connection_install()
    return connections[ALIAS].connection.session


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
