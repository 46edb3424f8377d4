"""The writer and the outbox against the real Cassandra node (the down-Cassandra paths run
against real processes in recognizer/tests/faults/)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.records import keys
from recognizer.records.cql import Operation, write_time_now
from recognizer.records.outbox import (
    outbox_drain,
    outbox_pending_operations,
    outbox_put,
    outbox_status,
    record_from_json,
    record_to_json,
)
from recognizer.records.record import PredictionRecord
from recognizer.records.writer import record_delete, record_feedback, record_save

cassandra = pytest.mark.django_db(databases=["default", "cassandra"])


def a_record(**changes) -> PredictionRecord:
    record = PredictionRecord(
        id=uuid.uuid4(),
        digits="7",
        upload_time=datetime(2026, 11, 25, 9, 30, 1, 123000, tzinfo=UTC),
        user_id=42,
        username="ada",
        confidence=0.97,
        unsure=False,
        probabilities=(0.0,) * 7 + (0.97,) + (0.01,) * 2,
        image=b"\x89PNG...",
        model_version="abc123",
        source="api",
    )
    return replace(record, **changes)


def rows(table: str, where: str, *params) -> list[dict]:
    return list(
        cassandra_session().execute(
            f"SELECT * FROM {cassandra_keyspace()}.{table} WHERE {where}", params
        )
    )


def everywhere(record: PredictionRecord) -> dict[str, list[dict]]:
    """The record's rows in every table, found by the keys its first save would use."""
    return {
        "mnist1": rows("mnist1", "id = %s", record.id),
        "by_user": [
            row
            for row in rows(
                "predictions_by_user",
                "user_id = %s AND month = %s",
                record.user_id,
                keys.month_bucket(record.upload_time),
            )
            if row["id"] == record.id
        ],
        "by_day": [
            row
            for row in rows("predictions_by_day", "day = %s", keys.day_bucket(record.upload_time))
            if row["id"] == record.id
        ],
        "months": rows(
            "prediction_months_by_user",
            "user_id = %s AND month = %s",
            record.user_id,
            keys.month_bucket(record.upload_time),
        ),
    }


def test_a_record_survives_the_trip_through_json():
    record = a_record(corrected_label=1, corrected_at=datetime(2026, 11, 26, tzinfo=UTC))
    assert record_from_json(record_to_json(record)) == record


@cassandra
def test_a_saved_record_is_in_every_table():
    record = a_record()
    outcome = record_save(record=record)

    assert (outcome.stored, outcome.queued) == (True, False)
    found = everywhere(record)
    assert [r["digits"] for r in found["mnist1"]] == ["7"]
    assert found["mnist1"][0]["username"] == "ada"
    assert found["mnist1"][0]["probabilities"][7] == pytest.approx(0.97)
    assert [r["created"] for r in found["by_user"]] == [record.created]
    assert [r["created"] for r in found["by_day"]] == [record.created]
    assert found["by_day"][0]["image"] == record.image
    assert len(found["months"]) == 1


@cassandra
def test_saving_the_same_record_again_updates_the_same_rows():
    record = a_record()
    record_save(record=record)
    record_save(record=record.corrected(label=1, at=datetime(2026, 11, 26, tzinfo=UTC)))

    found = everywhere(record)
    assert [r["corrected_label"] for r in found["mnist1"]] == [1]
    assert [r["corrected_label"] for r in found["by_user"]] == [1]
    assert [r["corrected_label"] for r in found["by_day"]] == [1]


@cassandra
def test_a_revision_keeps_the_first_upload_time_so_the_drawing_stays_one_row():
    first = a_record()
    record_save(record=first)
    later = replace(first, digits="1", upload_time=first.upload_time + timedelta(days=40))

    outcome = record_save(record=later, revision=True)

    assert outcome.record.upload_time == first.upload_time
    assert outcome.record.digits == "1"
    found = everywhere(first)
    assert [r["digits"] for r in found["mnist1"]] == ["1"]
    assert [r["digits"] for r in found["by_user"]] == ["1"]
    assert [r["digits"] for r in found["by_day"]] == ["1"]
    assert rows("predictions_by_day", "day = %s", keys.day_bucket(later.upload_time)) == []


