"""The one writer of prediction records: to every Cassandra table, or to the outbox.

    outcome = record_save(record=record)   # stored now, or queued durably
    outcome = record_feedback(record=record.corrected(label=3, at=now))
    outcome = record_delete(record=record)

Either the record reaches every table now (``stored``), or the complete operation is in
the durable outbox before this returns (``queued``), and the drainer
(``manage.py drain_outbox --follow``) replays it as soon as Cassandra answers. If even the
outbox cannot take it, ``RecordNotKept`` is raised and nothing may be acknowledged.

After a failure, the next writes of this process go straight to the outbox for a moment
(a circuit breaker, ``_Circuit``), so a frozen Cassandra costs one timeout, not one per
request. Operations on one record keep their order: while an earlier one waits in the outbox, a
new one queues behind it; and every operation writes with its own timestamp, so a late
replay never undoes a newer write.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from recognizer.db import CASSANDRA_ERRORS
from recognizer.records.cql import Operation, operation_apply, write_time_now
from recognizer.records.outbox import OutboxError, outbox_has_pending, outbox_path, outbox_put
from recognizer.records.record import PredictionRecord

logger = logging.getLogger(__name__)


class RecordNotKept(Exception):
    """Neither Cassandra nor the outbox could take the record: it is held nowhere."""


@dataclass(frozen=True)
class SaveOutcome:
    # The record as kept: a revision carries the upload_time of its first save (when
    # Cassandra was there to say it; a queued revision gets it when replayed).
    record: PredictionRecord
    # In Cassandra, in every table, now.
    stored: bool
    # In the outbox, waiting for the drainer (exactly one of stored/queued is true).
    queued: bool


class _Circuit:
    """After Cassandra fails a write, this process sends the next writes straight to the
    outbox instead of letting each wait for its own timeout (a frozen node would otherwise
    hold every worker thread for 2 s per request, and answers would queue up behind them).
    One write at a time tries Cassandra again every ``CASSANDRA_CONNECT_RETRY`` seconds;
    the first that succeeds closes the circuit. Logs once when the outbox starts filling
    and once when it stops.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = False
        self._opened_at = 0.0
        self._probing = False

    def allows_a_try(self) -> bool:
        with self._lock:
            if not self._open:
                return True
            if (
                self._probing
                or time.monotonic() - self._opened_at < settings.CASSANDRA_CONNECT_RETRY
            ):
                return False
            self._probing = True
            return True

    def failed(self, reason: str) -> None:
        with self._lock:
            was_open, self._open = self._open, True
            self._opened_at = time.monotonic()
            self._probing = False
        if not was_open:
            logger.warning(
                "outbox: Cassandra cannot take writes (%s); records wait in %s",
                reason,
                outbox_path(),
            )

    def release(self) -> None:
        """A try that ended neither way (a bug, not Cassandra): let another one try."""
        with self._lock:
            self._probing = False

    def succeeded(self) -> None:
        with self._lock:
            was_open, self._open, self._probing = self._open, False, False
        if was_open:
            logger.warning("outbox: Cassandra takes writes again; no longer queueing")


_circuit = _Circuit()


def record_save(*, record: PredictionRecord, revision: bool = False) -> SaveOutcome:
    """Write ``record`` to every table (an upsert keyed by its id and time), or queue it.

    ``revision=True`` for a later save of a record that may already be stored with an
    earlier ``upload_time`` (a client predicting the same drawing id again): the writer
    reads the stored time by primary key and keeps it, so the record stays one row in
    every table, and clears feedback given to the earlier answer. Without it (a fresh id,
    or a record read back and corrected) no read is made. Raises ``RecordNotKept`` when
    neither Cassandra nor the outbox can take it.
    """
    return _apply_or_queue(
        Operation(kind="save", record=record, write_time=write_time_now(), revision=revision)
    )


def record_feedback(*, record: PredictionRecord) -> SaveOutcome:
    """Write ``record``'s feedback (``corrected_label``, ``corrected_at``) to the stored
    record's rows, and nothing else: a newer answer saved meanwhile, or still waiting in the
    outbox, keeps its digits. Nothing of it is left when the record is gone by then."""
    return _apply_or_queue(Operation(kind="feedback", record=record, write_time=write_time_now()))


def record_delete(*, record: PredictionRecord) -> SaveOutcome:
    """Delete ``record`` from every table, or queue the deletion behind earlier writes."""
    return _apply_or_queue(Operation(kind="delete", record=record, write_time=write_time_now()))


def _apply_or_queue(operation: Operation) -> SaveOutcome:
    try:
        waiting = outbox_has_pending(record_id=operation.record.id)
    except OutboxError as exc:
        # Cannot tell; Cassandra may still take it, and the timestamps keep the order.
        logger.error("%s", exc)
        waiting = False
    if waiting:
        return _queue(operation, reason="an earlier write of this record is still queued")
    if not _circuit.allows_a_try():
        return _queue(operation, reason="not tried: Cassandra failed a moment ago")
    try:
        kept = operation_apply(operation)
    except CASSANDRA_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"
        _circuit.failed(reason)
        return _queue(operation, reason=reason)
    except BaseException:
        _circuit.release()
        raise
    _circuit.succeeded()
    return SaveOutcome(record=kept, stored=True, queued=False)


def _queue(operation: Operation, *, reason: str) -> SaveOutcome:
    try:
        outbox_put(operation=operation)
    except OutboxError as exc:
        logger.error(
            "record %s held nowhere: Cassandra (%s) and the outbox (%s) both failed",
            operation.record.id,
            reason,
            exc,
        )
        raise RecordNotKept(
            "The prediction could not be kept: the database is unavailable and the local "
            "queue cannot take it. Try again later."
        ) from exc
    return SaveOutcome(record=operation.record, stored=False, queued=True)
