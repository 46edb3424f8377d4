"""A prediction record as plain data: what the writer writes to every table and the
outbox holds until Cassandra takes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from recognizer.records import keys

# The counting rules of the cached statistics (the admin's day tallies, a user's month
# summaries); a cache counted under older rules (an earlier number, or none) is counted
# again once. 2: a drawing answered "not a digit" is never right. 3: nor is it "not sure".
# 4: nor is it counted among the digits answered (the admin's answers chart).
COUNTING_RULES = 4


def answered_right(*, digit: int, not_a_digit: bool, label: int | None) -> bool:
    """Whether a person's label says the site was right: the site answered a digit, and it
    was that label. A drawing answered "not a digit" is not, whatever the network guessed."""
    return label is not None and label == digit and not not_a_digit


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
