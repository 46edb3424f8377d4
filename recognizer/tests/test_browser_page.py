"""The canvas page in a real Chromium: keys, session ends, wording, contrast, and how the page
fits a phone held either way. Fixtures and helpers come from test_browser."""
# ruff: noqa: F811  (pytest fixtures imported by name, then asked for by parameter name)

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from recognizer.tests.browser import canvas_box, draw_with_mouse
from recognizer.tests.test_browser import (  # noqa: F401
    ANSWER_TIMEOUT_MS,
    browser,
    console_errors,
    draw_with_touch,
    ink_pixels,
    instant_off,
    log_in,
    open_page,
    page,
    painter,
    strokes_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "cassandra"]),
    pytest.mark.browser,
]

SEVEN = strokes_for(7, seed=11, size=180, center=(140, 140))


def wait_for_answer(page) -> str:
    page.locator("#result[data-digit], #message.error").first.wait_for(
        state="attached", timeout=ANSWER_TIMEOUT_MS
    )
    digit = page.locator("#result").get_attribute("data-digit")
    assert digit is not None, page.locator("#message").text_content()
    return digit


def answer_with(page, status: int, body: dict) -> None:
    page.route(
        "**/api/v1/predict",
        lambda route: route.fulfill(
            status=status, content_type="application/json", body=json.dumps(body)
        ),
    )


# --- Enter predicts, whatever was clicked last -----------------------------------------------


@pytest.mark.parametrize("clicked", ["#clear", "#undo", "#predict", "#instant"])
def test_enter_predicts_after_a_click_on_any_tool(page, clicked):
    instant_off(page)
    if clicked == "#undo":
        # Undo a stray stroke: the button keeps the focus (and stays enabled) for the 7.
        draw_with_mouse(page, SEVEN + [[(30.0, 250.0), (50.0, 255.0)]])
        page.click("#undo")
    else:
        page.click(clicked)
        if clicked == "#instant":
            page.click("#instant")  # back off: this test asks for answers by key only
        draw_with_mouse(page, SEVEN)
    ink = ink_pixels(page)
    page.keyboard.press("Enter")
    assert wait_for_answer(page) == "7"
    assert ink_pixels(page) == ink  # nothing erased or undone


def test_enter_in_a_text_field_is_left_alone(page):
    instant_off(page)
    draw_with_mouse(page, SEVEN)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.evaluate(
        """() => {
            const input = document.createElement('input');
            input.type = 'text';
            input.id = 'typing';
            document.getElementById('recognizer').append(input);
        }"""
    )
    page.focus("#typing")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert [url for url in requests if "/api/" in url] == []


# --- A session that ended ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, "Log in, or send `Authorization: Token <key>` (python manage.py api_token ...)."),
        (403, "CSRF check failed: CSRF token missing."),
    ],
)
def test_an_ended_session_says_so_with_a_link_to_log_in(page, live_server, status, error):
    instant_off(page)
    answer_with(page, status, {"error": error})
    draw_with_mouse(page, SEVEN)
    page.click("#predict")
    message = page.locator("#message.error")
    expect(message).to_contain_text("Your session ended — log in again")
    expect(message).not_to_contain_text("Authorization")
    link = message.get_by_role("link", name="log in again")
    assert unquote(link.get_attribute("href")) == "/accounts/login/?next=/"


# --- Words and contrast --------------------------------------------------------------------------


def fake_answer(digit: int) -> dict:
    probabilities = [0.0] * 10
    probabilities[digit] = 0.97
    probabilities[(digit + 1) % 10] = 0.03
    return {
        "id": "00000000-0000-4000-8000-000000000008",
        "digit": digit,
        "confidence": 0.97,
        "unsure": False,
        "alternatives": [digit, (digit + 1) % 10],
        "probabilities": probabilities,
        "stored": True,
        "image": None,
    }


@pytest.mark.parametrize(("digit", "verdict"), [(8, "It's an 8"), (7, "It's a 7")])
def test_the_verdict_reads_well(page, digit, verdict):
    instant_off(page)
    answer_with(page, 200, fake_answer(digit))
    draw_with_mouse(page, SEVEN)
    page.click("#predict")
    expect(page.locator("#answer-verdict")).to_contain_text(f"{verdict} (97.0% sure)")


