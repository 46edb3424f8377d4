"""Plain CQL for the reads cqlengine cannot do well (keyset paging, partial columns):
prepared once per session, with table names qualified by the configured keyspace."""

from __future__ import annotations

from cassandra.query import PreparedStatement

from recognizer.db import cassandra_keyspace, cassandra_session

COLUMNS = {
    # What the admin's lists show.
    "list": (
        "created, id, user_id, digits, upload_time, confidence, unsure, not_a_digit, image, "
        "model_version, source, corrected_label, corrected_at"
    ),
    # An export: no image, all ten probabilities.
    "export": (
        "created, id, user_id, digits, upload_time, confidence, unsure, not_a_digit, "
        "probabilities, model_version, source, corrected_label, corrected_at"
    ),
    # Every column of a record in mnist1.
    "all": (
        "id, digits, upload_time, user_id, username, confidence, unsure, not_a_digit, "
        "probabilities, image, model_version, source, corrected_label, corrected_at"
    ),
}

_prepared: dict[tuple[int, str, str], PreparedStatement] = {}


def prepared(cql: str, *, columns: str = "list") -> PreparedStatement:
    """``cql`` prepared on the current session (a reconnect or a test keyspace gets its own).

    In ``cql``, ``{ks}`` stands for the configured keyspace (names cannot be bound
    parameters) and ``{columns}`` for the ``COLUMNS`` named by ``columns``.
    """
    session = cassandra_session()
    key = (id(session), cql, columns)
    statement = _prepared.get(key)
    if statement is None:
        text = cql.replace("{ks}", cassandra_keyspace()).replace("{columns}", COLUMNS[columns])
        statement = _prepared[key] = session.prepare(text)
    return statement


def digit_of(digits: str) -> int:
    """The predicted digit of a stored ``digits`` text: "7", or the 2019 seed's "[7]"."""
    return int(digits.strip("[] "))
