"""Accounts: logins that cool off, sign-up limits, the pages in the site's look, API keys."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from recognizer.models import ApiToken
from recognizer.tokens import api_token_hash, user_for_token

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Sign-up counts live in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, password: str, path: str = "/accounts/login/", username="ada"):
    return client.post(path, {"username": username, "password": password})


# --- Logging in ---------------------------------------------------------------------------


def test_ten_wrong_passwords_pause_that_login_with_a_clear_message(user, settings):
    attacker = client_from("203.0.113.9")
    statuses = [log_in(attacker, "wrong").status_code for _ in range(10)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, "didn't match"
    assert set(statuses[limit - 1 :]) == {429}

    # Even the right password is refused now, with a page that says why and for how long.
    response = log_in(attacker, PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed logins" in html
    assert "not locked for good" in html
    assert "paused for 15 minutes." in " ".join(html.split())
    assert "_auth_user_id" not in attacker.session


def test_a_paused_login_does_not_lock_the_user_out_elsewhere(user):
    for _ in range(6):
        log_in(client_from("203.0.113.9"), "wrong")
    owner = client_from("198.51.100.7")
    assert log_in(owner, PASSWORD).status_code == 302
    assert owner.get("/").status_code == 200


def test_the_pause_ends_after_the_cool_off(user, settings):
    attacker = client_from("203.0.113.9")
    for _ in range(6):
        log_in(attacker, "wrong")
    assert log_in(attacker, PASSWORD).status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert log_in(attacker, PASSWORD).status_code == 302


def test_the_admin_login_cools_off_too(django_user_model):
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    attacker = client_from("203.0.113.9")
    for _ in range(6):
        log_in(attacker, "wrong", path="/admin/login/", username="root")
    response = log_in(attacker, PASSWORD, path="/admin/login/", username="root")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


def test_the_login_page_links_to_password_reset(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in html
    assert "Forgot password?" in html


# --- Signing up ----------------------------------------------------------------------------


def sign_up(client: Client, username: str, **extra):
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post("/accounts/signup/", data)


def test_sign_up_takes_an_optional_email(django_user_model):
    assert sign_up(Client(), "grace", email="grace@example.org").status_code == 302
    assert sign_up(Client(), "linus").status_code == 302
    emails = dict(django_user_model.objects.values_list("username", "email"))
    assert emails == {"grace": "grace@example.org", "linus": ""}


def test_sign_up_is_limited_per_address(settings, django_user_model):
    settings.SIGNUP_RATE = "2/h"
    assert sign_up(client_from("203.0.113.9"), "one").status_code == 302
    assert sign_up(client_from("203.0.113.9"), "two").status_code == 302
    refused = sign_up(client_from("203.0.113.9"), "three")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many new accounts" in refused.content.decode()
    assert not django_user_model.objects.filter(username="three").exists()
    # Another address is not affected.
    assert sign_up(client_from("198.51.100.7"), "four").status_code == 302


def test_a_rejected_sign_up_form_does_not_count(settings):
    settings.SIGNUP_RATE = "1/h"
    weak = {"username": "x", "password1": "123", "password2": "123"}
    for _ in range(3):
        assert client_from("203.0.113.9").post("/accounts/signup/", weak).status_code == 200
    assert sign_up(client_from("203.0.113.9"), "patient").status_code == 302


def test_a_weak_password_is_reported_under_the_password_field(client):
    html = client.post(
        "/accounts/signup/", {"username": "grace", "password1": "123", "password2": "123"}
    ).content.decode()
    assert 'id="id_password1-errors"' in html
    assert 'id="id_password2-errors"' not in html
    assert "too short" in html


def test_a_mismatch_is_reported_under_the_confirmation(client):
    html = client.post(
        "/accounts/signup/",
        {"username": "grace", "password1": PASSWORD, "password2": PASSWORD + "x"},
    ).content.decode()
    assert 'id="id_password2-errors"' in html
    assert 'id="id_password1-errors"' not in html


# --- Logging out ---------------------------------------------------------------------------


def test_opening_logout_asks_to_confirm_instead_of_a_blank_405(session_client):
    response = session_client.get("/accounts/logout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Log out?" in html
    assert 'method="post" action="/accounts/logout/"' in html
    assert session_client.get("/").status_code == 200  # still logged in


def test_logging_out_by_post_says_so(session_client):
    response = session_client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "You have been logged out." in response.content.decode()
    assert session_client.get("/").status_code == 302


# --- Passwords -------------------------------------------------------------------------------


def test_password_change_is_in_the_header_and_the_site_look(session_client):
    home = session_client.get("/").content.decode()
    assert 'href="/accounts/password_change/"' in home
    html = session_client.get("/accounts/password_change/").content.decode()
    assert "site-header" in html
    assert "Django administration" not in html
    assert 'href="/admin/"' not in html


def test_password_change_reports_a_weak_password_under_it(session_client):
    html = session_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    ).content.decode()
    assert 'id="id_new_password1-errors"' in html


def test_password_reset_mails_a_link_and_tells_users_without_email_to_ask_staff(
    client, user, django_user_model
):
    django_user_model.objects.create_user("grace", "grace@example.org", PASSWORD)
    page = client.get("/accounts/password_reset/").content.decode()
    assert "ask a member of staff" in page
    assert "Django administration" not in page

    response = client.post("/accounts/password_reset/", {"email": "grace@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["grace@example.org"]
    assert "/accounts/reset/" in message.body

    done = client.get(response["Location"]).content.decode()
    assert "ask a member of staff" in done


def test_setting_a_new_password_through_the_mailed_link_ends_a_login_pause(
    django_user_model,
):
    import re

    django_user_model.objects.create_user("grace", "grace@example.org", PASSWORD)
    attacker = client_from("203.0.113.9")
    for _ in range(6):
        log_in(attacker, "wrong", username="grace")
    assert log_in(attacker, PASSWORD, username="grace").status_code == 429

    attacker.post("/accounts/password_reset/", {"email": "grace@example.org"})
    link = re.search(r"/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    form = attacker.get(link, follow=True)  # Django swaps the token for a session one
    new = "another-long-password-9"
    done = attacker.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert log_in(attacker, new, username="grace").status_code == 302


def test_mail_goes_to_the_console_unless_configured():
    from mnistsite.env import env

    assert env.email_url("UNSET_EMAIL_URL", default="consolemail://")["EMAIL_BACKEND"] == (
        "django.core.mail.backends.console.EmailBackend"
    )


# --- API keys --------------------------------------------------------------------------------


def test_the_account_page_makes_a_key_and_shows_it_once(session_client, user):
    page = session_client.get("/accounts/").content.decode()
    assert "You have no API key." in page

    response = session_client.post("/accounts/api-key/", {"action": "rotate"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert user_for_token(key) == user

    # Stored hashed; the key never appears again.
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == api_token_hash(key)
    assert key not in session_client.get("/accounts/").content.decode()
    assert token.prefix in session_client.get("/accounts/").content.decode()


def test_the_account_page_says_when_the_key_was_last_used(session_client, user, token):
    assert "never used" in session_client.get("/accounts/").content.decode()
    ApiToken.objects.filter(user=user).update(last_used=timezone.now())
    assert "last used less than a minute ago" in session_client.get("/accounts/").content.decode()
    ApiToken.objects.filter(user=user).update(last_used=timezone.now() - timedelta(hours=3))
    assert "last used 3\xa0hours ago" in session_client.get("/accounts/").content.decode()


def test_rotating_on_the_account_page_retires_the_old_key(session_client, user, token):
    response = session_client.post("/accounts/api-key/", {"action": "rotate"})
    new = response.context["new_key"]
    assert user_for_token(token) is None
    assert user_for_token(new) == user


def test_revoking_on_the_account_page(session_client, user, token):
    response = session_client.post("/accounts/api-key/", {"action": "revoke"}, follow=True)
    assert "revoked" in response.content.decode()
    assert user_for_token(token) is None
    assert not ApiToken.objects.filter(user=user).exists()


def test_the_account_page_needs_a_login(client):
    assert client.get("/accounts/").status_code == 302
    assert client.post("/accounts/api-key/").status_code == 302


def test_api_token_prints_a_usable_key_and_says_a_new_one_replaced_the_old(user, capsys):
    call_command("api_token", "ada")
    out, err = capsys.readouterr()
    first = out.strip()
    assert len(first) == 40 and user_for_token(first) == user
    assert "Made an API key for ada" in err

    call_command("api_token", "ada")
    out, err = capsys.readouterr()
    second = out.strip()
    assert second != first
    assert user_for_token(second) == user and user_for_token(first) is None
    assert "stored only as a hash" in err


def test_api_token_rotate(user, token, capsys):
    call_command("api_token", "ada", "--rotate")
    out, err = capsys.readouterr()
    assert user_for_token(out.strip()) == user
    assert user_for_token(token) is None
    assert "Rotated ada's API key" in err


def test_api_token_stores_no_key(user, capsys):
    call_command("api_token", "ada")
    key = capsys.readouterr().out.strip()
    row = ApiToken.objects.filter(user=user).values().get()
    assert key not in {str(value) for value in row.values()}


def test_api_token_for_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("api_token", "nobody")


def test_staff_see_and_revoke_keys_in_the_admin(client, django_user_model, user, token):
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(django_user_model.objects.get(username="root"))
    listing = client.get("/admin/recognizer/apitoken/").content.decode()
    assert token[:8] in listing
    assert token not in listing
    pk = ApiToken.objects.get(user=user).pk
    response = client.post(f"/admin/recognizer/apitoken/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert user_for_token(token) is None


# --- E-mail ------------------------------------------------------------------------------------


def test_a_user_sets_and_removes_their_email_with_their_password(session_client, user):
    page = session_client.get("/accounts/").content.decode()
    assert 'action="/accounts/email/"' in page

    response = session_client.post(
        "/accounts/email/", {"email": "ada@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "ada@example.org"
    assert "ada@example.org" in session_client.get("/accounts/").content.decode()

    session_client.post("/accounts/email/", {"email": "", "password": PASSWORD})
    user.refresh_from_db()
    assert user.email == ""


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "mallory@example.org", "password": "wrong"}, "Your password was wrong"),
        ({"email": "not an address", "password": PASSWORD}, "Enter a valid email address"),
    ],
)
def test_the_email_needs_the_password_and_a_real_address(session_client, user, data, error):
    response = session_client.post("/accounts/email/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    user.refresh_from_db()
    assert user.email == ""


def test_wrong_passwords_on_the_email_form_are_limited(session_client, user):
    for _ in range(5):
        wrong = session_client.post("/accounts/email/", {"email": "m@example.org", "password": "x"})
        assert wrong.status_code == 400
    right = session_client.post(
        "/accounts/email/", {"email": "m@example.org", "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "Too many wrong passwords" in right.content.decode()
    assert 0 < int(right["Retry-After"]) <= 3600
    user.refresh_from_db()
    assert user.email == ""


def test_changing_the_email_tells_the_old_address(session_client, user):
    user.email = "ada@example.org"
    user.save()
    session_client.post("/accounts/email/", {"email": "new@example.org", "password": PASSWORD})
    [notice] = mail.outbox
    assert notice.to == ["ada@example.org"]
    assert "new@example.org" in notice.body
    assert "ada" in notice.body
