"""The durable local outbox: operations Cassandra could not take yet, and their replay.

SQLite in WAL mode with ``synchronous=FULL``: a committed row has reached the disk
(fsync) before the writer answers, so neither a crash of the process nor of the machine
loses it. One row per pending operation, holding the complete record as JSON, so that
replaying it writes every table the record belongs to. Rows replay in the order they
were queued, under one drainer at a time (an exclusive lock file beside the database).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

from django.conf import settings

from recognizer.db import CASSANDRA_ERRORS
from recognizer.records.cql import PERMANENT_ERRORS, Operation, operation_apply
from recognizer.records.record import PredictionRecord

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
# Feedback operations' payloads. The site's code from before them replayed any kind but
# "save" as a delete; it refuses this version instead (a ValueError: the row is set aside
# as failed), so a drainer not yet upgraded, or a rollback, cannot delete those records.
FEEDBACK_PAYLOAD_VERSION = 2
_PAYLOAD_VERSIONS = (PAYLOAD_VERSION, FEEDBACK_PAYLOAD_VERSION)

# PRAGMA user_version of an outbox file with this schema (1: before 'feedback').
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('save', 'delete', 'feedback')),
    revision INTEGER NOT NULL DEFAULT 0,
    write_time INTEGER NOT NULL,
    payload TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    -- 1 when Cassandra refused the operation for good (kept for a person to look at).
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_record_id ON outbox (record_id);
"""


class OutboxError(Exception):
    """The outbox cannot take or give rows (disk full, read-only, corrupt)."""


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    failed: int
    # Seconds since the oldest pending operation was queued; None when nothing waits.
    oldest_age: float | None


@dataclass(frozen=True)
class DrainReport:
    applied: int
    failed: int
    remaining: int
    # Why the drain stopped early (Cassandra unavailable), or None.
    error: str | None = None
    # False when another drainer holds the lock: nothing was tried.
    ran: bool = True


# --- The record as JSON --------------------------------------------------------------------


def record_to_json(record: PredictionRecord, *, version: int = PAYLOAD_VERSION) -> str:
    data: dict[str, object] = {"v": version}
    for field in fields(record):
        value = getattr(record, field.name)
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        elif isinstance(value, tuple):
            value = list(value)
        data[field.name] = value
    return json.dumps(data, separators=(",", ":"))


def record_from_json(text: str) -> PredictionRecord:
    data = json.loads(text)
    if data.pop("v", None) not in _PAYLOAD_VERSIONS:
        raise ValueError("unknown outbox payload version")

    def when(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return PredictionRecord(
        **{
            **data,
            "id": uuid.UUID(data["id"]),
            "upload_time": when(data["upload_time"]),
            "corrected_at": when(data.get("corrected_at")),
            "probabilities": tuple(data["probabilities"]),
            "image": base64.b64decode(data["image"]),
        }
    )


# --- The database ----------------------------------------------------------------------------

_local = threading.local()


def outbox_path() -> Path:
    return Path(settings.OUTBOX_PATH)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: each statement (or explicit BEGIN ... COMMIT) is its own transaction.
    db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # FULL: every commit is fsynced, so a queued record survives a power cut.
    db.execute("PRAGMA synchronous=FULL")
    if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        _schema_upgrade(db)
    return db


def _schema_upgrade(db: sqlite3.Connection) -> None:
    """Create the table, or upgrade an older outbox file in place, its rows kept: SQLite
    cannot change a CHECK constraint, so the table is copied into the new shape. One
    transaction, under SQLite's write lock, so two processes opening the file at once
    upgrade it once."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            old = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone()
            if old is not None:
                db.execute("ALTER TABLE outbox RENAME TO outbox_old")
                db.execute("DROP INDEX IF EXISTS outbox_record_id")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if old is not None:
                db.execute("INSERT INTO outbox SELECT * FROM outbox_old")
                db.execute("DROP TABLE outbox_old")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _db() -> sqlite3.Connection:
    """This thread's connection to the outbox (a new one when OUTBOX_PATH changes)."""
    path = outbox_path()
    cached = getattr(_local, "db", None)
    if cached is not None and cached[0] == path:
        return cached[1]
    try:
        db = _connect(path)
    except (sqlite3.Error, OSError) as exc:
        raise OutboxError(f"cannot open the outbox at {path}: {exc}") from exc
    _local.db = (path, db)
    return db


@contextlib.contextmanager
def _errors_as_outbox_error(what: str) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        # A failed connection may be left in a bad state: open a new one next time.
        _local.db = None
        raise OutboxError(f"outbox {what} failed ({outbox_path()}): {exc}") from exc


def outbox_put(*, operation: Operation) -> int:
    """Queue ``operation`` durably; returns its sequence number. Raises ``OutboxError``."""
    version = FEEDBACK_PAYLOAD_VERSION if operation.kind == "feedback" else PAYLOAD_VERSION
    with _errors_as_outbox_error("write"):
        cursor = _db().execute(
            "INSERT INTO outbox (record_id, kind, revision, write_time, payload, queued_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                str(operation.record.id),
                operation.kind,
                int(operation.revision),
                operation.write_time,
                record_to_json(operation.record, version=version),
                time.time(),
            ),
        )
        return int(cursor.lastrowid)