@cassandra
def test_a_first_save_marked_revision_keeps_its_own_time():
    record = a_record()
    outcome = record_save(record=record, revision=True)
    assert outcome.record == record
    assert len(everywhere(record)["by_day"]) == 1


@cassandra
def test_a_deleted_record_is_gone_from_every_table():
    record = a_record()
    record_save(record=record)

    outcome = record_delete(record=record)

    assert outcome.stored
    found = everywhere(record)
    assert found["mnist1"] == found["by_user"] == found["by_day"] == []


@cassandra
def test_a_delete_handed_a_later_time_still_finds_the_rows_of_the_first_save():
    record = a_record()
    record_save(record=record)
    record_delete(record=replace(record, upload_time=record.upload_time + timedelta(days=3)))
    found = everywhere(record)
    assert found["mnist1"] == found["by_user"] == found["by_day"] == []


@cassandra
def test_a_save_queues_behind_an_earlier_write_of_the_same_record_and_drains_in_order():
    record = a_record()
    outbox_put(operation=Operation(kind="save", record=record, write_time=write_time_now()))

    outcome = record_save(record=replace(record, digits="3"))

    assert (outcome.stored, outcome.queued) == (False, True)
    assert [op.record.digits for op in outbox_pending_operations()] == ["7", "3"]
    assert everywhere(record)["mnist1"] == []

    report = outbox_drain()

    assert (report.applied, report.remaining, report.error) == (2, 0, None)
    found = everywhere(record)
    assert [r["digits"] for r in found["mnist1"]] == ["3"]
    assert [r["digits"] for r in found["by_day"]] == ["3"]
    assert outbox_status().pending == 0


@cassandra
def test_a_late_replay_never_undoes_a_newer_write():
    record = a_record()
    older = Operation(kind="save", record=record, write_time=write_time_now())
    record_save(record=replace(record, digits="9"))
    outbox_put(operation=older)  # e.g. a worker that queued it just before

    outbox_drain()

    assert [r["digits"] for r in everywhere(record)["mnist1"]] == ["9"]


@cassandra
def test_a_replayed_delete_removes_the_record_saved_before_it():
    record = a_record()
    outbox_put(operation=Operation(kind="save", record=record, write_time=write_time_now()))
    assert record_delete(record=record).queued

    outbox_drain()

    assert everywhere(record)["mnist1"] == []
    assert everywhere(record)["by_day"] == []


@cassandra
def test_a_queued_revision_gets_the_first_time_when_replayed():
    first = a_record()
    record_save(record=first)
    later = replace(first, digits="4", upload_time=first.upload_time + timedelta(hours=2))
    outbox_put(
        operation=Operation(kind="save", record=later, write_time=write_time_now(), revision=True)
    )

    outbox_drain()

    found = everywhere(first)
    assert [r["digits"] for r in found["by_day"]] == ["4"]
    assert [r["upload_time"] for r in found["mnist1"]] == [first.upload_time.replace(tzinfo=None)]


@cassandra
def test_the_outbox_reports_its_backlog_and_oldest_age():
    assert outbox_status().pending == 0
    assert outbox_status().oldest_age is None
    for _ in range(3):
        outbox_put(operation=Operation(kind="save", record=a_record(), write_time=write_time_now()))
    status = outbox_status()
    assert status.pending == 3
    assert status.oldest_age >= 0


@cassandra
def test_drain_outbox_once_replays_and_says_how_many(capsys):
    records = [a_record() for _ in range(3)]
    for record in records:
        outbox_put(operation=Operation(kind="save", record=record, write_time=write_time_now()))

    call_command("drain_outbox")

    assert "3 replayed" in capsys.readouterr().out
    for record in records:
        assert len(everywhere(record)["mnist1"]) == 1


def test_after_a_failed_write_the_writer_queues_without_trying_for_a_moment(settings, caplog):
    from recognizer.records.writer import _Circuit

    circuit = _Circuit()
    settings.CASSANDRA_CONNECT_RETRY = 3600
    assert circuit.allows_a_try()

    circuit.failed("NoHostAvailable")
    assert not circuit.allows_a_try()

    settings.CASSANDRA_CONNECT_RETRY = 0
    assert circuit.allows_a_try()  # one probe ...
    assert not circuit.allows_a_try()  # ... at a time
    circuit.succeeded()
    assert circuit.allows_a_try()
    assert [r.getMessage()[:40] for r in caplog.records] == [
        "outbox: Cassandra cannot take writes (No",
        "outbox: Cassandra takes writes again; no",
    ]


