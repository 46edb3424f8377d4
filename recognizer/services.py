"""Writes: recognising a drawing and recording it. Nothing here knows about HTTP."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser

from recognizer import preprocessing
from recognizer.db import CASSANDRA_ERRORS
from recognizer.inference import get_recognizer
from recognizer.models import SOURCES, Prediction

logger = logging.getLogger(__name__)


class PredictionIdTaken(ValueError):
    """A client-chosen id that already names someone else's prediction."""


@dataclass(frozen=True)
class PredictionResult:
    record: Prediction
    stored: bool
    # Milliseconds per stage (preprocess, infer, store), for the Server-Timing header.
    timings: dict[str, float] = field(default_factory=dict)


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = (now - self._last) * 1000
        self._last = now


def now_utc() -> datetime:
    """The current time at Cassandra's precision (milliseconds), so the time in an
    answer is exactly the time stored."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def prediction_create(
    *,
    user: AbstractBaseUser,
    image: bytes,
    source: str,
    prediction_id: uuid.UUID | None = None,
) -> PredictionResult:
    """Recognise ``image`` (PNG or JPEG bytes) and record it for ``user``.

    Raises ``preprocessing.ImageError`` for input that is not a drawing we can read;
    nothing is stored then. The id is made before the write, so the write can be
    repeated without adding a row. A client may choose the id itself so that its own
    retry after a lost answer gets the stored prediction back instead of a second one.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    stopwatch = _Stopwatch()
    image28 = preprocessing.preprocess(image)
    stopwatch.lap("preprocess")

    if prediction_id is not None:
        existing = _prediction_find(prediction_id)
        if existing is not None:
            if existing.user_id != user.pk:
                raise PredictionIdTaken(f"The id {prediction_id} is already used.")
            return PredictionResult(record=existing, stored=True)

    recognizer = get_recognizer()
    recognition = recognizer.recognize(image28)
    stopwatch.lap("infer")
    record = Prediction(
        id=prediction_id or uuid.uuid4(),
        digits=str(recognition.digit),
        upload_time=now_utc(),
        user_id=user.pk,
        username=user.get_username(),
        confidence=recognition.confidence,
        unsure=recognition.unsure,
        probabilities=list(recognition.probabilities),
        image=preprocessing.to_png_bytes(image28),
        model_version=recognizer.model_version,
        source=source,
    )
    stored = prediction_record(record=record)
    stopwatch.lap("store")
    return PredictionResult(record=record, stored=stored, timings=stopwatch.laps)


def _prediction_find(prediction_id: uuid.UUID) -> Prediction | None:
    try:
        return Prediction.objects.filter(id=prediction_id).first()
    except CASSANDRA_ERRORS as exc:
        # Cannot tell whether it exists; writing it again is an idempotent upsert.
        logger.warning("Could not look up prediction %s: %s", prediction_id, exc)
        return None


def prediction_record(*, record: Prediction) -> bool:
    """Write ``record`` to Cassandra; an upsert keyed by its id, so safe to repeat.

    Returns False (and logs) when Cassandra cannot take the write: the person still
    gets their answer.
    """
    try:
        record.save()
    except CASSANDRA_ERRORS as exc:
        logger.error("Could not store prediction %s: %s", record.id, exc)
        return False
    return True