def outbox_has_pending(*, record_id: uuid.UUID) -> bool:
    """Whether an earlier operation on this record still waits (a new one must queue
    behind it, so that operations on one record reach Cassandra in order)."""
    with _errors_as_outbox_error("read"):
        row = (
            _db()
            .execute(
                "SELECT 1 FROM outbox WHERE record_id = ? AND failed = 0 LIMIT 1", (str(record_id),)
            )
            .fetchone()
        )
    return row is not None


def outbox_pending_for(*, record_id: uuid.UUID) -> list[Operation]:
    """The operations on this record still waiting, oldest first."""
    with _errors_as_outbox_error("read"):
        rows = (
            _db()
            .execute(
                "SELECT seq, kind, revision, write_time, payload FROM outbox "
                "WHERE record_id = ? AND failed = 0 ORDER BY seq",
                (str(record_id),),
            )
            .fetchall()
        )
    return [_operation(row) for row in rows]


def outbox_status() -> OutboxStatus:
    with _errors_as_outbox_error("read"):
        pending, failed, oldest = (
            _db()
            .execute(
                "SELECT COALESCE(SUM(failed = 0), 0), COALESCE(SUM(failed = 1), 0), "
                "MIN(CASE WHEN failed = 0 THEN queued_at END) FROM outbox"
            )
            .fetchone()
        )
    age = None if oldest is None else max(0.0, time.time() - oldest)
    return OutboxStatus(pending=int(pending), failed=int(failed), oldest_age=age)


def outbox_pending_operations() -> list[Operation]:
    """Every pending operation, oldest first (for tests and for looking at the backlog)."""
    with _errors_as_outbox_error("read"):
        rows = (
            _db()
            .execute(
                "SELECT seq, kind, revision, write_time, payload FROM outbox "
                "WHERE failed = 0 ORDER BY seq"
            )
            .fetchall()
        )
    return [_operation(row) for row in rows]


def _operation(row: tuple) -> Operation:
    _seq, kind, revision, write_time, payload = row
    return Operation(
        kind=kind,
        record=record_from_json(payload),
        write_time=int(write_time),
        revision=bool(revision),
    )


# --- Draining ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _drain_lock() -> Iterator[bool]:
    """True when this process holds the drain lock (one drainer per outbox file)."""
    path = outbox_path().with_name(outbox_path().name + ".drain-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Operations on different records replay side by side (their order does not matter:
# each carries its own timestamp); operations on one record never do.
DRAIN_CONCURRENCY = 8


def _waves(rows: list[tuple]) -> Iterator[list[tuple]]:
    """Consecutive runs of rows with distinct record ids, in queue order."""
    wave: list[tuple] = []
    ids: set[str] = set()
    for row in rows:
        if row[1] in ids or len(wave) >= DRAIN_CONCURRENCY:
            yield wave
            wave, ids = [], set()
        wave.append(row)
        ids.add(row[1])
    if wave:
        yield wave


def _replay(row: tuple) -> BaseException | None:
    try:
        operation_apply(_operation(row[:1] + row[2:]))
    except (*CASSANDRA_ERRORS, *PERMANENT_ERRORS) as exc:
        return exc
    return None


def outbox_drain(*, batch: int = 200, limit: int | None = None) -> DrainReport:
    """Replay pending operations oldest first, each removed once Cassandra took it.

    Stops at the first wave Cassandra cannot take (it is probably down: the order of what
    follows is kept). An operation Cassandra refuses for good (a payload that does not
    bind) is marked failed, logged, and stepped over. Raises ``OutboxError`` when the
    outbox itself fails.
    """
    applied = failed = 0
    with _drain_lock() as held:
        if not held:
            return DrainReport(0, 0, outbox_status().pending, ran=False)
        with ThreadPoolExecutor(max_workers=DRAIN_CONCURRENCY) as pool:
            while limit is None or applied + failed < limit:
                with _errors_as_outbox_error("read"):
                    db = _db()
                    rows = db.execute(
                        "SELECT seq, record_id, kind, revision, write_time, payload FROM outbox "
                        "WHERE failed = 0 ORDER BY seq LIMIT ?",
                        (batch if limit is None else min(batch, limit - applied - failed),),
                    ).fetchall()
                if not rows:
                    break
                for wave in _waves(rows):
                    results = list(zip(wave, pool.map(_replay, wave), strict=True))
                    done = [(row[0],) for row, exc in results if exc is None]
                    refused = [
                        (f"{type(exc).__name__}: {exc}"[:500], row[0])
                        for row, exc in results
                        if isinstance(exc, PERMANENT_ERRORS)
                    ]
                    retry = [
                        (f"{type(exc).__name__}: {exc}"[:500], row[0])
                        for row, exc in results
                        if exc is not None and not isinstance(exc, PERMANENT_ERRORS)
                    ]
                    for error, seq in refused:
                        logger.error(
                            "outbox: operation %s refused for good, set aside: %s", seq, error
                        )
                    with _errors_as_outbox_error("write"):
                        # One transaction (one fsync) per wave.
                        db.execute("BEGIN IMMEDIATE")
                        db.executemany("DELETE FROM outbox WHERE seq = ?", done)
                        db.executemany(
                            "UPDATE outbox SET failed = 1, attempts = attempts + 1, "
                            "last_error = ? WHERE seq = ?",
                            refused,
                        )
                        db.executemany(
                            "UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                            "WHERE seq = ?",
                            retry,
                        )
                        db.execute("COMMIT")
                    applied += len(done)
                    failed += len(refused)
                    if retry:
                        return DrainReport(
                            applied, failed, outbox_status().pending, error=retry[0][0]
                        )
    return DrainReport(applied, failed, outbox_status().pending)
