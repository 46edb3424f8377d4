"""The admin's prediction history, statistics, export and delete, against real Cassandra."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.records import admin_selectors, keys
from recognizer.records.admin_selectors import Cursor, HistoryFilter, history_page
from recognizer.records.day_stats import CACHE_AFTER, day_stats_for_range
from recognizer.records.writer import record_save
from recognizer.tests.admin_records import saved_record

pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])

TODAY = datetime.now(UTC).date()
DAY1 = TODAY - timedelta(days=3)
DAY2 = TODAY - timedelta(days=2)
DAY3 = TODAY - timedelta(days=1)
RANGE = {"since": DAY1.isoformat(), "until": TODAY.isoformat()}
V1 = "v1-aaaaaaaaaaaa"
V2 = "v2-bbbbbbbbbbbb"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="grace", password="a-long-password-1", is_staff=True
    )


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create_user(username="ada", password="a-long-password-1")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="a-long-password-1")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def known_set(ada, bob):
    """Eight predictions by two users over three days, two model versions, with feedback."""
    return {
        "a1": saved_record(user=ada, digit=1, when=at(DAY1, 9)),
        "b7": saved_record(user=bob, digit=7, when=at(DAY1, 10), corrected=1, source="api"),
        "a3": saved_record(user=ada, digit=3, when=at(DAY2, 8), unsure=True, corrected=8),
        "b3": saved_record(user=bob, digit=3, when=at(DAY2, 9), corrected=3),
        "a5": saved_record(user=ada, digit=5, when=at(DAY2, 12), source="upload", version=V2),
        "b9": saved_record(user=bob, digit=9, when=at(DAY3, 7), corrected=4, version=V2),
        "a7": saved_record(user=ada, digit=7, when=at(DAY3, 8), corrected=1),
        "b0": saved_record(user=bob, digit=0, when=at(DAY3, 23, 59), unsure=True),
    }


def listed_ids(response) -> list[str]:
    """The prediction ids of the history table, in page order."""
    return re.findall(r'href="/admin/predictions/([0-9a-f-]{36})/"', response.content.decode())


def ids(*records) -> list[str]:
    return [str(record.id) for record in records]


HISTORY = "/admin/predictions/"


class TestAccess:
    URLS = [HISTORY, "/admin/prediction-statistics/", HISTORY + "export.csv"]

    @pytest.mark.parametrize("url", URLS)
    def test_anonymous_people_are_sent_to_the_admin_login(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    @pytest.mark.parametrize("url", URLS)
    def test_a_signed_in_non_staff_user_is_sent_to_the_admin_login(self, client, ada, url):
        client.force_login(ada)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_non_staff_cannot_delete(self, client, ada, known_set):
        client.force_login(ada)
        record = known_set["a1"]
        response = client.post(f"{HISTORY}{record.id}/delete/")
        assert response.status_code == 302
        assert admin_selectors.prediction_get(prediction_id=record.id) is not None

    def test_the_admin_index_links_to_the_history_and_the_statistics(self, staff_client):
        page = staff_client.get(reverse("admin:index")).content.decode()
        assert f'href="{HISTORY}"' in page
        assert 'href="/admin/prediction-statistics/"' in page

    def test_users_groups_and_api_tokens_stay_in_the_stock_admin(self, client, django_user_model):
        root = django_user_model.objects.create_superuser("root", "r@example.org", "pw-123456789")
        client.force_login(root)
        for name in ("auth_user", "auth_group", "recognizer_apitoken"):
            assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


class TestBrowse:
    def test_lists_every_users_predictions_newest_first(self, staff_client, known_set):
        response = staff_client.get(HISTORY, RANGE)
        assert response.status_code == 200
        k = known_set
        assert listed_ids(response) == ids(
            k["b0"], k["a7"], k["b9"], k["a5"], k["b3"], k["a3"], k["b7"], k["a1"]
        )
        assert "data:image/png;base64," in response.content.decode()

    def test_each_row_shows_thumbnail_digit_confidence_user_time_and_correction(
        self, staff_client, known_set
    ):
        page = staff_client.get(HISTORY, {**RANGE, "user": "bob", "digit": 7}).content.decode()
        row = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
        assert 'class="thumb" src="data:image/png;base64,' in row
        assert 'data-digit="7"' in row
        assert "0.990" in row
        assert "bob" in row
        assert at(DAY1, 10).strftime("%Y-%m-%d 10:00:00") in row
        assert "<td>1</td>" in row  # corrected to 1

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"digit": 3}, ["b3", "a3"]),
            ({"user": "ada"}, ["a7", "a5", "a3", "a1"]),
            ({"corrected": "yes"}, ["a7", "b9", "b3", "a3", "b7"]),
            ({"corrected": "no"}, ["b0", "a5", "a1"]),
            ({"corrected_label": 1}, ["a7", "b7"]),
            ({"model_version": V2}, ["b9", "a5"]),
            ({"model_version": "v2-"}, ["b9", "a5"]),
            ({"unsure": "yes"}, ["b0", "a3"]),
            ({"unsure": "no"}, ["a7", "b9", "a5", "b3", "b7", "a1"]),
            ({"source": "api"}, ["b7"]),
            ({"source": "upload"}, ["a5"]),
            ({"since": DAY2.isoformat(), "until": DAY2.isoformat()}, ["a5", "b3", "a3"]),
            ({"user": "bob", "since": DAY3.isoformat()}, ["b0", "b9"]),
            ({"user": "ada", "digit": 7, "corrected": "yes"}, ["a7"]),
        ],
    )
    def test_each_filter_narrows_the_list(self, staff_client, known_set, params, expected):
        response = staff_client.get(HISTORY, {**RANGE, **params})
        assert response.status_code == 200
        assert listed_ids(response) == ids(*(known_set[name] for name in expected))

    def test_a_drawing_the_site_called_not_a_digit_says_so_and_can_be_found(
        self, staff_client, ada
    ):
        letter = saved_record(user=ada, digit=4, when=at(DAY2, 9), unsure=True, not_a_digit=True)
        four = saved_record(user=ada, digit=4, when=at(DAY2, 10))
        page = staff_client.get(HISTORY, RANGE).content.decode()
        tbody = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
        rows = {
            re.search(r"/admin/predictions/([0-9a-f-]{36})/", row).group(1): row
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.S)
        }
        assert "not a digit" in rows[str(letter.id)]
        assert "not a digit" not in rows[str(four.id)]
        found = staff_client.get(HISTORY, {**RANGE, "not_a_digit": "yes"})
        assert listed_ids(found) == ids(letter)
        assert listed_ids(staff_client.get(HISTORY, {**RANGE, "not_a_digit": "no"})) == ids(four)
        detail = staff_client.get(f"{HISTORY}{letter.id}/").content.decode()
        fields = re.search(r'id="prediction-fields">(.*?)</table>', detail, re.S).group(1)
        assert re.search(r"not_a_digit</th><td>yes</td>", fields)
        assert "<h1>Prediction: not a digit (the network&#x27;s guess 4)</h1>" in detail

    def test_the_page_says_which_days_it_read(self, staff_client, known_set):
        page = staff_client.get(HISTORY, {**RANGE, "digit": 3}).content.decode()
        note = re.sub(r"\s+", " ", re.search(r'id="scan-note">(.*?)</p>', page, re.S).group(1))
        assert f"Range {DAY1} to {TODAY}" in note
        assert f"read 8 predictions from {TODAY} back to {DAY1}" in note
        assert "kept the 2 that match" in note
        assert 'id="range-end"' in page

    def test_bad_filters_and_cursors_answer_400_not_500(self, staff_client):
        assert staff_client.get(HISTORY, {"digit": "12"}).status_code == 400
        assert staff_client.get(HISTORY, {"user": "nobody"}).status_code == 400
        assert staff_client.get(HISTORY, {"since": "2026-02-30"}).status_code == 400
        assert (
            staff_client.get(HISTORY, {"since": "2026-05-01", "until": "2026-04-01"}).status_code
            == 400
        )
        assert (
            staff_client.get(HISTORY, {"since": "2020-01-01", "until": "2026-01-01"}).status_code
            == 400
        )
        assert staff_client.get(HISTORY, {"after": "yesterday"}).status_code == 400
        assert staff_client.get(HISTORY, {"after": "2026-01-01~not-a-uuid"}).status_code == 400
        assert staff_client.get(HISTORY + "export.csv", {"digit": "x"}).status_code == 400

    def test_a_missing_prediction_is_a_404(self, staff_client):
        assert (
            staff_client.get(HISTORY + "00000000-0000-4000-8000-000000000000/").status_code == 404
        )


class TestPaging:
    def walk(self, staff_client, params) -> tuple[list[str], int]:
        """Follow "Older" links to the end; the ids seen and the number of pages."""
        url, seen, pages = HISTORY + "?" + "&".join(f"{k}={v}" for k, v in params.items()), [], 0
        while url:
            response = staff_client.get(url)
            assert response.status_code == 200
            seen += listed_ids(response)
            pages += 1
            found = re.search(r'href="(\?[^"]*)" id="next-page"', response.content.decode())
            url = HISTORY + found.group(1).replace("&amp;", "&") if found else None
            assert pages < 50
        return seen, pages

    def test_pages_run_across_days_without_gaps_or_repeats(
        self, staff_client, known_set, monkeypatch
    ):
        monkeypatch.setattr(admin_selectors, "PAGE_SIZE", 3)
        seen, pages = self.walk(staff_client, RANGE)
        k = known_set
        assert seen == ids(k["b0"], k["a7"], k["b9"], k["a5"], k["b3"], k["a3"], k["b7"], k["a1"])
        assert pages == 3

    def test_a_filtered_walk_pages_too(self, staff_client, known_set, monkeypatch):
        monkeypatch.setattr(admin_selectors, "PAGE_SIZE", 1)
        seen, _ = self.walk(staff_client, {**RANGE, "corrected": "yes"})
        k = known_set
        assert seen == ids(k["a7"], k["b9"], k["b3"], k["a3"], k["b7"])

    def test_a_user_walk_crosses_month_partitions(self, ada, monkeypatch):
        monkeypatch.setattr(admin_selectors, "PAGE_SIZE", 2)
        made = [
            saved_record(user=ada, digit=d, when=datetime(2026, 3, 30 + d % 2, 12, d, tzinfo=UTC))
            for d in range(2)
        ] + [
            saved_record(user=ada, digit=d, when=datetime(2026, 4, 1 + d, 12, tzinfo=UTC))
            for d in range(2, 5)
        ]
        flt = HistoryFilter(
            since=date(2026, 3, 30), until=date(2026, 4, 2), user_id=ada.pk, username="ada"
        )
        seen, cursor = [], None
        while True:
            page = history_page(filter=flt, cursor=cursor)
            seen += [row["id"] for row in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        newest_first = sorted(made, key=lambda r: r.upload_time, reverse=True)
        # The range ends on April 2: the record of April 3 is outside it.
        assert seen == [r.id for r in newest_first if r.upload_time.date() <= date(2026, 4, 2)]

    def test_a_page_stops_at_its_reading_budget_and_says_so(
        self, staff_client, known_set, monkeypatch
    ):
        monkeypatch.setattr(admin_selectors, "SCAN_BUDGET", 3)
        first = staff_client.get(HISTORY, {**RANGE, "source": "api"})
        page = first.content.decode()
        assert listed_ids(first) == []
        assert "stopped at its reading budget" in page
        assert f"read 3 predictions from {TODAY} back to {DAY3}" in re.sub(r"\s+", " ", page)
        seen, _ = TestPaging.walk(self, staff_client, {**RANGE, "source": "api"})
        assert seen == ids(known_set["b7"])

    def test_a_cursor_carries_its_day(self):
        cursor = Cursor(
            day=DAY2,
            before=keys.created_timeuuid(upload_time=at(DAY2, 5), record_id=uuid.uuid4()),
        )
        assert Cursor.parse(str(cursor)) == cursor
        with pytest.raises(admin_selectors.CursorError):
            Cursor.parse(f"{DAY1}~{cursor.before}")


class TestDetail:
    def test_shows_image_all_probabilities_every_field_and_neighbours(
        self, staff_client, known_set
    ):
        record = known_set["a3"]
        page = staff_client.get(f"{HISTORY}{record.id}/").content.decode()
        assert 'class="big-image" src="data:image/png;base64,' in page
        assert page.count("<rect") == 10
        for field in (
            "upload_time",
            "confidence",
            "unsure",
            "model_version",
            "source",
            "corrected_label",
            "corrected_at",
            "probabilities",
            "user_id",
            "username",
        ):
            assert f'<th scope="row">{field}</th>' in page
        neighbours = re.search(r'<table id="neighbours">(.*?)</table>', page, re.S).group(1)
        k = known_set
        assert re.findall(r"/admin/predictions/([0-9a-f-]{36})/", neighbours) == ids(
            k["a7"], k["a5"], k["a3"], k["a1"]
        )
        assert neighbours.count("<td>ada</td>") == 4


class TestStatistics:
    def test_counts_and_confusion_match_the_known_set(self, staff_client, known_set):
        response = staff_client.get("/admin/prediction-statistics/", RANGE)
        assert response.status_code == 200
        page = response.content.decode()
        v1 = re.search(rf'data-model-version="{V1}">(.*?)</section>', page, re.S).group(1)
        v2 = re.search(rf'data-model-version="{V2}">(.*?)</section>', page, re.S).group(1)
        assert '<strong class="stat-total">6</strong>' in v1
        assert '<strong class="stat-unsure">33.3%</strong>' in v1
        assert '<strong class="stat-feedback">4</strong>' in v1
        assert '<strong class="stat-accuracy">25.0%</strong>' in v1  # only b3 was confirmed
        assert '<strong class="stat-total">2</strong>' in v2
        assert '<strong class="stat-accuracy">0.0%</strong>' in v2
        cells = dict(re.findall(r'data-cell="(\d-\d)">(?:<a href="[^"]*">)?(\d+|·)', v1))
        assert {cell: n for cell, n in cells.items() if n != "·"} == {
            "7-1": "2",
            "3-8": "1",
            "3-3": "1",
        }
        assert v1.count("<svg") == 2

    def test_a_confusion_cell_links_to_its_predictions(self, staff_client, known_set):
        page = staff_client.get("/admin/prediction-statistics/", RANGE).content.decode()
        v1 = re.search(rf'data-model-version="{V1}">(.*?)</section>', page, re.S).group(1)
        link = re.search(r'data-cell="7-1"><a href="([^"]+)"', v1).group(1).replace("&amp;", "&")
        assert listed_ids(staff_client.get(link)) == ids(known_set["a7"], known_set["b7"])

    def test_answers_that_were_not_a_digit_are_counted_per_model(self, staff_client, ada):
        saved_record(user=ada, digit=4, when=at(DAY2, 9), unsure=True, not_a_digit=True)
        saved_record(user=ada, digit=4, when=at(DAY2, 10))
        saved_record(user=ada, digit=1, when=at(DAY3, 10), not_a_digit=True)
        saved_record(user=ada, digit=2, when=at(DAY3, 11))
        page = staff_client.get("/admin/prediction-statistics/", RANGE).content.decode()
        v1 = re.search(rf'data-model-version="{V1}">(.*?)</section>', page, re.S).group(1)
        assert '<strong class="stat-not-a-digit">50.0%</strong>not a digit (2)' in v1
        # The answers chart counts what the site answered: the rejected 4 and 1 as "not a
        # digit", not as the network's guesses.
        chart = v1.partition("<h3>Answers")[2]
        answers = dict(re.findall(r"<title>([^<:]+): (\d+)</title>", chart))
        assert (answers["4"], answers["1"], answers["2"]) == ("1", "0", "1")
        assert answers["?"] == "2"

    def test_not_sure_counts_only_answers_the_page_called_not_sure(self, staff_client, ada):
        # The page says "That doesn't look like a digit" for a rejected drawing, however low
        # the network's digit confidence; only a digit answer can be "Not sure".
        saved_record(user=ada, digit=4, when=at(DAY2, 9), unsure=True, not_a_digit=True)
        saved_record(user=ada, digit=9, when=at(DAY2, 10), unsure=True)
        saved_record(user=ada, digit=2, when=at(DAY3, 11))
        saved_record(user=ada, digit=5, when=at(DAY3, 12))
        page = staff_client.get("/admin/prediction-statistics/", RANGE).content.decode()
        v1 = re.search(rf'data-model-version="{V1}">(.*?)</section>', page, re.S).group(1)
        assert '<strong class="stat-unsure">25.0%</strong>not sure (1)' in v1

    def test_a_rejected_drawing_labelled_with_the_guess_is_not_an_agreement(
        self, staff_client, ada
    ):
        saved_record(user=ada, digit=4, when=at(DAY2, 9), not_a_digit=True, corrected=4)
        saved_record(user=ada, digit=7, when=at(DAY2, 10), corrected=7)
        page = staff_client.get("/admin/prediction-statistics/", RANGE).content.decode()
        v1 = re.search(rf'data-model-version="{V1}">(.*?)</section>', page, re.S).group(1)
        assert '<strong class="stat-feedback">2</strong>' in v1
        assert '<strong class="stat-accuracy">50.0%</strong>' in v1

    def test_a_day_cached_under_older_counting_rules_is_recounted(self, ada):
        saved_record(user=ada, digit=4, when=at(DAY1, 9), not_a_digit=True, corrected=4)
        day_stats_for_range(since=DAY1, until=DAY1)  # cached under today's rules
        session, ks = cassandra_session(), cassandra_keyspace()
        row = session.execute(
            f"SELECT stats FROM {ks}.prediction_day_stats WHERE year = %s AND day = %s",
            (DAY1.year, DAY1),
        ).one()
        # As the release before the rule number cached it: not_a_digit counted, but the
        # rejected drawing counted as an agreement too.
        old = {
            v: {**{k: t[k] for k in t if k != "format"}, "agree": 1}
            for v, t in json.loads(row["stats"]).items()
        }
        session.execute(
            f"UPDATE {ks}.prediction_day_stats SET stats = %s WHERE year = %s AND day = %s",
            (json.dumps(old), DAY1.year, DAY1),
        )
        tally = day_stats_for_range(since=DAY1, until=DAY1)[DAY1][V1]
        assert (tally.not_a_digit, tally.feedback, tally.agree) == (1, 1, 0)

    def test_replayed_writes_never_count_twice(self, known_set):
        before = day_stats_for_range(since=DAY1, until=TODAY)
        for record in known_set.values():
            record_save(record=record)
            record_save(record=record)
        assert day_stats_for_range(since=DAY1, until=TODAY) == before
        assert before[DAY2][V1].n == 2

    def test_a_correction_is_counted_after_the_writer_marks_its_day(self, known_set):
        day_stats_for_range(since=DAY1, until=TODAY)  # cached
        record = known_set["b0"]
        record_save(record=record.corrected(label=6, at=at(DAY3, 23, 59)))
        tally = day_stats_for_range(since=DAY3, until=DAY3)[DAY3][V1]
        assert tally.feedback == 2
        assert tally.confusion[0][6] == 1

    def test_todays_predictions_are_counted_at_once_although_the_writer_marks_nothing(self, ada):
        now = datetime.now(UTC).replace(microsecond=0)
        day = now.date()
        assert day_stats_for_range(since=day, until=day)[day] == {}
        saved_record(user=ada, digit=4, when=now)
        assert day_stats_for_range(since=day, until=day)[day][V1].n == 1
        saved_record(user=ada, digit=5, when=now)
        assert day_stats_for_range(since=day, until=day)[day][V1].n == 2

    def test_a_day_is_cached_only_once_it_has_been_over_for_a_while(self, known_set):
        end = datetime.combine(DAY3 + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        soon, later = end + CACHE_AFTER - timedelta(seconds=1), end + CACHE_AFTER
        assert day_stats_for_range(since=DAY3, until=DAY3, now=later)[DAY3][V1].n == 2
        # Rows that no mark announces (a write acknowledged just after midnight does not mark
        # its day): a day still open is recounted, so they count; once over, the cache holds.
        cassandra_session().execute(
            f"DELETE FROM {cassandra_keyspace()}.predictions_by_day WHERE day = %s", (DAY3,)
        )
        assert day_stats_for_range(since=DAY3, until=DAY3, now=soon)[DAY3] == {}
        assert day_stats_for_range(since=DAY3, until=DAY3, now=later)[DAY3][V1].n == 2

    def test_the_cache_is_used_when_nothing_changed(self, known_set):
        day_stats_for_range(since=DAY1, until=TODAY)
        # A day the writer has not marked since is answered from the cache, not recounted.
        session = cassandra_session()
        session.execute(
            f"DELETE FROM {cassandra_keyspace()}.predictions_by_day WHERE day = %s", (DAY1,)
        )
        assert day_stats_for_range(since=DAY1, until=DAY1)[DAY1][V1].n == 2


class TestCsv:
    def test_exports_the_filtered_predictions_streamed(self, staff_client, known_set):
        response = staff_client.get(HISTORY + "export.csv", {**RANGE, "user": "bob"})
        assert response.status_code == 200
        assert response.streaming
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        body = b"".join(response.streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(body)))
        k = known_set
        assert [row["id"] for row in rows] == ids(k["b0"], k["b9"], k["b3"], k["b7"])
        b7 = rows[-1]
        assert b7["username"] == "bob"
        assert b7["digit"] == "7"
        assert b7["corrected_label"] == "1"
        assert b7["source"] == "api"
        assert float(b7["p7"]) == pytest.approx(0.99)
        assert float(b7["confidence"]) == pytest.approx(0.99)

    def test_a_username_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(
        self, staff_client, django_user_model
    ):
        user = django_user_model.objects.create_user(
            username="+1+cmd", password="a-long-password-1"
        )
        saved_record(user=user, digit=5, when=at(DAY2, 9))
        response = staff_client.get(HISTORY + "export.csv", {**RANGE, "user": "+1+cmd"})
        body = b"".join(response.streaming_content).decode()
        [row] = list(csv.DictReader(io.StringIO(body)))
        assert row["username"] == "'+1+cmd"
        assert row["digit"] == "5"


class TestDelete:
    def test_asks_first_then_deletes_from_every_table_and_logs_it(
        self, staff_client, staff, known_set
    ):
        record = known_set["a3"]
        confirm = staff_client.get(f"{HISTORY}{record.id}/delete/")
        assert confirm.status_code == 200
        assert "Are you sure" in confirm.content.decode()
        assert admin_selectors.prediction_get(prediction_id=record.id) is not None

        response = staff_client.post(f"{HISTORY}{record.id}/delete/")
        assert response.status_code == 302

        ks = cassandra_keyspace()
        session = cassandra_session()
        assert (
            session.execute(f"SELECT id FROM {ks}.mnist1 WHERE id = %s", (record.id,)).one() is None
        )
        assert (
            session.execute(
                f"SELECT id FROM {ks}.predictions_by_day WHERE day = %s AND created = %s",
                (DAY2, record.created),
            ).one()
            is None
        )
        assert (
            session.execute(
                f"SELECT id FROM {ks}.predictions_by_user WHERE user_id = %s AND month = %s "
                "AND created = %s",
                (record.user_id, keys.month_bucket(record.upload_time), record.created),
            ).one()
            is None
        )
        entry = LogEntry.objects.get()
        assert entry.user == staff
        assert entry.action_flag == DELETION
        assert entry.object_id == str(record.id)
        assert str(record.id) not in listed_ids(staff_client.get(HISTORY, RANGE))
        # The statistics of its day are recounted without it.
        assert day_stats_for_range(since=DAY2, until=DAY2)[DAY2][V1].n == 1
