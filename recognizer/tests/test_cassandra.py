"""The Cassandra side of the project, against the real node that `make test` starts."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connections

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.records.tables import Prediction

SEED_COLUMNS = {"id": "uuid", "digits": "text", "upload_time": "timestamp"}


def table_columns(keyspace: str) -> dict[str, str]:
    rows = cassandra_session().execute(
        "SELECT column_name, type FROM system_schema.columns "
        "WHERE keyspace_name = %s AND table_name = 'mnist1'",
        (keyspace,),
    )
    return {row["column_name"]: row["type"] for row in rows}


@pytest.mark.django_db(databases=["default", "cassandra"])
class TestTheTestKeyspace:
    def test_tests_run_in_their_own_keyspace(self, settings):
        keyspace = cassandra_keyspace()
        assert keyspace == f"test_{settings.CASSANDRA_KEYSPACE}"
        assert Prediction.__keyspace__ == keyspace

    def test_mnist1_keeps_the_seed_columns(self):
        columns = table_columns(cassandra_keyspace())
        assert SEED_COLUMNS.items() <= columns.items()
        assert columns["probabilities"] == "list<float>"
        assert columns["image"] == "blob"

    def test_a_record_written_through_the_model_reads_back_with_plain_cql(self):
        record_id = uuid.uuid4()
        when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
        Prediction.create(
            id=record_id,
            digits="7",
            upload_time=when,
            user_id=42,
            username="ada",
            confidence=0.97,
            probabilities=[0.0] * 7 + [0.97] + [0.01] * 2,
            image=b"\x89PNG",
            model_version="abc",
            source="api",
        )
        row = (
            cassandra_session()
            .execute(
                f"SELECT id, digits, upload_time, username, probabilities, image "
                f"FROM {cassandra_keyspace()}.mnist1 WHERE id = %s",
                (record_id,),
            )
            .one()
        )
        assert row["digits"] == "7"
        assert row["upload_time"] == when.replace(tzinfo=None)
        assert row["username"] == "ada"
        assert row["probabilities"][7] == pytest.approx(0.97)
        assert row["image"] == b"\x89PNG"

    def test_writing_the_same_id_again_leaves_one_row(self):
        record_id = uuid.uuid4()
        for digit in ("3", "8"):
            Prediction.create(id=record_id, digits=digit, upload_time=datetime.now(UTC))
        rows = list(
            cassandra_session().execute(
                f"SELECT digits FROM {cassandra_keyspace()}.mnist1 WHERE id = %s", (record_id,)
            )
        )
        assert [row["digits"] for row in rows] == ["8"]

    def test_sync_cassandra_twice_is_harmless(self):
        record_id = uuid.uuid4()
        Prediction.create(id=record_id, digits="1", upload_time=datetime.now(UTC))
        before = table_columns(cassandra_keyspace())
        for _ in range(2):
            call_command("sync_cassandra", database="cassandra", verbosity=0)
        assert table_columns(cassandra_keyspace()) == before
        assert Prediction.objects.get(id=record_id).digits == "1"

    def test_consistency_comes_from_the_execution_profile(self):
        from cassandra import ConsistencyLevel
        from cassandra.cluster import EXEC_PROFILE_DEFAULT

        profile = connections["cassandra"].connection.cluster.profile_manager.profiles[
            EXEC_PROFILE_DEFAULT
        ]
        assert profile.consistency_level == ConsistencyLevel.LOCAL_QUORUM


def test_a_test_that_forgets_to_ask_for_cassandra_fails_loudly():
    with pytest.raises(RuntimeError, match="used Cassandra without asking for it"):
        Prediction.objects.filter(id=uuid.uuid4()).first()


@pytest.mark.django_db(databases=["default", "cassandra"])
def test_sync_creates_a_table_for_each_query():
    tables = {
        row["table_name"]
        for row in cassandra_session().execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s",
            (cassandra_keyspace(),),
        )
    }
    assert {
        "mnist1",
        "predictions_by_user",
        "prediction_months_by_user",
        "predictions_by_day",
    } <= tables
