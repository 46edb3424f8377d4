"""The canvas page in a real Chromium: drawing with mouse, touch and pen, and what comes back.

Playwright's sync API runs an event loop in this thread while the browser is open, and Django
refuses ORM calls from a thread with a running loop. The browser fixture sets
DJANGO_ALLOW_ASYNC_UNSAFE for exactly as long as the browser lives (Django documents this
escape hatch for such environments); it is module-scoped so the loop is gone before other
test modules run.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recognizer.preprocessing import UPLOAD_INK_SIDE
from recognizer.records.tables import Prediction
from recognizer.services import prediction_id_for
from recognizer.tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    canvas_box,
    draw_with_mouse,
    thin,
)
from recognizer.tests.images import ink_side
from training.strokes import CANVAS_SIDE, drawn_digit, page_curve, render_strokes, upload_side

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "cassandra"]),
    pytest.mark.browser,
]

USERNAME = "painter"
PASSWORD = "a-long-password-1"
DESKTOP = {"width": 1000, "height": 760}
PHONE = {"width": 390, "height": 844}
MOUSE_SPACING = 12.0  # CSS px between mouse positions; page.mouse.move(steps=2) halves it
# A model answer takes well under a second; the first one also loads the model.
ANSWER_TIMEOUT_MS = 20_000

INK_PIXELS_JS = """() => {
    const c = document.getElementById('canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) { if (d[i] > 128) n += 1; }
    return n;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def painter(browser, django_user_model, settings):
    # The live server runs in this process, so this also makes the login form's check fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user(username=USERNAME, password=PASSWORD)


@pytest.fixture
def console_errors() -> list[str]:
    return []


def open_page(browser: Browser, console_errors: list[str], **context_options) -> Page:
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    return page


def log_in(page: Page, live_server, username: str = USERNAME, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def page(browser, live_server, painter, console_errors) -> Iterator[Page]:
    """The canvas page, logged in through the real form, on a desktop-sized window."""
    page = open_page(browser, console_errors, viewport=DESKTOP)
    log_in(page, live_server)
    yield page
    page.context.close()
    assert [error for error in console_errors if error.startswith("uncaught:")] == []


@pytest.fixture
def phone(browser, live_server, painter, console_errors) -> Iterator[Page]:
    page = open_page(
        browser,
        console_errors,
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    log_in(page, live_server)
    yield page
    page.context.close()
    assert [error for error in console_errors if error.startswith("uncaught:")] == []


def strokes_for(digit: int, *, seed: int, size: float, center: tuple[float, float]):
    """A hand-drawn ``digit`` as strokes of points about MOUSE_SPACING apart.

    Some variation, so the page sees a hand rather than a font, but not so much that a person
    would hesitate over the digit. Every mouse move is a round trip to the browser, so the
    points are thinned to what a quick hand gives a 60 Hz mouse.
    """
    rng = np.random.default_rng(seed)
    strokes = drawn_digit(digit, rng, size=size, center=center, variation=0.6)
    return [thin(stroke, MOUSE_SPACING) for stroke in strokes]


def draw_with_touch(page: Page, strokes) -> None:
    """Real touch input through the DevTools protocol: Chromium turns it into pointer events
    with pointerType "touch", exactly as a finger on a phone does."""
    box = canvas_box(page)
    scale = box["width"] / CANVAS_SIDE
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [{"x": box["x"] + x * scale, "y": box["y"] + y * scale} for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for point in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def draw_with_pointer_events(page: Page, strokes, pointer_type: str) -> None:
    """Synthetic PointerEvents, as a pen (or any pointer Chromium cannot emulate) sends them."""
    page.evaluate(
        """([strokes, pointerType]) => {
            const canvas = document.getElementById('canvas');
            const rect = canvas.getBoundingClientRect();
            const scale = rect.width / 280;
            const event = (type, [x, y], buttons) => new PointerEvent(type, {
                pointerId: 41, pointerType, isPrimary: true, bubbles: true, cancelable: true,
                clientX: rect.left + x * scale, clientY: rect.top + y * scale,
                button: type === 'pointermove' ? -1 : 0, buttons, pressure: buttons ? 0.5 : 0,
            });
            for (const stroke of strokes) {
                canvas.dispatchEvent(event('pointerdown', stroke[0], 1));
                for (const point of stroke.slice(1)) {
                    canvas.dispatchEvent(event('pointermove', point, 1));
                }
                canvas.dispatchEvent(event('pointerup', stroke[stroke.length - 1], 0));
            }
        }""",
        [strokes, pointer_type],
    )


def on_canvas(page: Page, expression: str):
    """Evaluate a JavaScript expression in which `canvas` is the drawing canvas."""
    return page.evaluate(
        f"() => {{ const canvas = document.getElementById('canvas'); return {expression}; }}"
    )


def ink_pixels(page: Page) -> int:
    return page.evaluate(INK_PIXELS_JS)


def instant_off(page: Page) -> None:
    """Predict only on request, so a test sees exactly the requests it makes."""
    page.uncheck("#instant")


def predict_and_read(page: Page) -> tuple[int, str]:
    """Press Predict and wait for the answer; an error shown instead fails at once, with it."""
    page.click("#predict")
    page.locator("#result[data-digit], #message.error").first.wait_for(
        state="attached", timeout=ANSWER_TIMEOUT_MS
    )
    result = page.locator("#result")
    digit = result.get_attribute("data-digit")
    assert digit is not None, page.locator("#message").text_content()
    return int(digit), result.get_attribute("data-prediction-id")


# --- Logging in ------------------------------------------------------------------------------


def test_the_canvas_needs_a_login(browser, live_server, console_errors):
    page = open_page(browser, console_errors, viewport=DESKTOP)
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/"
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up").first).to_be_visible()
    page.context.close()


def test_the_login_form_logs_in_and_out(browser, live_server, painter, console_errors):
    page = open_page(browser, console_errors, viewport=DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", "not-the-password")
    page.click("form.stack-form button[type=submit]")
    expect(page.locator(".form-error")).to_contain_text("didn't match")

    log_in(page, live_server)
    expect(page.locator(".site-user")).to_have_text(USERNAME)
    expect(page.locator("#canvas")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert console_errors == []
    page.context.close()


def test_signing_up_lands_on_the_canvas(browser, live_server, console_errors):
    page = open_page(browser, console_errors, viewport=DESKTOP)
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password1]", "a-long-password-7")
    page.fill("input[name=password2]", "a-long-password-7")
    page.click("form.stack-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".site-user")).to_have_text("newcomer")
    page.context.close()


# --- Drawing -----------------------------------------------------------------------------------


def test_the_canvas_is_square_crisp_and_uses_a_digit_sized_pen(browser, live_server, painter):
    page = open_page(browser, [], viewport=DESKTOP, device_scale_factor=2)
    log_in(page, live_server)
    box = canvas_box(page)
    assert (box["width"], box["height"]) == (280, 280)
    assert on_canvas(page, "[canvas.width, canvas.height]") == [560, 560]
    assert on_canvas(page, "getComputedStyle(canvas).touchAction") == "none"

    draw_with_mouse(page, [[(40.0, 140.0), (240.0, 140.0)]])
    # Thickness of the line at x = 140 CSS px, in device pixels: 0.065 x 280 x 2 = 36.4.
    column = on_canvas(
        page, "Array.from(canvas.getContext('2d').getImageData(280, 0, 1, 560).data)"
    )
    thickness = sum(1 for alpha in column[3::4] if alpha > 128)
    assert 33 <= thickness <= 40
    # Ink is black on a transparent background: the server composites it onto white paper.
    pixel = "Array.from(canvas.getContext('2d').getImageData({}, {}, 1, 1).data)"
    assert on_canvas(page, pixel.format(280, 280)) == [0, 0, 0, 255]
    assert on_canvas(page, pixel.format(5, 5)) == [0, 0, 0, 0]
    page.context.close()


def test_clear_blanks_the_canvas(page):
    draw_with_mouse(page, strokes_for(8, seed=1, size=180, center=(140, 140)))
    assert ink_pixels(page) > 1000
    expect(page.locator("#canvas-placeholder")).to_be_hidden()
    page.click("#clear")
    assert ink_pixels(page) == 0
    expect(page.locator("#canvas-placeholder")).to_be_visible()


def test_undo_removes_the_last_stroke(page):
    instant_off(page)
    first, second = strokes_for(4, seed=2, size=180, center=(140, 140))[:2]
    draw_with_mouse(page, [first])
    one_stroke = ink_pixels(page)
    draw_with_mouse(page, [second])
    assert ink_pixels(page) > one_stroke

    page.click("#undo")
    # The redraw of the first stroke matches how it was drawn live, give or take antialiasing.
    assert abs(ink_pixels(page) - one_stroke) <= 0.02 * one_stroke
    page.keyboard.press("Control+z")
    assert ink_pixels(page) == 0
    expect(page.locator("#undo")).to_be_disabled()


def test_predict_on_an_empty_canvas_asks_for_a_drawing_without_a_request(page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.click("#predict")
    expect(page.locator("#message")).to_contain_text("Draw a digit first")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert [url for url in requests if "/api/" in url] == []
    assert page.locator("#result").get_attribute("data-digit") is None


def test_a_pen_draws(page):
    instant_off(page)
    draw_with_pointer_events(page, strokes_for(2, seed=3, size=160, center=(140, 140)), "pen")
    assert ink_pixels(page) > 1000


CANVAS_ALPHA_JS = """() => {
    const c = document.getElementById('canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return [c.width, Array.from(d.filter((_, i) => i % 4 === 3))];
}"""


def test_far_apart_events_are_drawn_as_training_draws_them(page):
    # A fast stroke with no coalesced events: the page rounds it off at each event, and
    # training.strokes.page_curve, which draws the sparse training drawings, must agree.
    instant_off(page)
    events = [(40.0, 60.0), (120.0, 40.0), (200.0, 90.0), (150.0, 170.0), (70.0, 220.0), (210, 240)]
    box = canvas_box(page)
    scale = box["width"] / CANVAS_SIDE
    page.mouse.move(box["x"] + events[0][0] * scale, box["y"] + events[0][1] * scale)
    page.mouse.down()
    for x, y in events[1:]:
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=1)
    page.mouse.up()
    width, alpha = page.evaluate(CANVAS_ALPHA_JS)
    drawn = np.asarray(alpha).reshape(width, width) > 127

    def offline(stroke) -> np.ndarray:
        png = render_strokes([stroke], pen_width=18.0, scale=width / CANVAS_SIDE)
        return np.asarray(Image.open(io.BytesIO(png)))[..., 3] > 127

    def overlap(a: np.ndarray, b: np.ndarray) -> float:
        return (a & b).sum() / (a | b).sum()

    assert overlap(drawn, offline(page_curve(events))) > 0.95
    # Straight lines between the events, as the offline renderer draws dense events, differ.
    assert overlap(drawn, offline(events)) < 0.9


# --- Predicting ------------------------------------------------------------------------------

DIGITS = [
    # digit, seed, size, centre: small top-left, large centred, off-centre bottom-right
    pytest.param(7, 11, 80, (60, 60), id="7-small-top-left"),
    pytest.param(3, 12, 220, (140, 140), id="3-large-centred"),
    pytest.param(2, 13, 120, (195, 190), id="2-bottom-right"),
    pytest.param(0, 14, 150, (110, 150), id="0-left-of-centre"),
    pytest.param(4, 15, 170, (150, 130), id="4-centred"),
]


@pytest.mark.parametrize(("digit", "seed", "size", "center"), DIGITS)
def test_a_drawn_digit_is_recognised_and_stored(page, digit, seed, size, center):
    draw_with_mouse(page, strokes_for(digit, seed=seed, size=size, center=center))
    answer, prediction_id = predict_and_read(page)

    assert answer == digit
    expect(page.locator("#answer-digit")).to_have_text(str(digit))
    expect(page.locator("#answer-bars li")).to_have_count(3)
    assert page.locator("#answer-image").get_attribute("src").startswith("data:image/png;base64,")
    expect(page.locator("#answer-stored")).to_have_text("Saved to your history.")

    record = Prediction.objects.filter(id=uuid.UUID(prediction_id)).first()
    assert record is not None
    assert record.digits == str(digit)
    assert record.username == USERNAME
    assert record.source == "page"


def test_an_answer_comes_by_itself_when_drawing_stops(page):
    # Two strokes: the pause between them is shorter than the page's wait, so the one answer
    # that comes is for the whole 4, not for its first stroke.
    draw_with_mouse(page, strokes_for(4, seed=15, size=160, center=(130, 150)))
    page.locator("#result[data-digit], #message.error").first.wait_for(
        state="attached", timeout=ANSWER_TIMEOUT_MS
    )
    message = page.locator("#message").text_content()
    assert page.locator("#result").get_attribute("data-digit") == "4", message


def test_clear_removes_the_answer(page):
    instant_off(page)
    draw_with_mouse(page, strokes_for(5, seed=31, size=180, center=(140, 140)))
    predict_and_read(page)
    page.keyboard.press("Escape")
    assert page.locator("#result").get_attribute("data-digit") is None
    assert page.locator("#result").get_attribute("data-prediction-id") is None
    assert ink_pixels(page) == 0
    expect(page.locator("#answer-body")).to_be_hidden()


def test_a_retry_of_the_same_drawing_reuses_its_id(page, painter):
    instant_off(page)
    draw_with_mouse(page, strokes_for(7, seed=41, size=180, center=(140, 140)))
    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.post_data_json["id"]) if "/api/" in request.url else None
        ),
    )
    page.route("**/api/v1/predict", lambda route: route.abort("internetdisconnected"))
    page.click("#predict")
    expect(page.locator("#message.error")).to_contain_text("Could not reach the server")
    page.unroute("**/api/v1/predict")
    _, prediction_id = predict_and_read(page)
    assert len(sent) == 2 and sent[0] == sent[1]
    # The retry's row is the one its client id names for this user.
    assert prediction_id == str(prediction_id_for(user=painter, client_id=uuid.UUID(sent[0])))


def test_errors_from_the_server_are_shown(page):
    instant_off(page)
    page.route(
        "**/api/v1/predict",
        lambda route: route.fulfill(
            status=422, content_type="application/json", body='{"error": "Nothing drawn."}'
        ),
    )
    draw_with_mouse(page, [[(140.0, 140.0), (141.0, 141.0)]])
    page.click("#predict")
    expect(page.locator("#message.error")).to_have_text("Nothing drawn.")
    expect(page.locator("#predict")).to_be_enabled()


def test_a_finger_draws_and_the_page_does_not_scroll(phone):
    instant_off(phone)
    box = canvas_box(phone)
    assert 280 <= box["width"] <= 400
    assert box["width"] == box["height"]
    before = phone.evaluate("() => window.scrollY")
    draw_with_touch(phone, strokes_for(7, seed=51, size=200, center=(140, 140)))
    assert ink_pixels(phone) > 1000
    assert phone.evaluate("() => window.scrollY") == before
    answer, _ = predict_and_read(phone)
    assert answer == 7


def test_on_a_phone_every_other_page_leads_back_to_drawing(phone, live_server):
    """The drawing page hides its own nav link to keep the canvas large; elsewhere it shows."""
    draw_link = phone.locator(".site-nav a.nav-draw")
    expect(draw_link).to_be_hidden()
    phone.goto(f"{live_server.url}/history/")
    expect(draw_link).to_be_visible()
    draw_link.click()
    phone.wait_for_url(f"{live_server.url}/")


def test_the_page_looks_right_and_logs_no_errors(page, phone, console_errors):
    """Screenshots for a person to look at: canvas_page.png and canvas_page_phone.png in the
    temporary directory (or in $BROWSER_SCREENSHOTS)."""
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tempfile.gettempdir())
    for view, name in ((page, "canvas_page.png"), (phone, "canvas_page_phone.png")):
        instant_off(view)
        draw_with_mouse(view, strokes_for(3, seed=61, size=190, center=(140, 140)))
        predict_and_read(view)
        view.screenshot(path=folder / name, full_page=True)
    assert console_errors == []


def test_a_hidpi_screen_uploads_only_the_pixels_preprocessing_uses_and_is_recognised(
    browser, live_server, painter, console_errors
):
    # Preprocessing uses the ink fitted into a box UPLOAD_INK_SIDE pixels across; a 2x screen's
    # 560 px bitmap of a big drawing would cost the server many times the decoding
    # (docs/PERFORMANCE.md, "Profile"). The whole canvas is scaled, margins and all.
    page = open_page(browser, console_errors, viewport=DESKTOP, device_scale_factor=2)
    log_in(page, live_server)
    instant_off(page)
    sent = []
    page.on(
        "request",
        lambda request: sent.append(request.post_data_json) if "/api/" in request.url else None,
    )
    strokes = strokes_for(4, seed=15, size=170, center=(150, 130))
    draw_with_mouse(page, strokes)
    answer, _ = predict_and_read(page)
    assert page.evaluate("document.getElementById('canvas').width") == 560
    png = base64.b64decode(sent[-1]["image"].partition(",")[2])
    upload = Image.open(io.BytesIO(png))
    assert upload.width == upload.height
    assert abs(upload.width - upload_side(strokes)) <= 2
    assert UPLOAD_INK_SIDE - 4 <= ink_side(png) <= UPLOAD_INK_SIDE + 1
    assert answer == 4
    page.context.close()
