"""The admin's reads: every user's predictions newest first, one record, and its neighbours.

Browsing walks the day partitions of ``predictions_by_day`` from the newest day of the
range to the oldest, with keyset paging (``created < cursor``), never a scan or an OFFSET.
A user filter walks that user's month partitions of ``predictions_by_user`` instead (the
table that serves it). Every other filter is applied while walking, within a budget of
rows per page, and the page says which days it covered, so an unlucky filter costs one
bounded read per page, not a table scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from recognizer.db import cassandra_session
from recognizer.records import keys
from recognizer.records.day_stats import Tally, day_stats_for_range
from recognizer.records.prepared import digit_of, prepared
from recognizer.records.record import PredictionRecord

PAGE_SIZE = 50
# Rows one page may read while looking for matches; then it stops and says where.
SCAN_BUDGET = 2000
# The longest date range one request may cover (pages and CSV alike).
MAX_RANGE_DAYS = 366
FETCH_SIZE = 500


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class HistoryFilter:
    """What staff asked to see. ``since``/``until`` are UTC days, both included."""

    since: date
    until: date
    digit: int | None = None
    user_id: int | None = None
    username: str | None = None
    corrected: bool | None = None
    corrected_label: int | None = None
    model_version: str | None = None
    unsure: bool | None = None
    not_a_digit: bool | None = None
    source: str | None = None

    def matches(self, row: dict) -> bool:
        # The user is served by the table itself (predictions_by_user), never filtered here.
        return (
            (self.digit is None or digit_of(row["digits"]) == self.digit)
            and (self.corrected is None or (row["corrected_label"] is not None) == self.corrected)
            and (self.corrected_label is None or row["corrected_label"] == self.corrected_label)
            and (
                self.model_version is None
                or (row["model_version"] or "").startswith(self.model_version)
            )
            and (self.unsure is None or bool(row["unsure"]) == self.unsure)
            and (self.not_a_digit is None or bool(row["not_a_digit"]) == self.not_a_digit)
            and (self.source is None or row["source"] == self.source)
        )

    @property
    def filters_rows(self) -> bool:
        return self != HistoryFilter(
            since=self.since, until=self.until, user_id=self.user_id, username=self.username
        )


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the top of ``day``, or below ``before`` within it."""

    day: date
    before: uuid.UUID | None = None

    def __str__(self) -> str:
        return self.day.isoformat() + (f"~{self.before}" if self.before else "")

    @classmethod
    def parse(cls, text: str) -> Cursor:
        day_text, _, before_text = text.partition("~")
        try:
            day = date.fromisoformat(day_text)
            before = uuid.UUID(before_text) if before_text else None
        except ValueError as exc:
            raise CursorError(f"not a cursor: {text!r}") from exc
        if before is not None and (
            before.version != 1 or keys.day_bucket(keys.timeuuid_time(before)) != day
        ):
            raise CursorError(f"not a cursor: {text!r}")
        return cls(day=day, before=before)


@dataclass
class HistoryPage:
    filter: HistoryFilter
    rows: list[dict]
    # The days this page read, newest first (``oldest_day`` may be only partly read).
    newest_day: date
    oldest_day: date
    rows_scanned: int
    next_cursor: Cursor | None
    # True when the page stopped because it read SCAN_BUDGET rows, not because it filled.
    budget_spent: bool = False


