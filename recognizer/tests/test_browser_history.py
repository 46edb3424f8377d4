"""History, feedback, batch upload and the API docs in a real Chromium."""
# ruff: noqa: F811 - the shared browser fixtures are imported, then named as arguments

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from recognizer.records.tables import Prediction, PredictionByUser
from recognizer.tests.images import png_bytes
from recognizer.tests.test_browser import (  # noqa: F401 - fixtures
    ANSWER_TIMEOUT_MS,
    DESKTOP,
    USERNAME,
    browser,
    console_errors,
    draw_with_mouse,
    instant_off,
    log_in,
    open_page,
    page,
    painter,
    predict_and_read,
    strokes_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "cassandra"]),
    pytest.mark.browser,
]

SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or tempfile.gettempdir())


def rows_by_user(user) -> list:
    return [
        row
        for row in PredictionByUser.objects.all()
        if row.user_id == user.pk  # a test keyspace of a few rows
    ]


def test_a_digit_drawn_in_two_strokes_with_auto_predict_is_one_row(page, painter):
    expect(page.locator("#instant")).to_be_checked()
    first, second = strokes_for(4, seed=15, size=160, center=(130, 150))[:2]
    answers = []
    page.on(
        "response",
        lambda response: (
            answers.append(response.json()) if "/api/v1/predict" in response.url else None
        ),
    )
    # The first stroke, then a pause longer than the page's wait: a half-drawn answer comes.
    with page.expect_response("**/api/v1/predict", timeout=ANSWER_TIMEOUT_MS):
        draw_with_mouse(page, [first])
    page.locator("#result[data-digit]").wait_for(state="attached")
    with page.expect_response("**/api/v1/predict", timeout=ANSWER_TIMEOUT_MS):
        draw_with_mouse(page, [second])
    page.locator("#result[data-digit]").wait_for(state="attached")

    assert len(answers) == 2
    assert answers[0]["id"] == answers[1]["id"]
    [row] = rows_by_user(painter)
    assert str(row.id) == answers[1]["id"]
    # The row holds the final drawing's answer, and the time of its first prediction.
    assert row.digits == str(answers[1]["digit"])
    assert (
        Prediction.objects.get(id=row.id).upload_time.isoformat(timespec="milliseconds") + "Z"
        == answers[0]["upload_time"]
    )

    # After Clear, the next drawing is a new record.
    page.keyboard.press("Escape")
    with page.expect_response("**/api/v1/predict", timeout=ANSWER_TIMEOUT_MS):
        draw_with_mouse(page, strokes_for(7, seed=41, size=180, center=(140, 140)))
    page.locator("#result[data-digit]").wait_for(state="attached")
    assert len(rows_by_user(painter)) == 2


def test_sign_up_to_first_prediction_to_history_with_feedback(browser, live_server, console_errors):
    page = open_page(browser, console_errors, viewport=DESKTOP)
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password1]", "a-long-password-7")
    page.fill("input[name=password2]", "a-long-password-7")
    page.click("form.stack-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    instant_off(page)
    draw_with_mouse(page, strokes_for(3, seed=61, size=190, center=(140, 140)))
    digit, prediction_id = predict_and_read(page)
    assert digit == 3
    with page.expect_response("**/feedback"):
        page.click("#feedback-right")
    expect(page.locator("#feedback-state")).to_have_text("Thanks: saved as right.")

    page.click("#history-link")
    page.wait_for_url(f"{live_server.url}/history/")
    row = page.locator(f'.history-row[data-prediction-id="{prediction_id}"]')
    expect(row).to_have_count(1)
    expect(row.locator(".verdict-state")).to_have_text("Confirmed right")
    expect(row.locator(".digit-small")).to_have_text("3")
    assert row.locator("img.thumb").get_attribute("src").startswith("data:image/png;base64,")
    # Local time, written by the page's script (not the raw ISO string).
    assert "T" not in row.locator("time").text_content()
    expect(page.locator("#summary")).to_contain_text("right 1 of 1")

    # "Wrong — it was 8" from the history row.
    row.locator("select[name=label]").select_option("8")
    row.locator("text=Save").click()
    expect(
        page.locator(f'.history-row[data-prediction-id="{prediction_id}"] .verdict-state')
    ).to_have_text("Corrected: it was 8")
    page.screenshot(path=SCREENSHOTS / "history_page.png", full_page=True)
    assert [e for e in console_errors if "Content Security Policy" in e or "uncaught" in e] == []
    page.context.close()


def test_a_batch_upload_in_the_browser_with_one_bad_file(page, painter, live_server, tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(140, 50), (135, 230)], fill=(0, 0, 0, 255), width=18)
    good = tmp_path / "one.png"
    good.write_bytes(png_bytes(image))
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a picture")
    blank = tmp_path / "blank.png"
    blank.write_bytes(png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))

    page.goto(f"{live_server.url}/upload/")
    page.set_input_files("#files", [str(good), str(bad), str(blank)])
    # A multipart POST by the session with its CSRF token: issue 8's 500 is gone.
    with page.expect_response("**/api/v1/predict/batch") as response_info:
        page.click("#upload-submit")
    assert response_info.value.status == 200

    results = page.locator(".batch-result")
    expect(results).to_have_count(3)
    assert [results.nth(i).get_attribute("data-status") for i in range(3)] == ["200", "400", "422"]
    assert results.nth(0).get_attribute("data-digit") == "1"
    expect(results.nth(1).locator(".batch-error")).not_to_be_empty()
    expect(page.locator("#upload-message")).to_have_text("1 recognised, 2 could not be read.")
    [row] = rows_by_user(painter)
    assert row.source == "upload"
    page.screenshot(path=SCREENSHOTS / "upload_page.png", full_page=True)