def test_a_drawing_that_is_not_a_digit_offers_no_right_button_and_every_digit(page):
    """Found trying the page as a new user: after "That doesn't look like a digit." the page
    still offered "Right", which would have recorded the network's guess (a 4 for a capital
    A) as confirmed, and its list left that guess out, as if it had been the answer."""
    instant_off(page)
    answer_with(page, 200, {**fake_answer(4), "not_a_digit": True})
    draw_with_mouse(page, SEVEN)
    page.click("#predict")
    expect(page.locator("#answer-verdict")).to_have_text("That doesn't look like a digit.")
    expect(page.locator("#feedback-right")).to_be_hidden()
    # The bars are the network's digits, not the answer: their heading says so.
    expect(page.locator("#bars-heading")).to_have_text("If it were a digit, the closest")
    offered = page.eval_on_selector_all(
        "#feedback-label option", "options => options.filter(o => !o.hidden).map(o => o.value)"
    )
    assert offered == ["", *[str(d) for d in range(10)]]
    # Saying it was the network's own guess is a correction, not "right".
    page.route(
        "**/api/v1/predictions/*/feedback",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({**fake_answer(4), "not_a_digit": True, "corrected_label": 4}),
        ),
    )
    page.select_option("#feedback-label", "4")
    expect(page.locator("#feedback-state")).to_have_text("Thanks: saved, it was 4.")

    # A digit after that gets its "Right" back, and its own answer leaves the list.
    answer_with(page, 200, fake_answer(7))
    page.click("#predict")
    expect(page.locator("#answer-verdict")).to_contain_text("It's a 7")
    expect(page.locator("#feedback-right")).to_be_visible()
    expect(page.locator("#bars-heading")).to_have_text("Top guesses")
    offered = page.eval_on_selector_all(
        "#feedback-label option", "options => options.filter(o => !o.hidden).map(o => o.value)"
    )
    assert "7" not in offered and "4" in offered


CONTRASTS_JS = """() => {
    // WCAG contrast of each text in the answer against the card, after opacity on the way up.
    const rgb = (css) => css.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
        const c = [r, g, b].map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const card = rgb(getComputedStyle(document.getElementById('result')).backgroundColor);
    const out = {};
    for (const id of ['answer-digit', 'answer-verdict', 'answer-stored']) {
        const el = document.getElementById(id);
        let alpha = 1;
        for (let n = el; n; n = n.parentElement) { alpha *= Number(getComputedStyle(n).opacity); }
        const [r, g, b, a = 1] = rgb(getComputedStyle(el).color);
        const k = alpha * a;
        const seen = [r, g, b].map((v, i) => v * k + card[i] * (1 - k));
        const [hi, lo] = [lum(seen), lum(card)].sort((x, y) => y - x);
        out[id] = (hi + 0.05) / (lo + 0.05);
    }
    return out;
}"""


def test_an_out_of_date_answer_is_dimmed_but_readable(page):
    instant_off(page)
    draw_with_mouse(page, SEVEN)
    page.click("#predict")
    wait_for_answer(page)
    draw_with_mouse(page, [[(40.0, 250.0), (60.0, 255.0)]])
    expect(page.locator("#result.stale")).to_be_attached()
    contrasts = page.evaluate(CONTRASTS_JS)
    assert min(contrasts.values()) >= 4.5, contrasts


# --- Fitting the screen --------------------------------------------------------------------------

SCREENS = [
    pytest.param({"width": 375, "height": 667}, True, id="phone-375x667"),
    pytest.param({"width": 844, "height": 390}, True, id="phone-sideways-844x390"),
    pytest.param({"width": 1280, "height": 800}, False, id="desktop-1280x800"),
]


@pytest.mark.parametrize(("viewport", "phone"), SCREENS)
def test_canvas_and_answer_fit_the_screen(
    browser,
    live_server,
    painter,
    console_errors,
    viewport,
    phone,
):
    """Screenshots for a person to look at: canvas_<w>x<h>.png in the temporary directory (or
    in $BROWSER_SCREENSHOTS)."""
    options = {"viewport": viewport}
    if phone:
        options.update(device_scale_factor=3, is_mobile=True, has_touch=True)
    view = open_page(browser, console_errors, **options)
    log_in(view, live_server)
    instant_off(view)

    box = canvas_box(view)
    assert box["width"] == box["height"] >= 180
    ratio = view.evaluate("() => window.devicePixelRatio")
    bitmap = view.evaluate(
        "() => ['width', 'height'].map((k) => document.getElementById('canvas')[k])"
    )
    assert bitmap == [round(box["width"] * ratio)] * 2

    strokes = strokes_for(3, seed=61, size=190, center=(140, 140))
    if phone:
        draw_with_touch(view, strokes)
    else:
        draw_with_mouse(view, strokes)
    view.click("#predict")
    assert wait_for_answer(view) == "3"

    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tempfile.gettempdir())
    width, height = viewport["width"], viewport["height"]
    view.screenshot(path=folder / f"canvas_{width}x{height}.png")

    assert view.evaluate("() => window.scrollY") == 0
    for selector in ("#canvas", "#result", "#predict"):
        inside = view.locator(selector).bounding_box()
        assert inside["x"] >= 0 and inside["y"] >= 0, (selector, inside)
        assert inside["x"] + inside["width"] <= width, (selector, inside)
        assert inside["y"] + inside["height"] <= height, (selector, inside)
    assert view.evaluate("() => document.documentElement.scrollWidth") <= width
    view.context.close()
    assert [error for error in console_errors if error.startswith("uncaught:")] == []
