"""/history/: your own records, the summary, feedback and delete from the page."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from recognizer.records.stats import history_summary
from recognizer.records.writer import record_save
from recognizer.templatetags.confidence import confidence_percent

pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])


def ids_on(html: str) -> list[str]:
    return re.findall(r'data-prediction-id="([0-9a-f-]+)"', html)


def test_the_page_needs_a_login(client):
    response = client.get("/history/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_your_records_and_never_another_users(
    user, other_user, make_record, session_client
):
    mine = [make_record(user, digit=d) for d in (1, 2)]
    theirs = make_record(other_user, digit=3)

    html = session_client.get("/history/").content.decode()

    assert set(ids_on(html)) == {str(r.id) for r in mine}
    assert str(theirs.id) not in html
    assert 'href="/history/"' in session_client.get("/").content.decode()


def test_it_pages_by_signed_cursor(user, make_record, session_client):
    start = datetime(2026, 9, 1, tzinfo=UTC)
    made = [make_record(user, when=start + timedelta(days=i)) for i in range(25)]
    first = session_client.get("/history/").content.decode()
    next_url = re.search(r'<a href="([^"]+)" id="older"', first).group(1).replace("&amp;", "&")
    second = session_client.get(next_url).content.decode()

    shown = ids_on(first) + ids_on(second)
    newest_first = sorted(made, key=lambda r: r.upload_time, reverse=True)
    assert shown == [str(r.id) for r in newest_first]
    assert 'id="older"' not in second
    # A forged cursor starts again from the top.
    forged = session_client.get("/history/?cursor=abc")
    assert forged.status_code == 302 and forged["Location"] == "/history/"


def test_feedback_and_delete_from_the_page(user, other_user, make_record, session_client):
    record = make_record(user, digit=4)
    theirs = make_record(other_user, digit=4)

    right = session_client.post(f"/history/{record.id}/feedback", {"label": "4"})
    assert right.status_code == 302
    html = session_client.get("/history/").content.decode()
    assert "Confirmed right" in html

    session_client.post(f"/history/{record.id}/feedback", {"label": "9"})
    html = session_client.get("/history/").content.decode()
    assert "Corrected: it was 9" in html
    # A mistaken correction can be taken back: "Right" is offered again.
    assert re.search(r'<button type="submit" name="label" value="4"[^>]*>Right</button>', html)
    session_client.post(f"/history/{record.id}/feedback", {"label": "4"})
    html = session_client.get("/history/").content.decode()
    assert "Confirmed right" in html
    assert ">Right</button>" not in html

    assert session_client.post(f"/history/{theirs.id}/feedback", {"label": "1"}).status_code == 404
    assert session_client.post(f"/history/{theirs.id}/delete").status_code == 404

    session_client.post(f"/history/{record.id}/delete")
    assert ids_on(session_client.get("/history/").content.decode()) == []


def test_the_summary_counts_your_feedback_overall_and_per_digit(user, make_record, session_client):
    now = datetime.now(UTC)
    # Two months: a closed one (its stats row is kept) and the current one (recomputed).
    old = datetime(2025, 3, 10, tzinfo=UTC)
    make_record(user, when=old, digit=7, corrected_label=7)
    make_record(user, when=old + timedelta(hours=1), digit=1, corrected_label=7)
    make_record(user, when=now - timedelta(seconds=5), digit=3, corrected_label=3)
    make_record(user, when=now - timedelta(seconds=4), digit=5, corrected_label=6)
    make_record(user, when=now - timedelta(seconds=3), digit=2)

    summary = history_summary(user_id=user.pk, now=now)

    assert summary.predictions == 5
    assert (summary.judged, summary.right) == (4, 2)
    by_digit = {d.digit: (d.judged, d.right) for d in summary.per_digit}
    assert by_digit[7] == (2, 1)
    assert by_digit[3] == (1, 1)
    assert by_digit[6] == (1, 0)
    assert by_digit[5] == (0, 0)

    # A later record in the open month shows at once; the page shows the figures.
    make_record(user, when=now - timedelta(seconds=1), digit=8, corrected_label=8)
    html = session_client.get("/history/").content.decode()
    assert 'data-predictions="6"' in html
    assert 'data-judged="5" data-right="3"' in html


def test_a_drawing_rejected_as_not_a_digit_never_counts_as_right(user, make_record):
    # The site said "not a digit"; the person says it is a 4, which was the network's guess.
    # The history reads "Corrected: it was 4", so the summary must not call it right.
    now = datetime.now(UTC)
    make_record(user, when=now - timedelta(seconds=3), digit=4, corrected_label=4, not_a_digit=True)
    make_record(user, when=now - timedelta(seconds=2), digit=4, corrected_label=4)

    summary = history_summary(user_id=user.pk, now=now)

    assert (summary.judged, summary.right) == (2, 1)
    assert {d.digit: (d.judged, d.right) for d in summary.per_digit}[4] == (2, 1)


def test_a_closed_month_counted_under_older_rules_is_counted_again(user, make_record):
    from recognizer.records.query import cql_execute

    when = datetime(2025, 2, 5, tzinfo=UTC)
    make_record(user, when=when, digit=4, corrected_label=4, not_a_digit=True)
    # The month's row as an earlier release left it, long after the month ended: no rules
    # number, and the rejected drawing counted as right.
    cql_execute(
        "INSERT INTO {ks}.prediction_stats_by_user "
        "(user_id, month, predictions, judged, right, computed_at) VALUES (?, ?, ?, ?, ?, ?)",
        (user.pk, "2025-02", 1, {4: 1}, {4: 1}, datetime(2026, 1, 1, tzinfo=UTC)),
    )
    summary = history_summary(user_id=user.pk, now=datetime.now(UTC))
    assert (summary.judged, summary.right) == (1, 0)


def test_recomputing_a_month_twice_gives_the_same_row(user, make_record):
    when = datetime(2025, 1, 5, tzinfo=UTC)
    record = make_record(user, when=when, digit=2, corrected_label=2)
    first = history_summary(user_id=user.pk, now=datetime.now(UTC))
    # A replay of the same record (as the outbox may do) is the same row: nothing doubles.
    record_save(record=record)
    again = history_summary(user_id=user.pk, now=datetime.now(UTC))
    assert first == again
    assert again.predictions == 1


def test_the_page_says_so_when_cassandra_is_down(session_client, monkeypatch):
    from cassandra.cluster import NoHostAvailable

    def down(*args, **kwargs):
        raise NoHostAvailable("Unable to connect to any servers", {})

    monkeypatch.setattr("recognizer.records.selectors.cql_execute", down)
    response = session_client.get("/history/")
    assert response.status_code == 503
    assert "cannot be read right now" in response.content.decode()


def test_a_drawing_that_was_not_a_digit_says_so_in_the_history(user, make_record, session_client):
    scribble = make_record(user, digit=4, not_a_digit=True)
    digit = make_record(user, digit=7)

    row_of = rows_by_id(session_client.get("/history/").content.decode())
    assert "Not a digit" in row_of[str(scribble.id)]
    assert "Not a digit" not in row_of[str(digit.id)]


def rows_by_id(html: str) -> dict[str, str]:
    return {
        match.group(1): match.group(0)
        for match in re.finditer(r'data-prediction-id="([0-9a-f-]{36})".*?</li>', html, re.S)
    }


def test_a_rejected_drawing_shows_no_digit_and_can_be_corrected_to_any(
    user, make_record, session_client
):
    scribble = make_record(user, digit=4, not_a_digit=True)
    row = rows_by_id(session_client.get("/history/").content.decode())[str(scribble.id)]
    # The site answered "not a digit", as the drawing page showed it: no 4 to confirm.
    assert re.search(r'class="digit-small">\?<', row)
    assert 'name="label" value="4"' not in row  # no "Right" that would record a 4
    offered = re.findall(r'<option value="(\d)"', row)
    assert offered == [str(d) for d in range(10)]


def test_a_rejected_drawing_corrected_to_the_networks_guess_reads_as_a_correction(
    user, make_record, session_client
):
    """The site said "not a digit"; "it was 4" says it was wrong, even when 4 was the
    network's own guess (the drawing page says "saved, it was 4" too)."""
    scribble = make_record(user, digit=4, not_a_digit=True)
    session_client.post(f"/history/{scribble.id}/feedback", {"label": "4"})

    row = rows_by_id(session_client.get("/history/").content.decode())[str(scribble.id)]
    assert "Corrected: it was 4" in row
    assert "Confirmed right" not in row


