"""API tokens: issuing them and finding their owner."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from recognizer.models import ApiToken


def api_token_get_or_create(*, user: AbstractBaseUser) -> ApiToken:
    token, _ = ApiToken.objects.get_or_create(user=user)
    return token


def user_for_token(key: str) -> AbstractBaseUser | None:
    """The active user holding ``key``, or None."""
    token = ApiToken.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user