def test_the_api_docs_render_from_this_site_alone(page, live_server, console_errors):
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("mnistsite API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert hosts == {live_server.url.split("/")[2]}
    # The site's Content-Security-Policy lets Swagger UI run (it has no inline script).
    assert [error for error in console_errors if "Content Security Policy" in error] == []
    page.screenshot(path=SCREENSHOTS / "api_docs.png", full_page=False)


def test_a_prediction_id_is_never_reused_after_clear(page):
    instant_off(page)
    draw_with_mouse(page, strokes_for(5, seed=31, size=180, center=(140, 140)))
    _, first = predict_and_read(page)
    page.keyboard.press("Escape")
    draw_with_mouse(page, strokes_for(5, seed=31, size=180, center=(140, 140)))
    _, second = predict_and_read(page)
    assert uuid.UUID(first) != uuid.UUID(second)


def test_a_browser_session_uploads_a_png_to_predict(page, painter):
    """Issue 8: a multipart POST /api/v1/predict by the browser's session with its CSRF token
    was a 500 (RawPostDataException). Chromium builds the multipart body itself here."""
    status, answer = page.evaluate(
        """async () => {
            const canvas = document.createElement('canvas');
            canvas.width = canvas.height = 280;
            const ctx = canvas.getContext('2d');
            ctx.lineWidth = 18;
            ctx.beginPath(); ctx.moveTo(140, 50); ctx.lineTo(135, 230); ctx.stroke();
            const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
            const body = new FormData();
            body.append('image', blob, 'one.png');
            const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
            const response = await fetch('/api/v1/predict', {
                method: 'POST', body, credentials: 'same-origin',
                headers: { 'X-CSRFToken': token ? token.split('=')[1] : '' },
            });
            return [response.status, await response.json()];
        }"""
    )
    assert status == 200, answer
    assert answer["digit"] == 1
    assert answer["source"] == "upload"


@pytest.mark.parametrize("width", [320, 375, 414])
def test_the_history_fits_a_phone_with_feedback_on_every_digit(
    browser, live_server, painter, console_errors, make_record, width
):
    for digit in range(10):  # each right, but the 9 is said to be a 0
        make_record(painter, digit=digit, corrected_label=0 if digit == 9 else digit)
    page = open_page(
        browser, console_errors, viewport={"width": width, "height": 740}, is_mobile=True
    )
    log_in(page, live_server)
    page.goto(f"{live_server.url}/history/")
    expect(page.locator(".per-digit li")).to_have_count(10)
    expect(page.locator('.per-digit li[data-digit="0"]')).to_contain_text("1/2")
    expect(page.locator('.per-digit li[data-digit="5"]')).to_contain_text("1/1")
    page.screenshot(path=SCREENSHOTS / f"history_{width}.png", full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.context.close()


def test_enter_predicts_a_new_stroke_after_feedback_on_the_last_answer(page):
    instant_off(page)
    first, *rest = strokes_for(4, seed=15, size=160, center=(130, 150))
    draw_with_mouse(page, [first])
    predict_and_read(page)
    with page.expect_response("**/feedback"):
        page.click("#feedback-right")  # the focus is now on the answer's button
    sent = []
    page.on("request", lambda request: sent.append(request.url.rsplit("/", 1)[-1]))
    draw_with_mouse(page, rest)
    with page.expect_response("**/api/v1/predict", timeout=ANSWER_TIMEOUT_MS):
        page.keyboard.press("Enter")
    assert sent == ["predict"]


def test_delete_on_the_history_asks_first(page, live_server, painter, make_record):
    record = make_record(painter, digit=4)
    page.goto(f"{live_server.url}/history/")
    row = page.locator(f'.history-row[data-prediction-id="{record.id}"]')
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    row.locator("text=Delete").click()
    expect(row).to_have_count(1)
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    row.locator("text=Delete").click()
    expect(page.locator(".message-success")).to_have_text("Deleted.")
    expect(row).to_have_count(0)
    assert len(asked) == 2 and "cannot be undone" in asked[0]
