"""The table keys are pure functions of a record's id and time."""

import uuid
from datetime import UTC, date, datetime, timedelta

from recognizer.records.keys import created_timeuuid, day_bucket, month_bucket, timeuuid_time

WHEN = datetime(2026, 11, 25, 23, 59, 58, 123000, tzinfo=UTC)


def test_it_buckets_by_utc_month_and_day():
    assert month_bucket(WHEN) == "2026-11"
    assert day_bucket(WHEN) == date(2026, 11, 25)
    # Naive datetimes (as cqlengine returns them) are UTC.
    assert day_bucket(WHEN.replace(tzinfo=None)) == date(2026, 11, 25)
    # A time in another zone lands in its UTC day.
    plus_two = WHEN.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Athens"))
    assert day_bucket(plus_two) == date(2026, 11, 25)


def test_it_makes_the_same_timeuuid_for_the_same_record():
    record_id = uuid.uuid4()
    first = created_timeuuid(upload_time=WHEN, record_id=record_id)
    assert first == created_timeuuid(upload_time=WHEN, record_id=record_id)
    assert first.version == 1
    assert timeuuid_time(first) == WHEN


def test_it_makes_different_timeuuids_for_records_of_the_same_moment():
    ids = {created_timeuuid(upload_time=WHEN, record_id=uuid.uuid4()) for _ in range(100)}
    assert len(ids) == 100


def test_its_timeuuids_order_by_time():
    record_id = uuid.uuid4()
    earlier = created_timeuuid(upload_time=WHEN - timedelta(milliseconds=1), record_id=record_id)
    later = created_timeuuid(upload_time=WHEN, record_id=uuid.uuid4())
    assert timeuuid_time(earlier) < timeuuid_time(later)
    assert earlier.time < later.time
