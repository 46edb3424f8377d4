"""The one writer of a prediction record: every table, together.

TEMPORARY (issue 9's branch): a minimal stand-in with the signatures of the issue-7 writer
(``record_save``, ``record_delete``, ``SaveOutcome``, ``RecordNotKept``) so that history,
feedback and delete can be built and tested meanwhile. It writes the four tables with
cqlengine and has no outbox (a failed write answers ``stored: false``, as before). The
issue-7 version (prepared statements, durable outbox) replaces this file whole on merge.

Issue 10 (the admin's statistics) needs one statement from the writer, kept by whichever
version lands: after a record's rows are written, corrected or deleted (never batched with
them), ``day_stats_mark_changed(day=...)`` for the record's UTC day. See
docs/DATA_MODEL.md, "Admin".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC

from recognizer.db import CASSANDRA_ERRORS
from recognizer.records import keys
from recognizer.records.day_stats import day_stats_mark_changed
from recognizer.records.record import PredictionRecord
from recognizer.records.tables import (
    Prediction,
    PredictionByDay,
    PredictionByUser,
    PredictionMonthByUser,
)

logger = logging.getLogger(__name__)


class RecordNotKept(Exception):
    """Neither Cassandra nor the outbox took the record: the caller answers 503."""


@dataclass(frozen=True)
class SaveOutcome:
    # The record as kept: a record saved again keeps its first upload_time.
    record: PredictionRecord
    stored: bool
    queued: bool = False


def _fields(record: PredictionRecord) -> dict:
    return {
        "id": record.id,
        "digits": record.digits,
        "upload_time": record.upload_time,
        "confidence": record.confidence,
        "unsure": record.unsure,
        "probabilities": list(record.probabilities),
        "image": record.image,
        "model_version": record.model_version,
        "source": record.source,
        "corrected_label": record.corrected_label,
        "corrected_at": record.corrected_at,
    }


def record_save(*, record: PredictionRecord, revision: bool = False) -> SaveOutcome:
    """``revision=True``: the id may already be stored (the same drawing predicted again);
    keep its first upload_time so it stays one row in every table."""
    try:
        first = (
            Prediction.objects.filter(id=record.id).only(["upload_time"]).first()
            if revision
            else None
        )
        if first is not None:
            # The same drawing predicted again stays on the same history rows.
            record = replace(record, upload_time=first.upload_time.replace(tzinfo=UTC))
        fields = _fields(record)
        Prediction(user_id=record.user_id, username=record.username, **fields).save()
        if record.user_id is not None:
            PredictionByUser(
                user_id=record.user_id,
                month=keys.month_bucket(record.upload_time),
                created=record.created,
                **fields,
            ).save()
            PredictionMonthByUser(
                user_id=record.user_id, month=keys.month_bucket(record.upload_time)
            ).save()
        PredictionByDay(
            day=keys.day_bucket(record.upload_time),
            created=record.created,
            user_id=record.user_id,
            username=record.username,
            **fields,
        ).save()
        # After the rows, never batched with them: the admin's statistics of this day are stale.
        day_stats_mark_changed(day=keys.day_bucket(record.upload_time))
    except CASSANDRA_ERRORS as exc:
        # The stand-in has no outbox: the person still gets their answer, unsaved.
        logger.error("Could not store prediction %s: %s", record.id, exc)
        return SaveOutcome(record=record, stored=False)
    return SaveOutcome(record=record, stored=True)


def record_delete(*, record: PredictionRecord) -> SaveOutcome:
    if record.user_id is not None:
        PredictionByUser.objects.filter(
            user_id=record.user_id,
            month=keys.month_bucket(record.upload_time),
            created=record.created,
        ).delete()
    PredictionByDay.objects.filter(
        day=keys.day_bucket(record.upload_time), created=record.created
    ).delete()
    Prediction.objects.filter(id=record.id).delete()
    day_stats_mark_changed(day=keys.day_bucket(record.upload_time))
    return SaveOutcome(record=record, stored=True)
