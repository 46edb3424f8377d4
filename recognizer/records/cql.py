"""One write operation (save a record, write its feedback, or delete it) and how it is
applied to every table,
with prepared, idempotent statements through the driver session.

Each operation carries its own write time, used as the cells' timestamp
(``USING TIMESTAMP``): Cassandra keeps the newest write of each cell, so an operation
replayed from the outbox later than a newer one (or twice) can never undo it.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from cassandra.cluster import Session
from cassandra.query import UNSET_VALUE, BatchStatement, BatchType, PreparedStatement

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.records import keys
from recognizer.records.day_stats import day_stats_mark_changed, day_stats_mark_needed
from recognizer.records.record import PredictionRecord

# Errors that replaying will never cure (a payload that does not decode or bind): the
# drainer sets such an operation aside instead of blocking the queue behind it. Cassandra's
# InvalidRequest is not one of them: a keyspace not created yet is cured by sync_cassandra.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (TypeError, ValueError, KeyError)

# The record's columns, in the order of PredictionRecord (id and time are keys).
_DATA_COLUMNS = (
    "digits",
    "confidence",
    "unsure",
    "not_a_digit",
    "probabilities",
    "image",
    "model_version",
    "source",
    "corrected_label",
    "corrected_at",
)


def write_time_now() -> int:
    """Microseconds since the epoch: Cassandra's own unit for a cell's write time."""
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True)
class Operation:
    """What the writer was asked to do, complete enough to do it again later."""

    # "feedback" writes only the feedback cells of a stored record (corrected_label and
    # corrected_at), so that it can never put back an answer a newer save replaced.
    kind: Literal["save", "delete", "feedback"]
    record: PredictionRecord
    # The cells' timestamp: later operations on the same record win, whatever the order
    # in which they reach Cassandra.
    write_time: int
    # A later save of a record that may already be stored (a client re-predicting the
    # same drawing id): keep the upload_time of its first save, so that every key, and
    # so every history row, stays where it is.
    revision: bool = False


@dataclass(frozen=True)
class _Statements:
    insert_mnist1: PreparedStatement
    insert_by_user: PreparedStatement
    insert_month: PreparedStatement
    insert_by_day: PreparedStatement
    upload_time_of: PreparedStatement
    feedback_mnist1: PreparedStatement
    feedback_by_user: PreparedStatement
    feedback_by_day: PreparedStatement
    delete_mnist1: PreparedStatement
    delete_by_user: PreparedStatement
    delete_by_day: PreparedStatement


_prepared: dict[tuple[int, str], _Statements] = {}
_prepare_lock = threading.Lock()


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    columns_text = ", ".join(columns)
    return f"INSERT INTO {table} ({columns_text}) VALUES ({marks}) USING TIMESTAMP ?"  # noqa: S608


def _statements(session: Session, keyspace: str) -> _Statements:
    """Prepared once per session and keyspace (tests use their own keyspace)."""
    key = (id(session), keyspace)
    found = _prepared.get(key)
    if found is not None:
        return found
    with _prepare_lock:
        if key in _prepared:
            return _prepared[key]
        # CQL cannot bind a keyspace or table name; ours come from settings and constants.
        if not re.fullmatch(r"\w+", keyspace):
            raise ValueError(f"not a keyspace name: {keyspace!r}")
        ks = f'"{keyspace}"'
        texts = {
            "insert_mnist1": _insert(
                f"{ks}.mnist1",
                ("id", "upload_time", "user_id", "username", *_DATA_COLUMNS),
            ),
            "insert_by_user": _insert(
                f"{ks}.predictions_by_user",
                ("user_id", "month", "created", "id", "upload_time", *_DATA_COLUMNS),
            ),
            "insert_month": _insert(f"{ks}.prediction_months_by_user", ("user_id", "month")),
            "insert_by_day": _insert(
                f"{ks}.predictions_by_day",
                ("day", "created", "id", "upload_time", "user_id", "username", *_DATA_COLUMNS),
            ),
            "upload_time_of": f"SELECT upload_time FROM {ks}.mnist1 WHERE id = ?",  # noqa: S608
            "feedback_mnist1": (
                f"UPDATE {ks}.mnist1 USING TIMESTAMP ? "  # noqa: S608
                "SET corrected_label = ?, corrected_at = ? WHERE id = ?"
            ),
            "feedback_by_user": (
                f"UPDATE {ks}.predictions_by_user USING TIMESTAMP ? "  # noqa: S608
                "SET corrected_label = ?, corrected_at = ? "
                "WHERE user_id = ? AND month = ? AND created = ?"
            ),
            "feedback_by_day": (
                f"UPDATE {ks}.predictions_by_day USING TIMESTAMP ? "  # noqa: S608
                "SET corrected_label = ?, corrected_at = ? WHERE day = ? AND created = ?"
            ),
            "delete_mnist1": f"DELETE FROM {ks}.mnist1 USING TIMESTAMP ? WHERE id = ?",  # noqa: S608
            "delete_by_user": (
                f"DELETE FROM {ks}.predictions_by_user USING TIMESTAMP ? "  # noqa: S608
                "WHERE user_id = ? AND month = ? AND created = ?"
            ),
            "delete_by_day": (
                f"DELETE FROM {ks}.predictions_by_day USING TIMESTAMP ? "  # noqa: S608
                "WHERE day = ? AND created = ?"
            ),
        }
        prepared = {}
        for name, text in texts.items():
            statement = session.prepare(text)
            # Every statement here writes the same cells with the same timestamp when
            # repeated, so the driver may retry it after a timeout.
            statement.is_idempotent = True
            prepared[name] = statement
        _prepared[key] = found = _Statements(**prepared)
        return found


def _value(value: object) -> object:
    # An unset value writes nothing, where a null would write a tombstone.
    return UNSET_VALUE if value is None else value


def _data(record: PredictionRecord, *, clear_feedback: bool = False) -> list[object]:
    """The data columns' values. ``clear_feedback`` (a new answer for a stored drawing: the
    feedback on its earlier answer no longer applies) writes null to the feedback columns,
    a tombstone, where every other save leaves unset columns alone."""
    feedback = [record.corrected_label, record.corrected_at]
    return [
        _value(v)
        for v in (
            record.digits,
            record.confidence,
            record.unsure,
            record.not_a_digit,
            list(record.probabilities),
            record.image,
            record.model_version,
            record.source,
        )
    ] + (feedback if clear_feedback else [_value(v) for v in feedback])


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stored_upload_time(
    session: Session, statements: _Statements, record: PredictionRecord
) -> datetime | None:
    row = session.execute(statements.upload_time_of, (record.id,)).one()
    # A row without upload_time holds only stray feedback cells: not a record.
    return None if row is None or row["upload_time"] is None else _as_utc(row["upload_time"])


def _batch() -> BatchStatement:
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    # Repeating it writes the same cells with the same timestamps: the driver may retry it.
    batch.is_idempotent = True
    return batch


def _save_batch(
    session: Session, statements: _Statements, operation: Operation
) -> tuple[PredictionRecord, BatchStatement]:
    record = operation.record
    stamp = operation.write_time
    # A revision of a stored record is a new answer: it clears the old one's feedback.
    # A first save (the page names every drawing, so most saves are "revisions" of
    # nothing) writes no nulls: they would be tombstones on every prediction.
    first = _stored_upload_time(session, statements, record) if operation.revision else None
    if first is not None and first != _as_utc(record.upload_time):
        record = replace(record, upload_time=first)
    month = keys.month_bucket(record.upload_time)
    created = record.created
    data = _data(record, clear_feedback=first is not None)
    batch = _batch()
    batch.add(
        statements.insert_mnist1,
        [record.id, record.upload_time, _value(record.user_id), record.username] + data + [stamp],
    )
    if record.user_id is not None:
        batch.add(
            statements.insert_by_user,
            [record.user_id, month, created, record.id, record.upload_time] + data + [stamp],
        )
        batch.add(statements.insert_month, [record.user_id, month, stamp])
    batch.add(
        statements.insert_by_day,
        [
            keys.day_bucket(record.upload_time),
            created,
            record.id,
            record.upload_time,
            _value(record.user_id),
            record.username,
        ]
        + data
        + [stamp],
    )
    return record, batch


def _delete_batch(
    session: Session, statements: _Statements, operation: Operation
) -> tuple[PredictionRecord, BatchStatement]:
    record = operation.record
    # The index rows sit where the stored upload_time puts them; a record handed in with a
    # later time (a revision) must not miss them.
    first = _stored_upload_time(session, statements, record)
    if first is not None:
        record = replace(record, upload_time=first)
    return record, _deletes(statements, record, operation.write_time)


def _deletes(statements: _Statements, record: PredictionRecord, stamp: int) -> BatchStatement:
    batch = _batch()
    created = record.created
    batch.add(statements.delete_mnist1, [stamp, record.id])
    if record.user_id is not None:
        batch.add(
            statements.delete_by_user,
            [stamp, record.user_id, keys.month_bucket(record.upload_time), created],
        )
    batch.add(statements.delete_by_day, [stamp, keys.day_bucket(record.upload_time), created])
    # prediction_months_by_user keeps the month: other records may live in it, and an
    # empty month only costs the history one empty page read.
    return batch


def _feedback_apply(
    session: Session, statements: _Statements, operation: Operation
) -> PredictionRecord | None:
    """Only the feedback cells, on the rows the stored record has; None when it is gone.

    An UPDATE of a record that is gone (a delete replayed before this, or applied between
    the read and the UPDATEs) makes rows of the two cells alone. A delete at this
    operation's own timestamp clears them (a tombstone wins a tie) and nothing written
    after, so a record that is gone, before or after, gets that delete instead."""
    stamp = operation.write_time
    first = _stored_upload_time(session, statements, operation.record)
    if first is None:
        session.execute(_deletes(statements, operation.record, stamp))
        return None
    record = replace(operation.record, upload_time=first)
    created = record.created
    feedback = [record.corrected_label, record.corrected_at]
    batch = _batch()
    batch.add(statements.feedback_mnist1, [stamp, *feedback, record.id])
    if record.user_id is not None:
        month = keys.month_bucket(record.upload_time)
        batch.add(statements.feedback_by_user, [stamp, *feedback, record.user_id, month, created])
    batch.add(
        statements.feedback_by_day, [stamp, *feedback, keys.day_bucket(record.upload_time), created]
    )
    session.execute(batch)
    if _stored_upload_time(session, statements, record) is None:
        session.execute(_deletes(statements, record, stamp))
        return None
    return record


def statements_prepare() -> None:
    """Connect and prepare the writer's statements now (a serving process at boot)."""
    session = cassandra_session()
    _statements(session, cassandra_keyspace())


