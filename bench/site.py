"""The site (or another WSGI app) under gunicorn on 127.0.0.1, with its own SQLite file and
keyspace, for benchmarks. Production settings: DEBUG off, a secret key, allowed hosts."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Dropped when the benchmark ends, so never a keyspace anyone keeps data in; BENCH_KEYSPACE
# keeps parallel runs apart.
KEYSPACE = os.environ.get("BENCH_KEYSPACE", "bench_mnist_database")
USERNAME = "bench"


@dataclass(frozen=True)
class BenchEnvironment:
    env: dict[str, str]
    token: str
    password: str
    workdir: Path


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    started: float  # time.monotonic() when gunicorn was launched

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []


@dataclass(frozen=True)
class RunningSite:
    url: str
    pid: int
    env: dict[str, str]
    token: str
    password: str


def cassandra_host(env: dict[str, str] | None = None) -> str:
    """The first of ``CASSANDRA_HOSTS`` (the benchmarks' own connections, as the site's)."""
    return (env or os.environ).get("CASSANDRA_HOSTS", "127.0.0.1").split(",")[0].strip()


def manage(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def _drop_keyspace(env: dict[str, str], keyspace: str) -> None:
    from cassandra.cluster import Cluster

    if keyspace == "mnist_database":
        raise SystemExit("refusing to drop the site's own keyspace; set BENCH_KEYSPACE")
    cluster = Cluster([cassandra_host(env)], port=int(env.get("CASSANDRA_PORT", "9042")))
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
    finally:
        cluster.shutdown()


@contextmanager
def bench_environment(*, keyspace: str = KEYSPACE) -> Iterator[BenchEnvironment]:
    """Production settings, a fresh SQLite file and keyspace, static files and a staff user
    with an API token; afterwards the keyspace is dropped. Needs the local Cassandra."""
    if keyspace == "mnist_database":
        raise SystemExit("the benchmark drops its keyspace: set BENCH_KEYSPACE to another one")
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / "var"))
    password = uuid.uuid4().hex
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        # Production settings over plain HTTP on 127.0.0.1: no redirect to HTTPS.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SQLITE_PATH": str(workdir / "db.sqlite3"),
        "CASSANDRA_KEYSPACE": keyspace,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    print(f"Preparing keyspace {keyspace}, static files and a staff user...", flush=True)
    manage("migrate", "--noinput", env=env)
    manage("createcachetable", env=env)  # the prediction rate limit counts there
    manage("sync_cassandra", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage(
        "createsuperuser", "--noinput", "--username", USERNAME, "--email", "bench@example.invalid",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": password},
    )  # fmt: skip
    token = manage("api_token", USERNAME, env=env).strip().split()[-1]
    try:
        yield BenchEnvironment(env=env, token=token, password=password, workdir=workdir)
    finally:
        _drop_keyspace(env, keyspace)
        shutil.rmtree(workdir, ignore_errors=True)


def wait_ready(url: str, server: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"gunicorn did not become ready at {url}; see {log}")


@contextmanager
def gunicorn(
    app: str,
    *,
    port: int,
    env: dict[str, str],
    args: Sequence[str] = (),
    ready_path: str | None = "/healthz",
    name: str = "site",
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """``gunicorn app`` on 127.0.0.1:port, stopped (SIGTERM, then SIGKILL) afterwards.
    ``cwd`` is the tree it serves (``bench.ab`` serves an older revision beside this one)."""
    log = ROOT / "var" / f"bench-gunicorn-{name}.log"
    handle = log.open("w")
    started = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         *args],
        cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log, started=started)
    try:
        if ready_path is not None:
            wait_ready(server.url + ready_path, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        # Workers stuck past the master's graceful timeout would keep the port: end the
        # server's own process group (its master and workers, nothing else).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        handle.close()


@contextmanager
def running_site(*, port: int, workers: int = 2, threads: int = 2) -> Iterator[RunningSite]:
    """gunicorn serving the site in production mode, a bench user with a token, and afterwards
    nothing left behind: the server stopped and the keyspace dropped. Needs the local Cassandra."""
    with (
        bench_environment() as bench,
        gunicorn(
            "mnistsite.wsgi",
            port=port,
            env=bench.env,
            args=["--workers", str(workers), "--threads", str(threads)],
            ready_path="/readyz",
        ) as server,
    ):
        yield RunningSite(
            url=server.url,
            pid=server.pid,
            env=bench.env,
            token=bench.token,
            password=bench.password,
        )
