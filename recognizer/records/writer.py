"""TEMPORARY stand-in for issue 7's writer, so the admin (issue 10) has records in every
table to show. The lead keeps issue 7's ``writer.py`` when merging; what the admin needs
from it is only the last step of both functions here: ``day_stats_mark_changed`` after the
record's rows are written or deleted (see docs/DATA_MODEL.md, "Admin statistics").
"""

from __future__ import annotations

import enum

from recognizer.records import keys
from recognizer.records.day_stats import day_stats_mark_changed
from recognizer.records.record import PredictionRecord
from recognizer.records.tables import (
    Prediction,
    PredictionByDay,
    PredictionByUser,
    PredictionMonthByUser,
)


class SaveOutcome(enum.Enum):
    STORED = "stored"
    QUEUED = "queued"


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


def record_save(*, record: PredictionRecord) -> SaveOutcome:
    """Upsert ``record`` into every table; its keys come from ``keys``, so a repeat
    lands on the same rows."""
    fields = _fields(record)
    month = keys.month_bucket(record.upload_time)
    day = keys.day_bucket(record.upload_time)
    Prediction.create(**fields, user_id=record.user_id, username=record.username)
    if record.user_id is not None:
        PredictionByUser.create(
            **fields, user_id=record.user_id, month=month, created=record.created
        )
        PredictionMonthByUser.create(user_id=record.user_id, month=month)
    PredictionByDay.create(
        **fields, day=day, created=record.created, user_id=record.user_id, username=record.username
    )
    # After the rows, never batched with them: the admin's statistics of this day are stale.
    day_stats_mark_changed(day=day)
    return SaveOutcome.STORED


def record_delete(*, record: PredictionRecord) -> None:
    """Remove ``record`` from every table that holds it."""
    day = keys.day_bucket(record.upload_time)
    Prediction.objects(id=record.id).delete()
    if record.user_id is not None:
        PredictionByUser.objects(
            user_id=record.user_id,
            month=keys.month_bucket(record.upload_time),
            created=record.created,
        ).delete()
    PredictionByDay.objects(day=day, created=record.created).delete()
    day_stats_mark_changed(day=day)