def history_page(*, filter: HistoryFilter, cursor: Cursor | None = None) -> HistoryPage:
    """One page of predictions matching ``filter``, newest first, starting at ``cursor``."""
    page_size = PAGE_SIZE
    start = cursor or Cursor(day=filter.until)
    if not filter.since <= start.day <= filter.until:
        raise CursorError("the cursor is outside the date range")
    # A filtered page may read thousands of rows to keep a few. It still reads them whole
    # (a thumbnail is ~150 bytes): fetching the kept rows again by key costs one request
    # each, measured slower than reading the images along (docs/PERFORMANCE.md, "Admin").
    scan = filter.filters_rows
    rows: list[dict] = []
    scanned = 0
    last: dict | None = None
    next_cursor: Cursor | None = None
    budget_spent = False
    walk = _walk(
        filter=filter,
        cursor=start,
        fetch_size=FETCH_SIZE if scan else page_size + 1,
    )
    for row in walk:
        scanned += 1
        last = row
        if filter.matches(row):
            rows.append(row)
            if len(rows) == page_size:
                break
        if scanned >= SCAN_BUDGET:
            budget_spent = True
            break
    else:
        last = None  # the range is read to its end
    if last is not None:
        next_cursor = Cursor(day=keys.day_bucket(last["upload_time"]), before=last["created"])
    oldest = next_cursor.day if next_cursor else filter.since
    rows = [_normalise(row) for row in rows]
    return HistoryPage(
        rows=rows,
        newest_day=start.day,
        oldest_day=oldest,
        rows_scanned=scanned,
        next_cursor=next_cursor,
        budget_spent=budget_spent,
        filter=filter,
    )


def history_rows(*, filter: HistoryFilter) -> Iterator[dict]:
    """Every prediction matching ``filter``, newest first, with its probabilities and
    without its image, for a streamed export."""
    cursor = Cursor(day=filter.until)
    for row in _walk(filter=filter, cursor=cursor, fetch_size=FETCH_SIZE, columns="export"):
        if filter.matches(row):
            yield _normalise(row)


def _walk(
    *, filter: HistoryFilter, cursor: Cursor, fetch_size: int, columns: str = "list"
) -> Iterator[dict]:
    """Rows of the date range from ``cursor`` down, newest first, partition after partition."""
    if filter.user_id is not None:
        yield from _walk_user(filter=filter, cursor=cursor, fetch_size=fetch_size, columns=columns)
        return
    session = cassandra_session()
    below = prepared(
        "SELECT {columns}, username FROM {ks}.predictions_by_day WHERE day = ? AND created < ?",
        columns=columns,
    )
    whole = prepared(
        "SELECT {columns}, username FROM {ks}.predictions_by_day WHERE day = ?", columns=columns
    )
    day = cursor.day
    before = cursor.before
    while day >= filter.since:
        bound = below.bind((day, before)) if before else whole.bind((day,))
        bound.fetch_size = fetch_size
        yield from session.execute(bound)
        day -= timedelta(days=1)
        before = None


def _walk_user(
    *, filter: HistoryFilter, cursor: Cursor, fetch_size: int, columns: str
) -> Iterator[dict]:
    session = cassandra_session()
    # A month partition holds many days, so both ends of the range bound the clustering key:
    # strictly older than the cursor (a row's timeuuid, or the start of the next day), and
    # not older than the start of ``since``.
    select = (
        "SELECT {columns} FROM {ks}.predictions_by_user "
        "WHERE user_id = ? AND month = ? AND created >= minTimeuuid(?) AND created < "
    )
    below_row = prepared(select + "?", columns=columns)
    below_time = prepared(select + "minTimeuuid(?)", columns=columns)
    if cursor.before:
        statement, upper = below_row, cursor.before
    else:
        statement, upper = below_time, _day_start(cursor.day + timedelta(days=1))
    lower = _day_start(filter.since)
    month = _first_of_month(cursor.day)
    while month >= _first_of_month(filter.since):
        bound = statement.bind((filter.user_id, month.strftime("%Y-%m"), lower, upper))
        bound.fetch_size = fetch_size
        for row in session.execute(bound):
            row["username"] = filter.username
            yield row
        month = _first_of_month(month - timedelta(days=1))


def prediction_get(*, prediction_id: uuid.UUID) -> dict | None:
    """Every stored field of one record (from ``mnist1``, the record of truth)."""
    row = (
        cassandra_session()
        .execute(
            prepared("SELECT {columns} FROM {ks}.mnist1 WHERE id = ?", columns="all"),
            (prediction_id,),
        )
        .one()
    )
    if row is None:
        return None
    row = _normalise(row)
    row["created"] = keys.created_timeuuid(upload_time=row["upload_time"], record_id=row["id"])
    return row


