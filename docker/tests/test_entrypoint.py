"""docker/entrypoint.sh against the local Cassandra, run with the serving packages alone on
PATH as in the image: bounded waits, prepare (migrate, sync_cassandra, the staff user), serve
(gunicorn), and other commands passed through."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from cassandra.cluster import Cluster
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
# Each test gets a keyspace of its own, made by the entrypoint and dropped afterwards.
pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def keyspace():
    """A keyspace of its own, dropped afterwards (never the development or test one)."""
    name = f"{settings.CASSANDRA_KEYSPACE}_entrypoint"[:48]
    yield name
    cluster = Cluster(settings.CASSANDRA_HOSTS, port=settings.CASSANDRA_PORT)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=60)
    finally:
        cluster.shutdown()


@pytest.fixture
def image_env(serving_bin, keyspace, tmp_path) -> dict[str, str]:
    """The environment a container has: production settings, the serving packages only."""
    env = {
        "PATH": f"{serving_bin}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "mnistsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_ENV_FILE": "",  # an image has no .env
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CASSANDRA_HOSTS": ",".join(settings.CASSANDRA_HOSTS),
        "CASSANDRA_PORT": str(settings.CASSANDRA_PORT),
        "CASSANDRA_KEYSPACE": keyspace,
        "WAIT_TIMEOUT": "60",
    }
    # The PostgreSQL pass of `make test` sets DATABASE_URL: then the entrypoint uses it too.
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    else:
        env["DJANGO_SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    return env


def entrypoint(*args: str, env: dict[str, str], timeout: float = 180):
    return subprocess.run(
        [str(ENTRYPOINT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_prepare_migrates_syncs_and_makes_the_staff_user_once(image_env, keyspace):
    username = f"staff-{uuid.uuid4().hex[:8]}"
    env = {
        **image_env,
        "DJANGO_SUPERUSER_USERNAME": username,
        "DJANGO_SUPERUSER_EMAIL": f"{username}@example.org",
        "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16),
    }
    first = entrypoint("prepare", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "answers." in first.stdout
    assert "Superuser created successfully." in first.stdout

    cluster = Cluster(settings.CASSANDRA_HOSTS, port=settings.CASSANDRA_PORT)
    try:
        rows = cluster.connect().execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", [keyspace]
        )
        assert "mnist1" in {row.table_name for row in rows}
    finally:
        cluster.shutdown()

    again = entrypoint("prepare", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Staff user {username} already exists." in again.stdout


def test_the_wait_for_cassandra_is_bounded_and_says_what_it_waited_for(image_env):
    port = free_port()  # nothing listens there
    env = {**image_env, "CASSANDRA_PORT": str(port), "WAIT_TIMEOUT": "3"}
    result = entrypoint("serve", env=env, timeout=60)
    assert result.returncode == 1
    assert f"Cassandra at 127.0.0.1 (port {port}) did not answer within" in result.stderr
    assert "Booting worker" not in result.stderr  # gunicorn never started


def test_other_commands_pass_through(image_env):
    program = entrypoint("python", "-c", "print('as given')", env=image_env)
    assert (program.returncode, program.stdout) == (0, "as given\n")
    command = entrypoint("check", env=image_env)
    assert command.returncode == 0, command.stderr
    assert "System check identified no issues" in command.stdout


def test_serve_starts_gunicorn_that_the_image_healthcheck_accepts(image_env, serving_bin, tmp_path):
    migrated = entrypoint("migrate", "--noinput", env=image_env)  # what prepare did before
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    env = {
        **image_env,
        "PORT": str(port),
        # Loopback here; in a container gunicorn.conf.py binds 0.0.0.0:$PORT.
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 1 --threads 2",
    }
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [str(ENTRYPOINT), "serve"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        healthcheck = [str(serving_bin / "python"), "docker/healthcheck.py"]
        for _ in range(120):
            if subprocess.run(healthcheck, cwd=ROOT, env=env, capture_output=True).returncode == 0:
                break
            assert server.poll() is None, log.read_text()
            time.sleep(0.5)
        else:
            pytest.fail(f"gunicorn never answered /healthz:\n{log.read_text()}")
        # Ready: the model is loaded and the worker reaches Cassandra.
        readyz = urllib.request.Request(
            f"http://127.0.0.1:{port}/readyz", headers={"Host": "localhost"}
        )
        with urllib.request.urlopen(readyz, timeout=30) as response:  # noqa: S310
            assert response.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    assert f"Listening at: http://127.0.0.1:{port}" in log.read_text()