def test_wrong_it_was_asks_for_a_choice_before_saving(user, make_record, session_client):
    fresh = make_record(user, digit=3)
    corrected = make_record(user, digit=5)
    confirmed = make_record(user, digit=8)
    session_client.post(f"/history/{corrected.id}/feedback", {"label": "6"})
    session_client.post(f"/history/{confirmed.id}/feedback", {"label": "8"})

    rows = rows_by_id(session_client.get("/history/").content.decode())
    # A row's select starts on an empty, required choice, so Save cannot record the first
    # digit by accident; a corrected row shows its correction.
    placeholder = r'<select name="label" required>\s*<option value="" selected'
    assert re.search(placeholder, rows[str(fresh.id)])
    assert re.search(placeholder, rows[str(confirmed.id)])
    assert not re.search(placeholder, rows[str(corrected.id)])
    assert re.search(r'<option value="6" selected>', rows[str(corrected.id)])
    session_client.post(f"/history/{fresh.id}/feedback", {"label": ""})
    assert (
        "No feedback yet"
        in rows_by_id(session_client.get("/history/").content.decode())[str(fresh.id)]
    )


def test_a_history_action_opened_by_address_goes_back_to_the_history(
    user, make_record, session_client
):
    record = make_record(user, digit=4)
    for action in ("delete", "feedback"):
        response = session_client.get(f"/history/{record.id}/{action}")
        assert (response.status_code, response["Location"]) == (302, "/history/")
    assert ids_on(session_client.get("/history/").content.decode()) == [str(record.id)]


