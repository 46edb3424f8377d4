"""A user's summary (how many predictions, how often right by their own feedback) without
reading the whole history.

``prediction_stats_by_user`` holds one row per month, each *recomputed* from that month's
partition of ``predictions_by_user`` (three narrow columns), never incremented: recomputing
twice gives the same row, so retries, outbox replays and re-predictions of one drawing
cannot make it drift. A month is recomputed
- when its records change through feedback or delete (``month_stats_refresh``), and
- on reading the summary while the month is still *open*: the current month, and the
  previous one for a day after it ends, while late writes from the outbox may still land.
Closed months are read as they are, unless counted under older rules (``COUNTING_RULES``);
the summary costs one row per month plus one read of the open month's partition.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from recognizer.db import CASSANDRA_ERRORS
from recognizer.records import keys, selectors
from recognizer.records.prepared import digit_of
from recognizer.records.query import cql_execute
from recognizer.records.record import COUNTING_RULES, PredictionRecord, answered_right

logger = logging.getLogger(__name__)

# How long after a month ends an outbox replay may still add to it.
LATE_WRITES = timedelta(days=1)


@dataclass(frozen=True)
class DigitStats:
    digit: int
    judged: int
    right: int

    @property
    def accuracy(self) -> float | None:
        return self.right / self.judged if self.judged else None


@dataclass(frozen=True)
class HistorySummary:
    predictions: int
    per_digit: list[DigitStats]

    @property
    def judged(self) -> int:
        return sum(d.judged for d in self.per_digit)

    @property
    def right(self) -> int:
        return sum(d.right for d in self.per_digit)

    @property
    def accuracy(self) -> float | None:
        return self.right / self.judged if self.judged else None


def _month_end(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _MonthStats:
    predictions: int
    judged: dict[int, int]
    right: dict[int, int]


def month_stats_refresh(*, user_id: int, month: str, now: datetime) -> _MonthStats:
    """Recompute one month's row from its partition and store it."""
    predictions = 0
    judged: Counter[int] = Counter()
    right: Counter[int] = Counter()
    for row in cql_execute(
        "SELECT digits, not_a_digit, corrected_label FROM {ks}.predictions_by_user "
        "WHERE user_id = ? AND month = ?",
        (user_id, month),
    ):
        predictions += 1
        label = row["corrected_label"]
        if label is not None:
            judged[label] += 1
            right[label] += answered_right(
                digit=digit_of(row["digits"]), not_a_digit=bool(row["not_a_digit"]), label=label
            )
    stats = _MonthStats(predictions=predictions, judged=dict(judged), right=dict(right))
    cql_execute(
        "INSERT INTO {ks}.prediction_stats_by_user "
        "(user_id, month, predictions, judged, right, computed_at, counting_rules) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, month, stats.predictions, stats.judged, stats.right, now, COUNTING_RULES),
    )
    return stats


def month_stats_refresh_for(*, record: PredictionRecord, now: datetime) -> None:
    """After ``record`` changed (feedback, delete, a new answer), recompute its month's row.
    A failure is logged, not raised: the change itself is kept (or queued) by the writer,
    and an open month is recomputed on the next read anyway."""
    try:
        month_stats_refresh(
            user_id=record.user_id, month=keys.month_bucket(record.upload_time), now=now
        )
    except CASSANDRA_ERRORS as exc:
        logger.warning("Summary of %s not refreshed: %s", record.id, exc)


def history_summary(*, user_id: int, now: datetime) -> HistorySummary:
    kept = {
        row["month"]: row
        for row in cql_execute(
            "SELECT * FROM {ks}.prediction_stats_by_user WHERE user_id = ?", (user_id,)
        )
    }
    predictions = 0
    judged: Counter[int] = Counter()
    right: Counter[int] = Counter()
    for month in selectors.months_of(user_id=user_id):
        row = kept.get(month)
        if (
            row is None
            or row["counting_rules"] != COUNTING_RULES
            or row["computed_at"].replace(tzinfo=UTC) < _month_end(month) + LATE_WRITES
        ):
            stats = month_stats_refresh(user_id=user_id, month=month, now=now)
        else:
            stats = _MonthStats(row["predictions"] or 0, row["judged"] or {}, row["right"] or {})
        predictions += stats.predictions
        judged.update(stats.judged)
        right.update(stats.right)
    return HistorySummary(
        predictions=predictions,
        per_digit=[DigitStats(digit=d, judged=judged[d], right=right[d]) for d in range(10)],
    )
