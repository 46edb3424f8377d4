import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mnistsite import env

ROOT = Path(__file__).resolve().parents[2]


SECRET = "k" * 25 + "3xJ!q" * 5  # long and varied enough for check --deploy


def run_clean(args: list[str], **environ: str) -> subprocess.CompletedProcess:
    """Run ``args`` in a fresh interpreter with exactly these DJANGO_ variables and no .env
    (unless DJANGO_ENV_FILE names one)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CASSANDRA_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_ENV_FILE": "", **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


def load_settings(show: str = "s.DEBUG, s.ALLOWED_HOSTS", **environ: str):
    return run_clean(["-c", f"import mnistsite.settings as s; print({show})"], **environ)


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


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(SECRET + "\n")
    result = load_settings("s.SECRET_KEY", DJANGO_DEBUG="0", DJANGO_SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == SECRET


def test_an_unreadable_secret_key_file_is_named(tmp_path):
    missing = tmp_path / "nope"
    result = load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY_FILE=str(missing))
    assert result.returncode != 0
    assert f"DJANGO_SECRET_KEY_FILE: cannot read {missing}" in result.stderr


def test_production_is_secure_by_default():
    result = load_settings(
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
    )
    assert result.stdout.strip() == "True True True 31536000", result.stderr


def test_the_https_redirect_can_be_turned_off_for_a_plain_http_proxy():
    result = load_settings(
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_SECURE_SSL_REDIRECT="0",
    )
    assert result.stdout.strip() == "False True", result.stderr


def test_check_deploy_is_clean_with_the_three_production_variables():
    result = run_clean(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="digits.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_local_env_file_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"DJANGO_DEBUG=1\nDJANGO_SECRET_KEY={SECRET}\nDJANGO_ALLOWED_HOSTS=from-file.example\n"
    )
    result = load_settings(
        "s.DEBUG, s.SECRET_KEY == " + repr(SECRET) + ", s.ALLOWED_HOSTS",
        DJANGO_ENV_FILE=str(dotenv),
        DJANGO_ALLOWED_HOSTS="from-env.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True ['from-env.example']"


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


def test_a_worker_keeps_its_sqlite_connection_from_one_request_to_the_next(tmp_path):
    # What gunicorn's WSGI handler does around each request, twice, in a fresh interpreter.
    script = (
        "import django; django.setup()\n"
        "from django.core import signals\n"
        "from django.db import connection\n"
        "kept = []\n"
        "for _ in range(2):\n"
        "    signals.request_started.send(sender=None)\n"
        "    connection.cursor().execute('SELECT 1')\n"
        "    signals.request_finished.send(sender=None)\n"
        "    kept.append(connection.connection is not None)\n"
        "print(all(kept))\n"
    )
    result = run_clean(
        ["-c", script],
        DJANGO_SETTINGS_MODULE="mnistsite.settings",
        DJANGO_DEBUG="1",
        DJANGO_SQLITE_PATH=str(tmp_path / "db.sqlite3"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
