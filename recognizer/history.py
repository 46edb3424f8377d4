"""A user's own history: feedback, delete, batch upload and export. Nothing here knows
about HTTP; the page views and the JSON API share these functions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser

from recognizer import preprocessing
from recognizer.csv_export import csv_lines
from recognizer.records import selectors
from recognizer.records.record import PredictionRecord
from recognizer.records.stats import month_stats_refresh_for
from recognizer.records.writer import record_delete, record_feedback
from recognizer.services import PredictionResult, now_utc, prediction_create

# A batch is for a handful of scans or exports, not for bulk loading.
MAX_BATCH_FILES = 20

IMAGE_ERROR_STATUS = {
    preprocessing.InvalidImage: 400,
    preprocessing.ImageTooLarge: 413,
    preprocessing.UnsupportedImage: 415,
    preprocessing.NothingDrawn: 422,
}


class PredictionNotFound(Exception):
    """No such prediction *for this user*: someone else's reads exactly like a missing one."""


def _own_record(*, user: AbstractBaseUser, prediction_id: uuid.UUID) -> PredictionRecord:
    record = selectors.record_get(
        user_id=user.pk, username=user.get_username(), prediction_id=prediction_id
    )
    if record is None:
        raise PredictionNotFound(f"No prediction {prediction_id}.")
    return record


def prediction_get(*, user: AbstractBaseUser, prediction_id: uuid.UUID) -> PredictionRecord:
    return _own_record(user=user, prediction_id=prediction_id)


def prediction_feedback(
    *, user: AbstractBaseUser, prediction_id: uuid.UUID, label: int, at: datetime | None = None
) -> PredictionRecord:
    """Record what the drawing really was (``label`` = the answer itself means "right"),
    on the record in every table, through the one writer (the feedback cells only)."""
    if not 0 <= label <= 9:
        raise ValueError("label must be a digit 0-9")
    record = _own_record(user=user, prediction_id=prediction_id).corrected(
        label=label, at=at or now_utc()
    )
    record = record_feedback(record=record).record
    month_stats_refresh_for(record=record, now=now_utc())
    return record


def prediction_delete(*, user: AbstractBaseUser, prediction_id: uuid.UUID) -> None:
    record = _own_record(user=user, prediction_id=prediction_id)
    record_delete(record=record)
    month_stats_refresh_for(record=record, now=now_utc())


@dataclass(frozen=True)
class BatchItem:
    name: str
    result: PredictionResult | None = None
    status: int = 200
    error: str | None = None


def predictions_batch_create(
    *, user: AbstractBaseUser, files: Iterable[tuple[str, bytes]]
) -> list[BatchItem]:
    """Recognise each file on its own: one record per good file, and a bad file fails
    alone with its own status and message. ``ModelUnavailable`` still stops the batch."""
    items = []
    for name, image in files:
        try:
            result = prediction_create(user=user, image=image, source="upload")
        except preprocessing.ImageError as exc:
            items.append(
                BatchItem(name=name, status=IMAGE_ERROR_STATUS.get(type(exc), 400), error=str(exc))
            )
        else:
            items.append(BatchItem(name=name, result=result))
    return items


CSV_COLUMNS = (
    "id",
    "upload_time",
    "digit",
    "confidence",
    "unsure",
    "not_a_digit",
    "corrected_label",
    "corrected_at",
    "model_version",
    "source",
)


def history_csv(*, user: AbstractBaseUser) -> Iterator[str]:
    """The user's whole history as CSV, a line at a time, newest first."""
    records = selectors.history_all(user_id=user.pk, username=user.get_username())
    return csv_lines(
        CSV_COLUMNS,
        (
            (
                record.id,
                _iso(record.upload_time),
                record.digits,
                f"{record.confidence:.6f}",
                int(record.unsure),
                int(record.not_a_digit),
                "" if record.corrected_label is None else record.corrected_label,
                _iso(record.corrected_at),
                record.model_version,
                record.source,
            )
            for record in records
        ),
    )


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
