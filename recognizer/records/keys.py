"""Where a record lives in each table: pure functions of the record's id and time.

Every key is derived from ``(id, upload_time)`` alone, so writing the same record again,
from a retry or from the outbox, lands on exactly the same rows in every table.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

# 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
_UUID_EPOCH_OFFSET = 0x01B21DD213814000
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _as_utc(moment: datetime) -> datetime:
    # cqlengine hands back naive datetimes that are in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def month_bucket(moment: datetime) -> str:
    """The month partition of a user's history, ``"2026-11"``."""
    return _as_utc(moment).strftime("%Y-%m")


def day_bucket(moment: datetime) -> date:
    """The day partition of the all-users table (UTC)."""
    return _as_utc(moment).date()


def created_timeuuid(*, upload_time: datetime, record_id: uuid.UUID) -> uuid.UUID:
    """A version-1 UUID that sorts by ``upload_time`` and is unique per record.

    Deterministic (no clock, no random node) so that a replay makes the same
    clustering key; the clock-sequence and node fields come from the record id.
    """
    micros = (_as_utc(upload_time) - _UNIX_EPOCH) // timedelta(microseconds=1)
    ticks = micros * 10 + _UUID_EPOCH_OFFSET
    time_low = ticks & 0xFFFFFFFF
    time_mid = (ticks >> 32) & 0xFFFF
    time_hi_version = ((ticks >> 48) & 0x0FFF) | (1 << 12)
    tail = record_id.int & ((1 << 62) - 1)
    clock_seq = (tail >> 48) & 0x3FFF
    node = tail & 0xFFFFFFFFFFFF
    return uuid.UUID(
        fields=(
            time_low,
            time_mid,
            time_hi_version,
            0x80 | (clock_seq >> 8),
            clock_seq & 0xFF,
            node,
        )
    )


def timeuuid_time(value: uuid.UUID) -> datetime:
    """The moment a ``created_timeuuid`` encodes (microsecond precision)."""
    micros = (value.time - _UUID_EPOCH_OFFSET) // 10
    return _UNIX_EPOCH + timedelta(microseconds=micros)
