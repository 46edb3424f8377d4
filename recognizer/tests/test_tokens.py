"""API keys are remembered per process for a moment, and forgotten when they change."""

import pytest
from django.test import Client

from recognizer import tokens
from recognizer.models import ApiToken
from recognizer.tokens import TOKEN_CACHE_SECONDS, api_token_create, user_for_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(tokens, "monotonic", lambda: now[0])
    return now


def authenticated(client: Client) -> bool:
    # An empty POST: a known key gets as far as "send an image" (400), before any image
    # work or Cassandra; an unknown one is a 401.
    status = client.post("/api/v1/predict").status_code
    assert status in (400, 401), status
    return status == 400


def test_a_key_is_looked_up_once_then_remembered(user, token, django_assert_num_queries):
    assert user_for_token(token) == user
    with django_assert_num_queries(0):
        assert user_for_token(token) == user


def test_each_caller_gets_its_own_copy_of_the_user(user, token):
    first = user_for_token(token)
    first.first_name = "changed by one request"
    assert user_for_token(token).first_name == ""


def test_the_key_is_looked_up_again_after_the_cache_time(
    user, token, clock, django_assert_num_queries
):
    assert user_for_token(token) == user
    clock[0] += TOKEN_CACHE_SECONDS + 0.001
    with django_assert_num_queries(1):
        assert user_for_token(token) == user


def test_revoking_on_the_account_page_refuses_a_key_just_used(session_client, token):
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert authenticated(api)
    session_client.post("/accounts/api-key/", {"action": "revoke"})
    assert not authenticated(api)


def test_rotating_refuses_the_old_key_just_used_and_takes_the_new(session_client, token):
    old = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert authenticated(old)
    new_key = session_client.post("/accounts/api-key/", {"action": "rotate"}).context["new_key"]
    assert not authenticated(old)
    assert authenticated(Client(HTTP_AUTHORIZATION=f"Token {new_key}"))


def test_deleting_the_key_in_the_admin_refuses_it_at_once(user, token):
    assert user_for_token(token) == user
    ApiToken.objects.get(user=user).delete()
    assert user_for_token(token) is None


def test_deactivating_the_user_refuses_their_key_at_once(user, token):
    assert user_for_token(token) == user
    user.is_active = False
    user.save()
    assert user_for_token(token) is None


def test_deleting_the_user_refuses_their_key_at_once(user, token):
    assert user_for_token(token) == user
    user.delete()
    assert user_for_token(token) is None


def test_a_change_to_the_user_is_seen_at_once(user, token):
    assert not user_for_token(token).is_staff
    user.is_staff = True
    user.save()
    assert user_for_token(token).is_staff


def test_a_revocation_by_another_process_holds_here_within_the_cache_time(user, token, clock):
    assert user_for_token(token) == user
    # Another process (another gunicorn worker, manage.py) deleting the key sends no signal
    # into this one: a raw delete stands in for it.
    ApiToken.objects.filter(user=user)._raw_delete(using="default")
    assert user_for_token(token) == user
    clock[0] += TOKEN_CACHE_SECONDS + 0.001
    assert user_for_token(token) is None


def test_another_users_key_survives_a_revocation(user, other_user, token):
    other_key = api_token_create(user=other_user)
    assert user_for_token(other_key) == other_user
    ApiToken.objects.get(user=user).delete()
    assert user_for_token(other_key) == other_user
