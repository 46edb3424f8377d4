"""Known prediction records for the admin's tests, written through the writer."""

from __future__ import annotations

import uuid
from datetime import datetime

from PIL import Image, ImageDraw

from recognizer.records.record import PredictionRecord
from recognizer.records.writer import record_save
from recognizer.tests.images import png_bytes


def thumbnail(digit: int) -> bytes:
    image = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(image).text((10, 8), str(digit), fill=255)
    return png_bytes(image)


def probabilities_for(digit: int, confidence: float) -> tuple[float, ...]:
    rest = (1 - confidence) / 9
    return tuple(confidence if d == digit else rest for d in range(10))


def saved_record(
    *,
    user,
    digit: int,
    when: datetime,
    corrected: int | None = None,
    unsure: bool = False,
    not_a_digit: bool = False,
    source: str = "page",
    version: str = "v1-aaaaaaaaaaaa",
    confidence: float | None = None,
) -> PredictionRecord:
    confidence = confidence if confidence is not None else (0.6 if unsure else 0.99)
    record = PredictionRecord(
        id=uuid.uuid4(),
        digits=str(digit),
        upload_time=when,
        user_id=user.pk if user else None,
        username=user.get_username() if user else "",
        confidence=confidence,
        unsure=unsure,
        not_a_digit=not_a_digit,
        probabilities=probabilities_for(digit, confidence),
        image=thumbnail(digit),
        model_version=version,
        source=source,
    )
    if corrected is not None:
        record = record.corrected(label=corrected, at=when)
    record_save(record=record)
    return record
