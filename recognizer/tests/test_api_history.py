"""The history API: paging, one record, feedback, delete, batch and CSV, on real Cassandra."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.records import keys

pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])


def token_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def rows_in(table: str, record_id) -> list[dict]:
    """The record's rows in ``table``, found by id the slow way (tests only)."""
    return list(
        cassandra_session().execute(
            f"SELECT * FROM {cassandra_keyspace()}.{table} WHERE id = %s ALLOW FILTERING",
            (uuid.UUID(str(record_id)),),
        )
    )


def walk(client: Client, url: str) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["id"] for item in body["results"]])
        url = body["next"]
    return pages


def test_fifty_quick_predictions_come_back_newest_first_across_pages(user, token, one_png):
    client = token_client(token)
    made = []
    for _ in range(50):
        response = client.post("/api/v1/predict", {"image": io.BytesIO(one_png)})
        assert response.status_code == 200, response.content
        made.append(response.json()["id"])

    pages = walk(client, "/api/v1/predictions")

    assert len(pages) >= 2
    assert all(len(page) < 50 for page in pages)
    seen = [prediction_id for page in pages for prediction_id in page]
    assert seen == made[::-1]


def test_paging_walks_month_partitions_with_no_gaps_or_repeats(user, make_record):
    start = datetime(2026, 8, 31, 23, 0, tzinfo=UTC)
    # 45 records over four months, with an empty-after-delete gap a cursor must cross.
    made = [make_record(user, when=start + timedelta(days=2 * i, minutes=i)) for i in range(45)]
    assert len({keys.month_bucket(r.upload_time) for r in made}) >= 3
    client = Client()
    client.force_login(user)

    pages = walk(client, "/api/v1/predictions?limit=7")

    assert [len(page) for page in pages] == [7] * 6 + [3]
    newest_first = sorted(made, key=lambda r: r.upload_time, reverse=True)
    assert [i for page in pages for i in page] == [str(r.id) for r in newest_first]


def test_a_page_never_holds_fifty(session_client):
    response = session_client.get("/api/v1/predictions?limit=50")
    assert response.status_code == 400
    assert "limit" in response.json()["error"]


def test_a_forged_or_foreign_cursor_is_refused(user, other_user, make_record, session_client):
    for i in range(3):
        make_record(other_user, when=datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=i))
    bob = Client()
    bob.force_login(other_user)
    bobs_next = bob.get("/api/v1/predictions?limit=1").json()["next"]
    cursor = bobs_next.split("cursor=")[1].split("&")[0]

    for bad in (cursor, "not-a-cursor", cursor[:-2] + "xx"):
        response = session_client.get("/api/v1/predictions", {"cursor": bad})
        assert response.status_code == 400, bad
        assert "cursor" in response.json()["error"]


def test_history_never_shows_another_users_records(user, other_user, make_record, session_client):
    mine = make_record(user)
    make_record(other_user)
    ids = [item["id"] for item in session_client.get("/api/v1/predictions").json()["results"]]
    assert ids == [str(mine.id)]


def test_one_prediction_and_404_for_another_users(user, other_user, make_record, session_client):
    mine = make_record(user, digit=7)
    theirs = make_record(other_user)

    response = session_client.get(f"/api/v1/predictions/{mine.id}")
    assert response.status_code == 200
    assert response.json()["digit"] == 7

    foreign = session_client.get(f"/api/v1/predictions/{theirs.id}")
    missing = session_client.get(f"/api/v1/predictions/{uuid.uuid4()}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def feedback(client: Client, record_id, label, **extra):
    return client.post(
        f"/api/v1/predictions/{record_id}/feedback",
        data=json.dumps({"label": label}),
        content_type="application/json",
        **extra,
    )


def test_feedback_lands_on_the_record_in_every_table(user, make_record, session_client):
    record = make_record(user, digit=4)

    response = feedback(session_client, record.id, 9)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["corrected_label"] == 9
    assert body["corrected_at"].endswith("Z")
    for table in ("mnist1", "predictions_by_user", "predictions_by_day"):
        [row] = rows_in(table, record.id)
        assert row["corrected_label"] == 9, table
        assert row["corrected_at"] is not None, table
        assert row["digits"] == "4", table
    assert session_client.get(f"/api/v1/predictions/{record.id}").json()["corrected_label"] == 9


def test_feedback_on_another_users_record_is_404_like_a_missing_one(
    user, other_user, make_record, session_client
):
    theirs = make_record(other_user, digit=2)

    foreign = feedback(session_client, theirs.id, 5)
    missing = feedback(session_client, uuid.uuid4(), 5)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"error": "No such prediction."}
    [row] = rows_in("mnist1", theirs.id)
    assert row["corrected_label"] is None


@pytest.mark.parametrize("label", [10, -1, "seven", None])
def test_feedback_must_be_a_digit(user, make_record, session_client, label):
    record = make_record(user)
    response = feedback(session_client, record.id, label)
    assert response.status_code == 400
    assert "label" in response.json()["error"]


