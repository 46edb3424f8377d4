"""API keys: making them, and finding whose a key is.

A key is 40 random hex characters; only its sha256 is kept. sha256 rather than a slow
password hash: the key is random and long, so there is nothing to guess, and every API
request looks one up.

Each process remembers a key's user for ``TOKEN_CACHE_SECONDS``: the lookup (a query, and on
SQLite a connection) was 12-22% of a prediction's worker CPU under load
(docs/PERFORMANCE.md, "Profile"). What changes a key or its user (rotating, revoking,
deleting the key or the user, deactivating or saving the user) forgets that user's keys in
the process that made the change at once, through model signals; other processes (other
gunicorn workers, ``manage.py api_token``) see it within ``TOKEN_CACHE_SECONDS``.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
from dataclasses import dataclass
from time import monotonic

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from recognizer.models import ApiToken

# How long a process may keep answering for a key without looking it up again: the longest
# a revocation made in another process can go unnoticed here.
TOKEN_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class _Known:
    user: AbstractBaseUser
    until: float  # monotonic() after which the key is looked up again


_known: dict[str, _Known] = {}  # key_hash -> whose it is, for a moment
_known_lock = threading.Lock()


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
    """The active user holding ``key``, or None. A copy per call: a request may change its
    ``request.user`` without touching another's."""
    if not key:
        return None
    key_hash = api_token_hash(key)
    known = _known.get(key_hash)
    if known is not None and monotonic() < known.until:
        return copy.copy(known.user)
    user = _look_up(key_hash)
    with _known_lock:
        if user is None:
            _known.pop(key_hash, None)
        else:
            _known[key_hash] = _Known(user=user, until=monotonic() + TOKEN_CACHE_SECONDS)
    return None if user is None else copy.copy(user)


def _look_up(key_hash: str) -> AbstractBaseUser | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
    if token is None or not token.user.is_active:
        return None
    # At most one write a minute per key: enough to tell a live key from a dead one.
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def _forget_user(user_id: object) -> None:
    with _known_lock:
        for key_hash in [h for h, known in _known.items() if known.user.pk == user_id]:
            del _known[key_hash]


def _token_changed(sender, instance: ApiToken, **kwargs) -> None:
    _forget_user(instance.user_id)


def _user_changed(sender, instance: AbstractBaseUser, **kwargs) -> None:
    _forget_user(instance.pk)


# Rotating (update_or_create), revoking (a delete, also a QuerySet's, which sends the signal
# per row), the admin's delete, a user deactivated, changed or deleted (the key goes with it).
post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="api-token-saved")
post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="api-token-deleted")
post_save.connect(_user_changed, sender=get_user_model(), dispatch_uid="api-token-user-saved")
post_delete.connect(_user_changed, sender=get_user_model(), dispatch_uid="api-token-user-deleted")
