"""A prediction record as plain data: what the writer writes to every table and the
outbox holds until Cassandra takes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from recognizer.records import keys


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    id: uuid.UUID
    digits: str
    upload_time: datetime
    user_id: int | None
    username: str
    confidence: float
    unsure: bool
    probabilities: tuple[float, ...]
    image: bytes
    model_version: str
    source: str
    corrected_label: int | None = None
    corrected_at: datetime | None = None
    # The network's own answer stays in digits and probabilities even when it says this.
    not_a_digit: bool = False

    @property
    def created(self) -> uuid.UUID:
        """The clustering key of the history tables (see ``keys.created_timeuuid``)."""
        return keys.created_timeuuid(upload_time=self.upload_time, record_id=self.id)

    def corrected(self, *, label: int, at: datetime) -> PredictionRecord:
        return replace(self, corrected_label=label, corrected_at=at)
