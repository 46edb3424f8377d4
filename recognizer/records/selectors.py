"""Reads of a user's history, each served by one partition of a table built for it.

Pages are read by keyset on the clustering key (``created < ?``) inside a month partition
of ``predictions_by_user``, walking the months that ``prediction_months_by_user`` lists
newest first. The cursor names the last record shown (its month and ``created``) and is
signed, so a client can neither forge one nor walk another user's history with it.
No query here needs ``ALLOW FILTERING``; none reads a partition it does not need.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.core import signing

from recognizer.records.outbox import OutboxError, outbox_pending_for
from recognizer.records.query import cql_execute
from recognizer.records.record import PredictionRecord

PAGE_SIZE = 20
# The API lets a client ask for fewer or more, but never 50 or more rows a page.
MAX_PAGE_SIZE = 49

_CURSOR_SALT = "recognizer.history.cursor"
# Whole CQL texts, not assembled: what runs is what you read here.
_RECORD_BY_ID = (
    "SELECT id, digits, upload_time, confidence, unsure, not_a_digit, probabilities, image, "
    "model_version, source, corrected_label, corrected_at, user_id FROM {ks}.mnist1 WHERE id = ?"
)
_MONTH_FIRST_ROWS = (
    "SELECT created, id, digits, upload_time, confidence, unsure, not_a_digit, "
    "probabilities, image, model_version, source, corrected_label, corrected_at "
    "FROM {ks}.predictions_by_user "
    "WHERE user_id = ? AND month = ? LIMIT ?"
)
_MONTH_ROWS_BEFORE = (
    "SELECT created, id, digits, upload_time, confidence, unsure, not_a_digit, "
    "probabilities, image, model_version, source, corrected_label, corrected_at "
    "FROM {ks}.predictions_by_user "
    "WHERE user_id = ? AND month = ? AND created < ? LIMIT ?"
)
_MONTH_ALL_ROWS = (
    "SELECT id, digits, upload_time, confidence, unsure, not_a_digit, probabilities, "
    "model_version, source, corrected_label, corrected_at FROM {ks}.predictions_by_user "
    "WHERE user_id = ? AND month = ?"
)


class InvalidCursor(Exception):
    """The cursor was not made by this site for this user (or is damaged)."""


@dataclass(frozen=True)
class HistoryPage:
    records: list[PredictionRecord]
    # Pass back to read the next page; None on the last page.
    next_cursor: str | None


@dataclass(frozen=True)
class _Position:
    month: str
    created: uuid.UUID


def _utc(value: datetime | None) -> datetime | None:
    # The driver hands back naive datetimes that are in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _record(row: dict, *, user_id: int | None, username: str) -> PredictionRecord:
    return PredictionRecord(
        id=row["id"],
        digits=row["digits"],
        upload_time=_utc(row["upload_time"]),
        user_id=user_id,
        username=username,
        confidence=row["confidence"] or 0.0,
        unsure=bool(row["unsure"]),
        not_a_digit=bool(row.get("not_a_digit")),
        probabilities=tuple(row["probabilities"] or ()),
        image=row.get("image") or b"",
        model_version=row["model_version"] or "",
        source=row["source"] or "",
        corrected_label=row["corrected_label"],
        corrected_at=_utc(row["corrected_at"]),
    )


def record_get(*, user_id: int, username: str, prediction_id: uuid.UUID) -> PredictionRecord | None:
    """The user's own record by id as they were last told of it: from ``mnist1`` (the record
    of truth), unless operations on it still wait in the outbox (Cassandra had a hiccup), in
    which case as the newest of them will leave it. None when it is missing, deleted *or
    another user's*, so that callers cannot tell these apart."""
    row = cql_execute(_RECORD_BY_ID, (prediction_id,)).one()
    if row is not None and row["user_id"] != user_id:
        return None
    stored = None if row is None else _record(row, user_id=user_id, username=username)
    try:
        waiting = outbox_pending_for(record_id=prediction_id)
    except OutboxError:
        return stored
    if not waiting:
        return stored
    newest = waiting[-1]
    if newest.kind == "delete" or newest.record.user_id != user_id:
        return None
    if newest.kind == "save" and newest.revision:
        # Replayed, a new answer keeps the first save's time (and so its history row).
        first = stored.upload_time if stored is not None else waiting[0].record.upload_time
        return replace(newest.record, upload_time=first)
    return newest.record


def months_of(*, user_id: int, through: str | None = None) -> list[str]:
    """The months with predictions (``"2026-11"``), newest first, from ``through`` back."""
    if through is None:
        rows = cql_execute(
            "SELECT month FROM {ks}.prediction_months_by_user WHERE user_id = ?", (user_id,)
        )
    else:
        rows = cql_execute(
            "SELECT month FROM {ks}.prediction_months_by_user WHERE user_id = ? AND month <= ?",
            (user_id, through),
        )
    return [row["month"] for row in rows]


def _month_rows(*, user_id: int, month: str, before: uuid.UUID | None, limit: int):
    if before is None:
        return cql_execute(_MONTH_FIRST_ROWS, (user_id, month, limit))
    return cql_execute(_MONTH_ROWS_BEFORE, (user_id, month, before, limit))


def cursor_encode(*, user_id: int, month: str, created: uuid.UUID) -> str:
    return signing.dumps({"u": user_id, "m": month, "c": str(created)}, salt=_CURSOR_SALT)


def _cursor_decode(*, user_id: int, cursor: str) -> _Position:
    try:
        value = signing.loads(cursor, salt=_CURSOR_SALT)
        if value["u"] != user_id:
            raise InvalidCursor("This cursor belongs to another history.")
        return _Position(month=str(value["m"]), created=uuid.UUID(value["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not valid: start again from the first page.") from exc


def history_page(
    *, user_id: int, username: str, cursor: str | None = None, limit: int = PAGE_SIZE
) -> HistoryPage:
    """One page of the user's history, newest first. Raises ``InvalidCursor``."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be 1..{MAX_PAGE_SIZE}")
    position = _cursor_decode(user_id=user_id, cursor=cursor) if cursor else None
    rows: list[tuple[str, dict]] = []
    # One row more than the page holds tells whether another page follows.
    for month in months_of(user_id=user_id, through=position.month if position else None):
        before = position.created if position and month == position.month else None
        wanted = limit + 1 - len(rows)
        rows.extend(
            (month, row)
            for row in _month_rows(user_id=user_id, month=month, before=before, limit=wanted)
        )
        if len(rows) > limit:
            break
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        month, last = page[-1]
        next_cursor = cursor_encode(user_id=user_id, month=month, created=last["created"])
    return HistoryPage(
        records=[_record(row, user_id=user_id, username=username) for _, row in page],
        next_cursor=next_cursor,
    )


def history_all(*, user_id: int, username: str) -> Iterator[PredictionRecord]:
    """Every record of the user, newest first, read month by month with the driver's paging
    (a few thousand rows in memory at a time, whatever the history's size)."""
    for month in months_of(user_id=user_id):
        # The export has no use for the images: leave them in Cassandra.
        for row in cql_execute(_MONTH_ALL_ROWS, (user_id, month)):
            yield _record(row, user_id=user_id, username=username)
