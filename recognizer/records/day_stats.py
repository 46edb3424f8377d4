"""Exact per-day statistics for the admin, recomputed from the day partitions and cached.

Cassandra counters are not idempotent: a retried or replayed write would count twice. So
nothing is ever incremented. The writer only says "this day changed" (``day_stats_mark_changed``,
one statement, setting ``changed`` to a fresh server-side ``now()``), and a reader that finds
a day whose cache was computed for another ``changed`` value recounts that day from its
partition of ``predictions_by_day`` and stores the result with ``computed_for`` = the
``changed`` value it read *before* recounting. A write that lands during the recount sets a
newer ``changed`` and so leaves the cache stale for the next reader: never wrong, at worst
recounted once more. See docs/DATA_MODEL.md ("Admin statistics").

A day is cached only once it has been over for ``CACHE_AFTER``; until then every reader
recounts it. So a writer whose rows were acknowledged less than ``MARK_FREE_FOR`` after the
end of their day need not mark it (``day_stats_mark_needed``): every recount that may be
cached starts later than that and sees those rows. That is the common case, a prediction
written on its own day, and it saves the mark's round trip and fsync (about 1 ms of the
request and 1.2 ms of CPU, docs/PERFORMANCE.md). A replay from the outbox, a correction or
a deletion after the day (and its ``MARK_FREE_FOR``) is over still marks. The gap between
the two constants is the clock skew tolerated between the writer's and the reader's hosts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from recognizer.db import cassandra_session
from recognizer.records.keys import created_timeuuid
from recognizer.records.prepared import digit_of, prepared
from recognizer.records.record import COUNTING_RULES, answered_right

# The ``changed`` value of a day the writer has never marked (data older than this table, or
# no data): a cache computed for it stays fresh until the writer marks the day.
NEVER_CHANGED = created_timeuuid(
    upload_time=datetime(1970, 1, 1, tzinfo=UTC), record_id=uuid.UUID(int=0)
)
DIGITS = range(10)
# How many rows the driver brings per round trip while recounting a day.
RECOUNT_FETCH_SIZE = 5000
# See the module docstring: a day's rows acknowledged within MARK_FREE_FOR of its end need no
# mark, because no reader caches the day before CACHE_AFTER has passed.
MARK_FREE_FOR = timedelta(minutes=10)
CACHE_AFTER = timedelta(minutes=20)


@dataclass
class Tally:
    """Counts of one model version over some predictions (a day, or a range of days)."""

    n: int = 0
    # Answered as each digit; a drawing answered "not a digit" counts in not_a_digit only.
    digits: list[int] = field(default_factory=lambda: [0] * 10)
    unsure: int = 0
    # Answered "that doesn't look like a digit" (the stored digit is the network's guess).
    not_a_digit: int = 0
    # Predictions a person gave a label to, and those where the site's answer was that label
    # (never a drawing it answered "not a digit", whatever the network guessed).
    feedback: int = 0
    agree: int = 0
    # confusion[predicted][corrected], over predictions with feedback.
    confusion: list[list[int]] = field(default_factory=lambda: [[0] * 10 for _ in DIGITS])

    def count(
        self, *, digit: int, unsure: bool, not_a_digit: bool, corrected_label: int | None
    ) -> None:
        self.n += 1
        if not not_a_digit:
            self.digits[digit] += 1
        # "Not sure" is what the page said: a rejected drawing was "not a digit" instead.
        self.unsure += bool(unsure) and not not_a_digit
        self.not_a_digit += bool(not_a_digit)
        if corrected_label is not None:
            self.feedback += 1
            self.agree += answered_right(
                digit=digit, not_a_digit=not_a_digit, label=corrected_label
            )
            self.confusion[digit][corrected_label] += 1

    def add(self, other: Tally) -> None:
        self.n += other.n
        self.unsure += other.unsure
        self.not_a_digit += other.not_a_digit
        self.feedback += other.feedback
        self.agree += other.agree
        for d in DIGITS:
            self.digits[d] += other.digits[d]
            for c in DIGITS:
                self.confusion[d][c] += other.confusion[d][c]

    def as_json(self) -> dict:
        return {
            "format": COUNTING_RULES,
            "n": self.n,
            "digits": self.digits,
            "unsure": self.unsure,
            "not_a_digit": self.not_a_digit,
            "feedback": self.feedback,
            "agree": self.agree,
            "confusion": self.confusion,
        }

    @classmethod
    def from_json(cls, data: dict) -> Tally:
        return cls(
            n=data["n"],
            digits=list(data["digits"]),
            unsure=data["unsure"],
            not_a_digit=data["not_a_digit"],
            feedback=data["feedback"],
            agree=data["agree"],
            confusion=[list(row) for row in data["confusion"]],
        )


DayTallies = dict[str, Tally]  # model_version -> Tally


def day_stats_mark_needed(*, day: date, acknowledged: datetime) -> bool:
    """Whether rows of ``day`` that Cassandra acknowledged at ``acknowledged`` (UTC, after
    the acknowledgement) need ``day_stats_mark_changed``: only once the day may be cached."""
    return acknowledged >= _day_end(day) + MARK_FREE_FOR


def day_stats_mark_changed(*, day: date) -> None:
    """The writer's one statement, run after a record's rows on ``day`` were written,
    corrected or deleted (never batched with them: see the module docstring), when
    ``day_stats_mark_needed`` says so."""
    statement = prepared(
        "UPDATE {ks}.prediction_day_stats SET changed = now() WHERE year = ? AND day = ?"
    )
    # Repeating it only marks the day stale again (a later now() is as good), so the driver
    # may retry it on another node: otherwise one node's death fails the whole save.
    statement.is_idempotent = True
    cassandra_session().execute(statement, (day.year, day))


def day_stats_for_range(
    *, since: date, until: date, now: datetime | None = None
) -> dict[date, DayTallies]:
    """Every day from ``since`` to ``until`` (inclusive) with its tallies per model version,
    recounting (and caching) the days whose cache is stale. A day that ended less than
    ``CACHE_AFTER`` before ``now`` (today, and yesterday just after midnight) is recounted
    and not cached: writers do not mark it. Days after today are empty."""
    session = cassandra_session()
    now = now or datetime.now(UTC)
    today = now.date()
    cached: dict[date, dict] = {}
    for year in range(since.year, until.year + 1):
        rows = session.execute(
            prepared(
                "SELECT day, changed, computed_for, stats FROM {ks}.prediction_day_stats "
                "WHERE year = ? AND day >= ? AND day <= ?"
            ),
            (year, max(since, date(year, 1, 1)), min(until, date(year, 12, 31))),
        )
        for row in rows:
            cached[_as_date(row["day"])] = row

    result: dict[date, DayTallies] = {}
    day = until
    while day >= since:
        row = cached.get(day)
        changed = (row or {}).get("changed") or NEVER_CHANGED
        if day > today:
            result[day] = {}
        elif now < _day_end(day) + CACHE_AFTER:
            result[day] = _recount(day=day, changed=None)
        elif row and row["computed_for"] == changed and (stats := _current(row["stats"])):
            result[day] = {v: Tally.from_json(t) for v, t in stats.items()}
        else:
            result[day] = _recount(day=day, changed=changed)
        day -= timedelta(days=1)
    return result


def _current(stats: str | None) -> dict | None:
    """A cached day's tallies, or None when they were counted under older rules
    (``COUNTING_RULES``): such a day is recounted once, as if the writer had marked it."""
    if stats is None:
        return None
    tallies = json.loads(stats)
    if any(tally.get("format") != COUNTING_RULES for tally in tallies.values()):
        return None
    return tallies


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def _recount(*, day: date, changed: uuid.UUID | None) -> DayTallies:
    """``day``'s tallies from its partition, cached for ``changed`` unless it is None."""
    session = cassandra_session()
    statement = prepared(
        "SELECT digits, unsure, not_a_digit, model_version, corrected_label "
        "FROM {ks}.predictions_by_day "
        "WHERE day = ?"
    )
    bound = statement.bind((day,))
    bound.fetch_size = RECOUNT_FETCH_SIZE
    tallies = tally_rows(session.execute(bound))
    if changed is None:
        return tallies
    session.execute(
        prepared(
            "UPDATE {ks}.prediction_day_stats SET computed_for = ?, stats = ? "
            "WHERE year = ? AND day = ?"
        ),
        (changed, json.dumps({v: t.as_json() for v, t in tallies.items()}), day.year, day),
    )
    return tallies


def tally_rows(rows: Iterable[dict]) -> DayTallies:
    tallies: DayTallies = {}
    for row in rows:
        version = row["model_version"] or ""
        tally = tallies.get(version)
        if tally is None:
            tally = tallies[version] = Tally()
        tally.count(
            digit=digit_of(row["digits"]),
            unsure=bool(row["unsure"]),
            not_a_digit=bool(row["not_a_digit"]),
            corrected_label=row["corrected_label"],
        )
    return tallies


def _as_date(value) -> date:
    # The driver returns cassandra.util.Date for the date type.
    return value if isinstance(value, date) else value.date()
