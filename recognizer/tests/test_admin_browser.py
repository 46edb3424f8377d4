"""The admin's prediction history in a real Chromium: open it from the admin index, filter, page.

Set ADMIN_SCREENSHOT_DIR to keep a screenshot of each page the test sees.
"""

# ruff: noqa: F811 - the shared browser fixture is imported, then named as an argument
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from recognizer.records import admin_selectors
from recognizer.tests.admin_records import saved_record
from recognizer.tests.test_browser import browser  # noqa: F401 - the shared fixture

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "cassandra"]),
    pytest.mark.browser,
]

PASSWORD = "a-long-password-1"


@pytest.fixture
def people(browser, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = django_user_model.objects.create_user("grace", password=PASSWORD, is_staff=True)
    ada = django_user_model.objects.create_user("ada", password=PASSWORD)
    bob = django_user_model.objects.create_user("bob", password=PASSWORD)
    return staff, ada, bob


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("ADMIN_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page: Page, live_server, username: str) -> None:
    """The site's own login form, which everyone can use."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def listed_digits(page: Page) -> list[str]:
    return page.locator("#result_list tbody th a").evaluate_all(
        "links => links.map(a => a.dataset.digit)"
    )


def test_staff_open_the_history_from_the_index_filter_and_page(
    browser, live_server, people, monkeypatch
):
    staff, ada, bob = people
    monkeypatch.setattr(admin_selectors, "PAGE_SIZE", 3)
    now = datetime.now(UTC).replace(microsecond=0)
    # Newest first: 9 8 7 ... 0 over the last three days, by two users; the 3s and 8 corrected.
    for n, digit in enumerate(range(10)):
        saved_record(
            user=ada if digit % 2 else bob,
            digit=digit,
            when=now - timedelta(hours=7 * (9 - n)),
            corrected={3: 8, 8: 3}.get(digit),
            unsure=digit == 4,
        )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # A CSP violation (an inline style or script) shows up as a console error.
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    log_in(page, live_server, "grace")
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Prediction history").first.click()
    expect(page.locator("#result_list")).to_be_visible()
    shot(page, "history")
    assert listed_digits(page) == ["9", "8", "7"]

    page.click("#next-page")
    expect(page.locator("#first-page")).to_be_visible()
    assert listed_digits(page) == ["6", "5", "4"]

    page.select_option("select[name=corrected]", "yes")
    page.click("#prediction-filters input[type=submit]")
    expect(page.locator("#scan-note")).to_contain_text("kept the 2 that match")
    assert listed_digits(page) == ["8", "3"]
    shot(page, "history-filtered")

    page.click("#result_list tbody th a >> nth=0")
    expect(page.locator("#prediction-fields")).to_be_visible()
    shot(page, "detail")

    page.goto(f"{live_server.url}/admin/prediction-statistics/")
    expect(page.locator(".stat-total")).to_have_text("10")
    shot(page, "statistics")
    assert errors == []
    page.close()


def test_a_user_who_is_not_staff_is_refused(browser, live_server, people):
    page = browser.new_page()
    log_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/admin/predictions/")
    # The admin login, telling who they are and that they may not enter.
    expect(page.locator("#content")).to_contain_text("not authorized")
    assert page.locator("#result_list").count() == 0
    page.close()