def prediction_neighbours(*, row: dict, count: int = 5) -> tuple[list[dict], list[dict]]:
    """The same user's predictions just newer and just older than ``row`` (newest first),
    from the record's month partition and the months next to it."""
    if row["user_id"] is None:
        return [], []
    session = cassandra_session()
    newer_cql = prepared(
        "SELECT {columns} FROM {ks}.predictions_by_user "
        "WHERE user_id = ? AND month = ? AND created > ? ORDER BY created ASC LIMIT ?"
    )
    older_cql = prepared(
        "SELECT {columns} FROM {ks}.predictions_by_user "
        "WHERE user_id = ? AND month = ? AND created < ? LIMIT ?"
    )
    month = _first_of_month(row["upload_time"].date())
    newer: list[dict] = []
    for m in (month, _first_of_month(month + timedelta(days=31))):
        if len(newer) < count:
            found = session.execute(
                newer_cql, (row["user_id"], m.strftime("%Y-%m"), row["created"], count - len(newer))
            )
            newer.extend(map(_normalise, found))
    older: list[dict] = []
    for m in (month, _first_of_month(month - timedelta(days=1))):
        if len(older) < count:
            found = session.execute(
                older_cql, (row["user_id"], m.strftime("%Y-%m"), row["created"], count - len(older))
            )
            older.extend(map(_normalise, found))
    for neighbour in (*newer, *older):
        # predictions_by_user has no username column: it is the record's own user.
        neighbour["username"] = row["username"]
    return list(reversed(newer)), older


def record_from_row(row: dict) -> PredictionRecord:
    """The writer's view of a stored record (what ``record_delete`` needs to find every row)."""
    return PredictionRecord(
        id=row["id"],
        digits=row["digits"],
        upload_time=row["upload_time"],
        user_id=row["user_id"],
        username=row.get("username") or "",
        confidence=row["confidence"] or 0.0,
        unsure=bool(row["unsure"]),
        not_a_digit=bool(row.get("not_a_digit")),
        probabilities=tuple(row.get("probabilities") or ()),
        image=row["image"] or b"",
        model_version=row["model_version"] or "",
        source=row["source"] or "",
        corrected_label=row["corrected_label"],
        corrected_at=row["corrected_at"],
    )


def _normalise(row: dict) -> dict:
    # The driver gives naive datetimes that are UTC.
    for name in ("upload_time", "corrected_at"):
        if row.get(name) is not None and row[name].tzinfo is None:
            row[name] = row[name].replace(tzinfo=UTC)
    row["digit"] = digit_of(row["digits"])
    return row


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


@dataclass
class VersionStatistics:
    """One model version over a range of days."""

    model_version: str
    total: Tally
    # (day, predictions, unsure), oldest first, every day of the range.
    per_day: list[tuple[date, int, int]]

    @property
    def unsure_share(self) -> float | None:
        return self.total.unsure / self.total.n if self.total.n else None

    @property
    def not_a_digit_share(self) -> float | None:
        return self.total.not_a_digit / self.total.n if self.total.n else None

    @property
    def feedback_accuracy(self) -> float | None:
        """Of the predictions people labelled, the share the site answered with that label."""
        return self.total.agree / self.total.feedback if self.total.feedback else None

    @property
    def corrected_share(self) -> float | None:
        """The share of all predictions that people labelled otherwise than the site answered."""
        wrong = self.total.feedback - self.total.agree
        return wrong / self.total.n if self.total.n else None


def prediction_statistics(*, since: date, until: date) -> list[VersionStatistics]:
    """Exact statistics per model version over ``since``..``until`` (UTC days, inclusive),
    the most used version first, from the per-day cache (``day_stats``)."""
    by_day = day_stats_for_range(since=since, until=until)
    versions = sorted({v for tallies in by_day.values() for v in tallies})
    result = []
    for version in versions:
        total = Tally()
        per_day = []
        for day in sorted(by_day):
            tally = by_day[day].get(version, Tally())
            total.add(tally)
            per_day.append((day, tally.n, tally.unsure))
        result.append(VersionStatistics(model_version=version, total=total, per_day=per_day))
    return sorted(result, key=lambda stats: -stats.total.n)
