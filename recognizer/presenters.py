"""How a prediction reads in JSON: one shape for the answer and for history."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from recognizer.records.record import PredictionRecord

if TYPE_CHECKING:
    from recognizer.services import PredictionResult


def isoformat_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    # cqlengine hands back naive datetimes in UTC.
    utc = value.astimezone(UTC) if value.tzinfo else value
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def png_data_url(image: bytes | None) -> str | None:
    return f"data:image/png;base64,{base64.b64encode(image).decode()}" if image else None


def prediction_json(
    record: PredictionRecord, *, stored: bool = True, queued: bool = False
) -> dict[str, Any]:
    probabilities = [round(float(p), 6) for p in record.probabilities or ()]
    ranked = sorted(range(len(probabilities)), key=lambda d: -probabilities[d])
    return {
        "id": str(record.id),
        "digit": int(record.digits),
        "confidence": round(float(record.confidence), 6),
        "unsure": bool(record.unsure),
        # The network says it is no digit at all (a letter, a shape, "12"); "digit" is still
        # what it would be if it were one.
        "not_a_digit": bool(record.not_a_digit),
        # The two likeliest digits, for "not sure: 4 or 9?".
        "alternatives": ranked[:2],
        "probabilities": probabilities,
        "upload_time": isoformat_utc(record.upload_time),
        "model_version": record.model_version,
        "source": record.source,
        "corrected_label": record.corrected_label,
        "corrected_at": isoformat_utc(record.corrected_at),
        "stored": stored,
        "queued": queued,
        "image": png_data_url(record.image),
    }


def prediction_result_json(result: PredictionResult) -> dict[str, Any]:
    """A fresh answer: the record, and whether Cassandra or the outbox holds it."""
    return prediction_json(result.record, stored=result.stored, queued=result.queued)
