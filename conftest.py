"""Fixtures shared by every test package.

cqlengine talks to Cassandra through the driver's Session, not through Django's
connection wrappers, so pytest-django's database blocker never sees it: a test that
forgets to ask for the ``cassandra`` database would silently read and write the
development keyspace. The autouse guard below makes such a test fail loudly instead.
"""

from __future__ import annotations

import pytest
from cassandra.cluster import Session

CASSANDRA_DATABASES = ["default", "cassandra"]


def _asks_for_cassandra(node: pytest.Item) -> bool:
    marker = node.get_closest_marker("django_db")
    if marker is None:
        return False
    databases = marker.kwargs.get("databases")
    return databases == "__all__" or (databases is not None and "cassandra" in databases)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs about half a second per hash by design; tests need none of that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _cassandra_only_when_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    # Fault tests check their own clusters (127.0.0.2x/3x) through their own sessions.
    if _asks_for_cassandra(request.node) or request.node.get_closest_marker("faults"):
        yield
        return

    def refuse(*args, **kwargs):
        raise RuntimeError(
            f"{request.node.nodeid} used Cassandra without asking for it; mark it "
            f"@pytest.mark.django_db(databases={CASSANDRA_DATABASES!r}) so that it runs "
            "against the test keyspace, never the development one."
        )

    monkeypatch.setattr(Session, "execute", refuse)
    monkeypatch.setattr(Session, "execute_async", refuse)
    yield


@pytest.fixture(autouse=True)
def _outbox_per_test(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Each test that may queue records gets its own outbox, never var/outbox.sqlite3."""
    if "settings" not in request.fixturenames and not _asks_for_cassandra(request.node):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.OUTBOX_PATH = tmp_path_factory.mktemp("outbox") / "outbox.sqlite3"
    yield
