"""The site under gunicorn on 127.0.0.1, with its own SQLite file and keyspace, for benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Its own keyspace (dropped afterwards); BENCH_CASSANDRA_KEYSPACE keeps parallel runs apart.
KEYSPACE = os.environ.get("BENCH_CASSANDRA_KEYSPACE", "bench_mnist_database")
USERNAME = "bench"


@dataclass(frozen=True)
class RunningSite:
    url: str
    pid: int
    env: dict[str, str]
    token: str
    password: str


def manage(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"gunicorn exited with {server.returncode}; see var/bench-gunicorn.log"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not become ready at {url}")


def _drop_keyspace(env: dict[str, str]) -> None:
    from cassandra.cluster import Cluster

    cluster = Cluster(["127.0.0.1"], port=int(env.get("CASSANDRA_PORT", "9042")))
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}")
    finally:
        cluster.shutdown()


@contextmanager
def running_site(*, port: int, workers: int = 2, threads: int = 2) -> Iterator[RunningSite]:
    """gunicorn serving the site in production mode, a bench user with a token, and afterwards
    nothing left behind: the server stopped and the keyspace dropped. Needs the local Cassandra."""
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / "var"))
    password = uuid.uuid4().hex
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "DJANGO_SQLITE_PATH": str(workdir / "db.sqlite3"),
        "CASSANDRA_KEYSPACE": KEYSPACE,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    print(f"Preparing {KEYSPACE}, static files and a bench user...", flush=True)
    manage("migrate", "--noinput", env=env)
    manage("sync_cassandra", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage(
        "createsuperuser", "--noinput", "--username", USERNAME, "--email", "bench@example.invalid",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": password},
    )  # fmt: skip
    token = manage("api_token", USERNAME, env=env).strip()
    log = (ROOT / "var" / "bench-gunicorn.log").open("w")
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "mnistsite.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(f"{url}/readyz", server)
        yield RunningSite(url=url, pid=server.pid, env=env, token=token, password=password)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        _drop_keyspace(env)
