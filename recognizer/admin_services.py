"""What staff do to predictions from the admin. Nothing here knows about HTTP."""

from __future__ import annotations

import uuid

from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser

from recognizer.records.admin_selectors import prediction_get, record_from_row
from recognizer.records.record import PredictionRecord
from recognizer.records.writer import record_delete


def prediction_delete(
    *, prediction_id: uuid.UUID, actor: AbstractBaseUser
) -> PredictionRecord | None:
    """Remove a prediction from every table that holds it, and say so in the admin log.

    Returns the record that was deleted, or None when there was none.
    """
    row = prediction_get(prediction_id=prediction_id)
    if row is None:
        return None
    record = record_from_row(row)
    record_delete(record=record)
    # A prediction is no Django model, so the entry names it without a content type.
    LogEntry.objects.create(
        user_id=actor.pk,
        content_type=None,
        object_id=str(record.id),
        object_repr=prediction_repr(record),
        action_flag=DELETION,
        change_message=(
            f"Deleted prediction {record.id} of {record.username or 'no user'} "
            f"from every table (model {record.model_version[:12]})."
        ),
    )
    return record


def prediction_repr(record: PredictionRecord) -> str:
    return (
        f"Prediction {'not a digit' if record.not_a_digit else record.digits} "
        f"by {record.username or 'no user'} "
        f"at {record.upload_time:%Y-%m-%d %H:%M:%S} UTC"
    )
