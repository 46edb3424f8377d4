"""API keys: making them, and finding whose a key is.

A key is 40 random hex characters; only its sha256 is kept. sha256 rather than a slow
password hash: the key is random and long, so there is nothing to guess, and every API
request looks one up.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from recognizer.models import ApiToken


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser) -> str:
    """A new key for ``user``, replacing any old one (which stops working at once).
    Returns the key: this is the only time it exists outside the caller."""
    key = secrets.token_hex(20)
    ApiToken.objects.update_or_create(
        user=user,
        defaults={
            "key_hash": api_token_hash(key),
            "prefix": key[:8],
            "created": timezone.now(),
            "last_used": None,
        },
    )
    return key


def api_token_revoke(*, user: AbstractBaseUser) -> bool:
    """Delete ``user``'s key; True when there was one."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted > 0


def user_for_token(key: str) -> AbstractBaseUser | None:
    """The active user holding ``key``, or None."""
    if not key:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    # At most one write a minute per key: enough to tell a live key from a dead one.
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user
