"""Prepared CQL on the driver session, for the reads (and the summary) that cqlengine
cannot express without ``ALLOW FILTERING`` or its silent ``LIMIT 10000``."""

from __future__ import annotations

from functools import lru_cache

from cassandra.cluster import ResultSet, Session
from cassandra.query import PreparedStatement

from recognizer.db import cassandra_keyspace, cassandra_session


@lru_cache(maxsize=64)
def _prepared(session: Session, keyspace: str, cql: str) -> PreparedStatement:
    return session.prepare(cql.format(ks=keyspace))


def cql_execute(cql: str, params: tuple) -> ResultSet:
    """Run ``cql`` (``{ks}`` stands for the keyspace) as a prepared statement. Results
    page through the driver (5,000 rows at a time) when iterated."""
    session = cassandra_session()
    return session.execute(_prepared(session, cassandra_keyspace(), cql), params)