@cassandra
def test_not_a_digit_is_in_every_table_and_survives_a_correction_read_back():
    from recognizer.records.selectors import record_get

    record = a_record(not_a_digit=True)
    record_save(record=record)
    stored = record_get(user_id=42, username="ada", prediction_id=record.id)
    assert stored is not None and stored.not_a_digit
    # Feedback rewrites the record it read: the flag must come along, not reset to False.
    record_save(record=stored.corrected(label=4, at=datetime(2026, 11, 26, tzinfo=UTC)))

    found = everywhere(record)
    assert [r["not_a_digit"] for r in found["mnist1"]] == [True]
    assert [r["not_a_digit"] for r in found["by_user"]] == [True]
    assert [r["not_a_digit"] for r in found["by_day"]] == [True]
    assert record_from_json(record_to_json(record)).not_a_digit


@cassandra
def test_every_statement_of_a_save_may_be_retried_on_another_node(monkeypatch):
    """A statement the driver may not retry turns one node's death into a failed write (and
    a queued record) although quorum holds: the three-node fault test caught this when the
    admin's day-stats mark was not marked idempotent."""
    from cassandra.cluster import Session
    from cassandra.query import BatchStatement, BatchType

    sent = []
    execute_async = Session.execute_async

    def spy(original):
        def call(self, query, *args, **kwargs):
            sent.append(query)
            return original(self, query, *args, **kwargs)

        return call

    # Session.execute goes through execute_async: spying on that one sees every request once.
    monkeypatch.setattr(Session, "execute_async", spy(execute_async))
    # A day long over, so that the day mark is sent too.
    record_save(record=a_record(upload_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))

    writes = [
        q
        for q in sent
        if isinstance(q, BatchStatement) or not q.query_string.lstrip().upper().startswith("SELECT")
    ]
    # One unlogged batch of the four tables' rows, then the admin's day mark.
    assert [type(q).__name__ for q in writes] == ["BatchStatement", "PreparedStatement"]
    assert len(writes[0]._statements_and_parameters) == 4
    assert writes[0].batch_type == BatchType.UNLOGGED
    assert all(q.is_idempotent for q in writes), [q for q in writes if not q.is_idempotent]


def day_marks(day) -> list[dict]:
    return rows("prediction_day_stats", "year = %s AND day = %s", day.year, day)


@cassandra
def test_a_save_on_its_own_day_sends_no_day_mark_and_a_save_of_a_past_day_does():
    now = datetime.now(UTC).replace(microsecond=0)
    record_save(record=a_record(upload_time=now))
    assert day_marks(now.date()) == []

    past = a_record(upload_time=now - timedelta(days=3))
    record_save(record=past)
    assert day_marks(past.upload_time.date())[0]["changed"] is not None


def test_a_day_needs_its_mark_once_its_end_is_ten_minutes_past():
    from datetime import date

    from recognizer.records.day_stats import MARK_FREE_FOR, day_stats_mark_needed

    day = date(2026, 3, 4)
    midnight = datetime(2026, 3, 5, tzinfo=UTC)
    assert not day_stats_mark_needed(day=day, acknowledged=datetime(2026, 3, 4, 12, tzinfo=UTC))
    assert not day_stats_mark_needed(day=day, acknowledged=midnight + timedelta(minutes=9))
    assert day_stats_mark_needed(day=day, acknowledged=midnight + MARK_FREE_FOR)
    assert day_stats_mark_needed(day=day, acknowledged=midnight + timedelta(days=30))


def _nulls_sent(monkeypatch) -> list[int]:
    """How many nulls each batch the writer sends binds (a null is a tombstone)."""
    import recognizer.records.cql as cql

    counts: list[int] = []
    real = cql.cassandra_session

    class Watching:
        def __init__(self, session):
            self._session = session

        def execute(self, statement, *args, **kwargs):
            if hasattr(statement, "_statements_and_parameters"):
                counts.append(
                    sum(
                        v is None
                        for _, _, values in statement._statements_and_parameters
                        for v in values
                    )
                )
            return self._session.execute(statement, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._session, name)

    monkeypatch.setattr(cql, "cassandra_session", lambda: Watching(real()))
    return counts