def operation_apply(operation: Operation) -> PredictionRecord:
    """Apply ``operation`` to every table; returns the record as kept.

    The tables' statements go as one UNLOGGED batch: one request and one round trip, where
    four parallel requests cost the driver and the node twice the CPU (``bench.store``:
    0.56 against 1.14 ms of driver CPU and 1.47 against 2.20 ms of Cassandra CPU per
    record). Unlogged, so no batchlog: like the separate writes it replaces, it may apply
    to some tables and not others when it fails, which the next attempt (the outbox)
    repairs, and every statement keeps its own ``USING TIMESTAMP``.

    Raises one of ``recognizer.db.CASSANDRA_ERRORS`` when Cassandra cannot take it;
    some tables may then hold it and others not, which the next attempt repairs.
    """
    session = cassandra_session()
    statements = _statements(session, cassandra_keyspace())
    if operation.kind == "feedback":
        record = _feedback_apply(session, statements, operation)
        if record is None:
            return operation.record
    else:
        build = _save_batch if operation.kind == "save" else _delete_batch
        record, batch = build(session, statements, operation)
        session.execute(batch)
    # After the rows, never batched with them: the admin's statistics of this day are
    # stale (issue 10, docs/DATA_MODEL.md "Admin"), unless the day is too recent for any
    # reader to have cached it (day_stats.day_stats_mark_needed). A failure here fails the
    # operation, which the outbox then repeats whole (rewriting the rows is harmless).
    day = keys.day_bucket(record.upload_time)
    if day_stats_mark_needed(day=day, acknowledged=datetime.now(UTC)):
        day_stats_mark_changed(day=day)
    return record
