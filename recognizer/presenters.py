"""How a prediction reads in JSON: one shape for the answer and for history."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from recognizer.records.record import PredictionRecord


def isoformat_utc(value: datetime) -> str:
    # cqlengine hands back naive datetimes in UTC.
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    text = value.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"{text}Z"


def prediction_json(
    record: PredictionRecord, *, stored: bool = True, queued: bool = False
) -> dict[str, Any]:
    """``stored``: in Cassandra now; ``queued``: waiting in the outbox, kept all the same."""
    probabilities = [round(float(p), 6) for p in record.probabilities or []]
    ranked = sorted(range(len(probabilities)), key=lambda d: -probabilities[d])
    image = record.image
    return {
        "id": str(record.id),
        "digit": int(record.digits),
        "confidence": round(float(record.confidence), 6),
        "unsure": bool(record.unsure),
        # The two likeliest digits, for "not sure: 4 or 9?".
        "alternatives": ranked[:2],
        "probabilities": probabilities,
        "upload_time": isoformat_utc(record.upload_time),
        "model_version": record.model_version,
        "source": record.source,
        "corrected_label": record.corrected_label,
        "stored": stored,
        "queued": queued,
        "image": f"data:image/png;base64,{base64.b64encode(image).decode()}" if image else None,
    }