@cassandra
def test_a_named_drawing_writes_nulls_only_when_it_replaces_a_stored_answer(monkeypatch):
    nulls = _nulls_sent(monkeypatch)
    record = a_record()
    record_save(record=record, revision=True)  # the page's first save of a drawing
    record_save(record=record.corrected(label=3, at=record.upload_time), revision=False)
    record_save(record=replace(record, digits="8"), revision=True)  # the drawing grew
    assert nulls[0] == 0
    assert nulls[-1] > 0
    [row] = rows("mnist1", "id = %s", record.id)
    assert (row["digits"], row["corrected_label"]) == ("8", None)


@cassandra
def test_feedback_queued_behind_a_new_answer_keeps_the_new_answer(django_user_model):
    # Cassandra had a hiccup: the new answer for a stored drawing waits in the outbox, and
    # the person clicks "Right" on it. Their feedback must not bring the old answer back.
    from recognizer.history import prediction_feedback

    user = django_user_model.objects.create_user(username="ada", password="a-long-password-1")
    first = a_record(user_id=user.pk, digits="7")
    record_save(record=first)
    new_answer = replace(first, digits="4", upload_time=first.upload_time + timedelta(minutes=1))
    outbox_put(
        operation=Operation(
            kind="save", record=new_answer, write_time=write_time_now(), revision=True
        )
    )

    prediction_feedback(user=user, prediction_id=first.id, label=4)
    outbox_drain()

    found = everywhere(first)
    for table in ("mnist1", "by_user", "by_day"):
        assert [(r["digits"], r["corrected_label"]) for r in found[table]] == [("4", 4)], table


@cassandra
def test_feedback_replayed_after_a_delete_brings_nothing_back():
    # Queued behind a delete (e.g. given in another tab before the delete was known there).
    record = a_record()
    record_save(record=record)
    outbox_put(operation=Operation(kind="delete", record=record, write_time=write_time_now()))
    corrected = record.corrected(label=7, at=record.upload_time)
    assert record_feedback(record=corrected).queued

    outbox_drain()

    found = everywhere(record)
    assert (found["mnist1"], found["by_user"], found["by_day"]) == ([], [], [])


