import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mnistsite import env

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**environ: str) -> subprocess.CompletedProcess:
    """Import the settings module in a fresh interpreter with exactly these DJANGO_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CASSANDRA_"))}
    return subprocess.run(
        [sys.executable, "-c", "import mnistsite.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        cwd=ROOT,
        env={**clean, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key():
    result = load_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_it_starts_in_production_with_a_secret_key():
    result = load_settings(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="a.example,b.example"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['a.example', 'b.example']"


def test_production_is_the_default():
    result = load_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_it_rejects_a_malformed_boolean():
    result = load_settings(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {"strategy_class": "SimpleStrategy", "replication_factor": 1}),
        (
            '{"class": "SimpleStrategy", "replication_factor": 3}',
            {"strategy_class": "SimpleStrategy", "replication_factor": 3},
        ),
        (
            '{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "3"}',
            {"strategy_class": "NetworkTopologyStrategy", "dc1": 3},
        ),
    ],
)
def test_replication_map_is_read(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("X_REPLICATION", raising=False)
    else:
        monkeypatch.setenv("X_REPLICATION", raw)
    default = {"class": "SimpleStrategy", "replication_factor": 1}
    assert env.cassandra_replication("X_REPLICATION", default) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '{"class": "SimpleStrategy", "replication_factor": 0}',
        '{"class": "SimpleStrategy", "dc1": 3}',
        '{"class": "NetworkTopologyStrategy"}',
        '{"class": "LocalStrategy"}',
        '{"class": "SimpleStrategy", "replication_factor": true}',
    ],
)
def test_bad_replication_maps_are_refused(monkeypatch, raw):
    monkeypatch.setenv("X_REPLICATION", raw)
    with pytest.raises(ImproperlyConfigured, match="X_REPLICATION"):
        env.cassandra_replication("X_REPLICATION", {})


def test_envint_checks_range(monkeypatch):
    monkeypatch.setenv("X_PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="X_PORT must be at least 1 and at most 65535"):
        env.envint("X_PORT", 9042, minimum=1, maximum=65535)
    monkeypatch.setenv("X_PORT", "9043")
    assert env.envint("X_PORT", 9042, minimum=1, maximum=65535) == 9043


def test_envlist_splits_hosts(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " 10.0.0.1, 10.0.0.2 ,,")
    assert env.envlist("X_HOSTS", ["127.0.0.1"]) == ["10.0.0.1", "10.0.0.2"]
