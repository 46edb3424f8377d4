"""The one place that knows how to reach Cassandra outside the ORM-like models."""

from __future__ import annotations

from cassandra import DriverException
from cassandra.cluster import NoHostAvailable, Session
from cassandra.connection import ConnectionException
from cassandra.cqlengine import CQLEngineException
from django.db import connections

# Everything the driver raises when Cassandra is down, slow or refusing; the
# driver's exceptions do not share one base class.
CASSANDRA_ERRORS: tuple[type[BaseException], ...] = (
    DriverException,
    NoHostAvailable,
    ConnectionException,
    CQLEngineException,
    OSError,
)


def cassandra_session() -> Session:
    """The driver session of the ``cassandra`` database, connecting if needed."""
    wrapper = connections["cassandra"]
    wrapper.connect()
    return wrapper.connection.session


def cassandra_keyspace() -> str:
    return connections["cassandra"].settings_dict["NAME"]


def cassandra_ping(*, timeout: float = 2.0) -> str:
    """Cassandra's release version; raises one of ``CASSANDRA_ERRORS`` when unreachable."""
    row = (
        cassandra_session()
        .execute("SELECT release_version FROM system.local", timeout=timeout)
        .one()
    )
    # cqlengine gives its session a dict row factory.
    return row["release_version"]