def test_a_drawing_deleted_in_another_tab_gets_the_sites_not_found_page(
    user, make_record, session_client
):
    record = make_record(user, digit=4)
    session_client.post(f"/history/{record.id}/delete")
    response = session_client.post(f"/history/{record.id}/delete")
    assert response.status_code == 404
    html = response.content.decode()
    assert "deleted in another tab" in html
    assert 'href="/history/"' in html


def test_predicting_an_old_drawing_again_refreshes_its_closed_months_summary(
    user, make_record, session_client, one_png
):
    import base64
    import json
    import uuid
    from dataclasses import replace

    from recognizer.services import prediction_id_for

    # A drawing an API client named months ago, answered 7 and confirmed right.
    client_id = uuid.uuid4()
    old = make_record(user, when=datetime(2025, 4, 2, tzinfo=UTC), digit=7, corrected_label=7)
    record_save(record=replace(old, id=prediction_id_for(user=user, client_id=client_id)))
    assert history_summary(user_id=user.pk, now=datetime.now(UTC)).judged == 2  # month kept

    image = "data:image/png;base64," + base64.b64encode(one_png).decode()
    response = session_client.post(
        "/api/v1/predict",
        data=json.dumps({"image": image, "id": str(client_id)}),
        content_type="application/json",
    )
    assert response.status_code == 200
    # The new answer dropped that drawing's feedback; the closed month says so.
    assert history_summary(user_id=user.pk, now=datetime.now(UTC)).judged == 1


def test_confidence_reads_as_on_the_drawing_page(user, make_record, session_client):
    """A network is never 100% sure: the page says ">99.9%", and so does history."""
    make_record(user, digit=7, confidence=0.99997)
    make_record(user, digit=4, confidence=0.625, unsure=True)

    html = session_client.get("/history/").content.decode()

    assert "&gt;99.9% sure" in html
    assert "100% sure" not in html
    assert "Not sure (62.5%)" in html


@pytest.mark.parametrize(
    ("probability", "text"),
    [(0.99997, ">99.9%"), (0.9994, "99.9%"), (0.625, "62.5%"), (0.0004, "<0.1%"), (0.0, "<0.1%")],
)
def test_percent_never_rounds_to_certainty(probability, text):
    assert confidence_percent(probability) == text