def test_an_outbox_file_of_the_old_schema_keeps_its_rows_and_takes_feedback(settings, tmp_path):
    # The outbox as the site wrote it before 'feedback' operations: an upgrade must neither
    # lose what waits in it nor refuse the new kind (which would leave a record held nowhere).
    import sqlite3

    path = tmp_path / "old-outbox.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('save', 'delete')),
            revision INTEGER NOT NULL DEFAULT 0,
            write_time INTEGER NOT NULL,
            payload TEXT NOT NULL,
            queued_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            failed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX outbox_record_id ON outbox (record_id);
        """
    )
    waiting = a_record()
    old.execute(
        "INSERT INTO outbox (record_id, kind, revision, write_time, payload, queued_at) "
        "VALUES (?, 'save', 1, 5, ?, 1.0)",
        (str(waiting.id), record_to_json(waiting)),
    )
    old.commit()
    old.close()
    settings.OUTBOX_PATH = path

    corrected = waiting.corrected(label=1, at=waiting.upload_time)
    outbox_put(operation=Operation(kind="feedback", record=corrected, write_time=6))

    assert [(op.kind, op.record, op.revision) for op in outbox_pending_operations()] == [
        ("save", waiting, True),
        ("feedback", corrected, False),
    ]


@cassandra
def test_feedback_on_an_answer_still_in_the_outbox_is_taken_and_replayed_after_it(
    django_user_model,
):
    # The answer was acknowledged from the outbox (Cassandra did not take it yet): the
    # person's "Right" on it is not a 404, and reaches Cassandra after the record itself.
    from recognizer.history import prediction_feedback, prediction_get

    user = django_user_model.objects.create_user(username="ada", password="a-long-password-1")
    record = a_record(user_id=user.pk, digits="5")
    outbox_put(operation=Operation(kind="save", record=record, write_time=write_time_now()))

    assert prediction_get(user=user, prediction_id=record.id).digits == "5"
    outcome = prediction_feedback(user=user, prediction_id=record.id, label=5)
    assert outcome.corrected_label == 5
    outbox_drain()

    found = everywhere(record)
    for table in ("mnist1", "by_user", "by_day"):
        assert [(r["digits"], r["corrected_label"]) for r in found[table]] == [("5", 5)], table


@cassandra
def test_a_queued_answer_is_nobody_elses(django_user_model):
    from recognizer.history import PredictionNotFound, prediction_get

    owner = django_user_model.objects.create_user(username="ada", password="a-long-password-1")
    other = django_user_model.objects.create_user(username="bob", password="a-long-password-2")
    record = a_record(user_id=owner.pk)
    outbox_put(operation=Operation(kind="save", record=record, write_time=write_time_now()))

    with pytest.raises(PredictionNotFound):
        prediction_get(user=other, prediction_id=record.id)


@cassandra
def test_feedback_racing_a_delete_leaves_no_row_of_feedback_cells(monkeypatch):
    # The feedback read the stored record, then a delete (older, applied late) removed it
    # before the feedback's UPDATEs landed: those must not leave rows without an answer.
    from recognizer.records import cql

    record = a_record()
    record_save(record=record)
    record_delete(record=record)
    stored_before_the_delete = iter([record.upload_time])
    real = cql._stored_upload_time
    monkeypatch.setattr(
        cql,
        "_stored_upload_time",
        lambda *args: next(stored_before_the_delete, None) or real(*args),
    )

    cql.operation_apply(
        Operation(
            kind="feedback",
            record=record.corrected(label=7, at=record.upload_time),
            write_time=write_time_now(),
        )
    )

    month = keys.month_bucket(record.upload_time)
    assert rows("mnist1", "id = %s", record.id) == []
    assert (
        rows(
            "predictions_by_user",
            "user_id = %s AND month = %s AND created = %s",
            record.user_id,
            month,
            record.created,
        )
        == []
    )
    assert (
        rows(
            "predictions_by_day",
            "day = %s AND created = %s",
            keys.day_bucket(record.upload_time),
            record.created,
        )
        == []
    )


def test_a_queued_feedback_is_a_payload_that_code_before_feedback_refuses():
    # That code replayed every kind but "save" as a delete, and refused unknown versions.
    import json

    from recognizer.records.outbox import _db

    record = a_record()
    outbox_put(operation=Operation(kind="save", record=record, write_time=1))
    outbox_put(
        operation=Operation(
            kind="feedback", record=record.corrected(label=7, at=record.upload_time), write_time=2
        )
    )

    versions = [json.loads(p)["v"] for (p,) in _db().execute("SELECT payload FROM outbox")]
    assert versions == [1, 2]
    assert [op.kind for op in outbox_pending_operations()] == ["save", "feedback"]


@cassandra
def test_reading_back_shows_the_answer_waiting_in_the_outbox_at_its_first_time(
    django_user_model,
):
    # A new answer for a stored drawing waits in the outbox: the person sees that answer
    # (as the replay will store it: at the first save's time, without the old feedback).
    from recognizer.history import prediction_feedback, prediction_get

    user = django_user_model.objects.create_user(username="ada", password="a-long-password-1")
    first = a_record(user_id=user.pk, digits="7")
    record_save(record=first)
    prediction_feedback(user=user, prediction_id=first.id, label=7)
    new_answer = replace(first, digits="4", upload_time=first.upload_time + timedelta(days=40))
    outbox_put(
        operation=Operation(
            kind="save", record=new_answer, write_time=write_time_now(), revision=True
        )
    )

    shown = prediction_get(user=user, prediction_id=first.id)
    assert (shown.digits, shown.corrected_label) == ("4", None)
    assert shown.upload_time == first.upload_time
    answered = prediction_feedback(user=user, prediction_id=first.id, label=4)
    assert (answered.digits, answered.corrected_label) == ("4", 4)
    assert answered.upload_time == first.upload_time


@cassandra
def test_a_record_whose_delete_waits_in_the_outbox_is_not_found(django_user_model):
    from recognizer.history import PredictionNotFound, prediction_get

    user = django_user_model.objects.create_user(username="ada", password="a-long-password-1")
    record = a_record(user_id=user.pk)
    record_save(record=record)
    outbox_put(operation=Operation(kind="delete", record=record, write_time=write_time_now()))

    with pytest.raises(PredictionNotFound):
        prediction_get(user=user, prediction_id=record.id)
