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
from recognizer.inference import ModelUnavailable, get_recognizer
from recognizer.records import keys
from recognizer.records.cql import statements_prepare
from recognizer.records.record import PredictionRecord
from recognizer.records.stats import month_stats_refresh_for
from recognizer.records.tables import SOURCES
from recognizer.records.writer import record_save

logger = logging.getLogger(__name__)

# Client ids are scoped to their user through this namespace (see prediction_id_for).
CLIENT_ID_NAMESPACE = uuid.UUID("6b1f2c1e-5d0a-4c55-9a57-3f4d8e2a7c10")


@dataclass(frozen=True)
class PredictionResult:
    record: PredictionRecord
    # In Cassandra now; else queued in the outbox (see recognizer.records.writer).
    stored: bool
    queued: bool
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
    client_id: uuid.UUID | None = None,
) -> PredictionResult:
    """Recognise ``image`` (PNG or JPEG bytes) and record it for ``user``.

    Raises ``preprocessing.ImageError`` for input that is not a drawing we can read;
    nothing is stored then. The id is made before the write, so the write can be
    repeated without adding a row. A client that names its drawing (``client_id``) can
    retry after a lost answer, or predict the same drawing again: it stays one record,
    with the upload_time of its first save. Raises ``records.writer.RecordNotKept`` when
    neither Cassandra nor the outbox can keep the record.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    stopwatch = _Stopwatch()
    image28 = preprocessing.preprocess(image)
    stopwatch.lap("preprocess")

    recognizer = get_recognizer()
    recognition = recognizer.recognize(image28)
    stopwatch.lap("infer")
    record = PredictionRecord(
        id=uuid.uuid4() if client_id is None else prediction_id_for(user=user, client_id=client_id),
        digits=str(recognition.digit),
        upload_time=now_utc(),
        user_id=user.pk,
        username=user.get_username(),
        confidence=float(recognition.confidence),
        unsure=bool(recognition.unsure),
        not_a_digit=bool(recognition.not_a_digit),
        probabilities=tuple(float(p) for p in recognition.probabilities),
        image=preprocessing.to_png_bytes(image28),
        model_version=recognizer.model_version,
        source=source,
    )
    # A client's id may name a drawing predicted before: a revision keeps its first time.
    outcome = record_save(record=record, revision=client_id is not None)
    stopwatch.lap("store")
    if keys.month_bucket(outcome.record.upload_time) != keys.month_bucket(record.upload_time):
        # A drawing first saved in an earlier month got a new answer, which dropped its
        # feedback: that month's summary may be closed, so recompute it now.
        month_stats_refresh_for(record=outcome.record, now=record.upload_time)
    return PredictionResult(
        record=outcome.record,
        stored=outcome.stored,
        queued=outcome.queued,
        timings=stopwatch.laps,
    )


def prediction_id_for(*, user: AbstractBaseUser, client_id: uuid.UUID) -> uuid.UUID:
    """The row id for a client's id: the same for the same user and client id, so a retry
    is an upsert of one row, and never another user's row, so no read is needed to check."""
    return uuid.uuid5(CLIENT_ID_NAMESPACE, f"{user.pk}:{client_id}")


def serving_warm_up() -> None:
    """Ready a serving process at boot (gunicorn.conf.py's ``post_worker_init``, in each
    worker after the fork): load the model and connect to Cassandra with the writer's
    statements prepared, so that the first requests pay for neither.

    Neither failure stops the site: a missing or corrupt model is one clear log line (and
    predictions and ``/readyz`` answer 503 until there is one); an unreachable Cassandra is
    one line too, and records go to the outbox until it answers.
    """
    try:
        get_recognizer()
    except ModelUnavailable as exc:
        logger.error("%s", exc)
    try:
        statements_prepare()
    except CASSANDRA_ERRORS as exc:
        logger.warning("Cassandra is not reachable at start (%s); records go to the outbox", exc)