def test_feedback_by_session_needs_csrf(user, make_record):
    record = make_record(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert feedback(client, record.id, 3).status_code == 403


def test_delete_removes_the_record_from_every_table(user, other_user, make_record, session_client):
    record = make_record(user)
    theirs = make_record(other_user)

    assert session_client.delete(f"/api/v1/predictions/{theirs.id}").status_code == 404
    response = session_client.delete(f"/api/v1/predictions/{record.id}")

    assert response.status_code == 204
    for table in ("mnist1", "predictions_by_user", "predictions_by_day"):
        assert rows_in(table, record.id) == [], table
        assert len(rows_in(table, theirs.id)) == 1, table
    assert session_client.get(f"/api/v1/predictions/{record.id}").status_code == 404
    assert session_client.delete(f"/api/v1/predictions/{record.id}").status_code == 404


def test_a_batch_with_one_bad_file(user, token, one_png):
    files = [io.BytesIO(one_png), io.BytesIO(b"not an image at all"), io.BytesIO(one_png)]
    for name, upload in zip(("a.png", "b.png", "c.png"), files, strict=True):
        upload.name = name

    response = token_client(token).post("/api/v1/predict/batch", {"images": files})

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["file"] for r in results] == ["a.png", "b.png", "c.png"]
    assert [r["status"] for r in results] == [200, 400, 200]
    assert results[1]["prediction"] is None and results[1]["error"]
    assert results[0]["prediction"]["digit"] == results[2]["prediction"]["digit"] == 1
    assert results[0]["prediction"]["id"] != results[2]["prediction"]["id"]
    history = token_client(token).get("/api/v1/predictions").json()["results"]
    assert {item["id"] for item in history} == {
        results[0]["prediction"]["id"],
        results[2]["prediction"]["id"],
    }
    assert {item["source"] for item in history} == {"upload"}


def test_a_batch_needs_files(token):
    response = token_client(token).post("/api/v1/predict/batch", {"other": "x"})
    assert response.status_code == 400
    assert "images" in response.json()["error"]


def test_the_csv_export_holds_the_whole_history(user, other_user, make_record, session_client):
    made = [
        make_record(user, when=datetime(2026, 9 + i % 3, 1 + i, 12, tzinfo=UTC), digit=i % 10)
        for i in range(12)
    ]
    assert feedback(session_client, made[0].id, 8).status_code == 200
    make_record(other_user)

    response = session_client.get("/api/v1/predictions/export")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    newest_first = sorted(made, key=lambda r: r.upload_time, reverse=True)
    assert [row["id"] for row in rows] == [str(r.id) for r in newest_first]
    by_id = {row["id"]: row for row in rows}
    assert by_id[str(made[0].id)]["corrected_label"] == "8"
    assert by_id[str(made[5].id)]["digit"] == "5"
    assert by_id[str(made[5].id)]["upload_time"] == "2026-11-06T12:00:00.000Z"


def test_the_history_page_export_is_the_same_csv(user, make_record, session_client):
    make_record(user)
    page = session_client.get("/history/export.csv")
    api = session_client.get("/api/v1/predictions/export")
    assert b"".join(page.streaming_content) == b"".join(api.streaming_content)


def test_wrong_methods_answer_json_with_allow(session_client):
    response = session_client.post("/api/v1/predictions")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert "error" in response.json()


def test_no_login_is_401_on_every_history_route(make_record):
    client = Client()
    for method, url in (
        ("get", "/api/v1/predictions"),
        ("get", f"/api/v1/predictions/{uuid.uuid4()}"),
        ("delete", f"/api/v1/predictions/{uuid.uuid4()}"),
        ("get", "/api/v1/predictions/export"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Token")


def test_reads_while_cassandra_is_down_are_503_json(session_client, monkeypatch):
    from cassandra.cluster import NoHostAvailable

    from recognizer.records import query

    def down(*args, **kwargs):
        raise NoHostAvailable("Unable to connect to any servers", {})

    monkeypatch.setattr(query, "cql_execute", down)
    monkeypatch.setattr("recognizer.records.selectors.cql_execute", down)
    for url in ("/api/v1/predictions", f"/api/v1/predictions/{uuid.uuid4()}"):
        response = session_client.get(url)
        assert response.status_code == 503, url
        assert "try again" in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope", "/api/v1/predict/", "/api/v1/predictions/not-a-uuid", "/api/v2/predict"],
)
def test_an_unknown_api_address_is_a_json_404(token, path):
    for response in (
        token_client(token).get(path),
        # A script's POST, with the CSRF check a real request gets.
        Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}").post(path),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "/api/v1/docs" in response.json()["error"]


@pytest.mark.parametrize("label", [True, False, "7", 7.0, 10, -1, None])
def test_feedback_takes_only_a_whole_number_from_0_to_9(user, token, make_record, label):
    record = make_record(user, digit=3)
    response = token_client(token).post(
        f"/api/v1/predictions/{record.id}/feedback",
        data=json.dumps({"label": label}),
        content_type="application/json",
    )
    assert response.status_code == 400, (label, response.content)
    assert "label" in response.json()["error"]
    assert rows_in("mnist1", record.id)[0]["corrected_label"] is None
