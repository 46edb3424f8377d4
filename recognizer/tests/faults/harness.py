"""Real processes for the fault tests: Cassandra nodes of their own, the site under
gunicorn with its outbox drainer, a steady stream of predictions, and the id-by-id count.

Nothing here touches the development node on 127.0.0.1: the fault clusters run on
127.0.0.2x / 127.0.0.3x with their own names, ports and directories
(``scripts/cassandra --cluster``), and are killed and frozen freely.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
SCRIPT = REPO / "scripts" / "cassandra"
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
FAULTS_DIR = REPO / "var" / "faults"
# The site's port; PORT-like, so that two runs on one machine can be told apart.
SITE_PORT = int(os.environ.get("FAULTS_PORT", "8400"))
# 2 cores, 24 GB: three JVMs of 512 MB fit beside the site and the browsers of other tests.
HEAP = os.environ.get("FAULTS_CASSANDRA_HEAP", "512m")
STAFF = "faults"
STAFF_PASSWORD = "faults-staff-password-1"  # noqa: S105 - a throwaway local account


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Cassandra ---------------------------------------------------------------------------------


class LocalCluster:
    """Nodes of one ``scripts/cassandra --cluster NAME``, started one after another."""

    def __init__(self, name: str, offset: int, size: int) -> None:
        self.name, self.offset, self.size = name, offset, size
        self.root = FAULTS_DIR / "cassandra" / name

    def address(self, number: int) -> str:
        return f"127.0.0.{self.offset + number}"

    @property
    def hosts(self) -> list[str]:
        return [self.address(n) for n in range(1, self.size + 1)]

    def _script(self, number: int, command: str, check: bool = True) -> float:
        argv = [PYTHON, str(SCRIPT), "--cluster", self.name, "--address-offset", str(self.offset)]
        argv += ["--dir", str(self.root), "--node", str(number), command]
        env = {**os.environ, "CASSANDRA_HEAP": HEAP}
        env.pop("CASSANDRA_HOSTS", None)
        started = time.monotonic()
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"scripts/cassandra {command} node {number}:\n{result.stdout}{result.stderr}"
            )
        return time.monotonic() - started

    def wipe(self) -> None:
        for number in range(1, self.size + 1):
            self._script(number, "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self, number: int) -> float:
        took = self._script(number, "start")
        log(f"{self.name} node {number} ({self.address(number)}) answers CQL after {took:.1f} s")
        return took

    def start_all(self) -> None:
        # One after another: a node joins only once the seed answers.
        for number in range(1, self.size + 1):
            self.start(number)

    def stop_all(self) -> None:
        for number in range(self.size, 0, -1):
            self._script(number, "stop", check=False)

    def pid(self, number: int) -> int:
        return int((self.root / f"node{number}" / "cassandra.pid").read_text().strip())

    def signal(self, number: int, sig: signal.Signals) -> None:
        os.kill(self.pid(number), sig)
        log(f"{self.name} node {number}: sent {sig.name}")

    def kill9(self, number: int) -> None:
        pid = self.pid(number)
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        log(f"{self.name} node {number}: kill -9 (pid {pid})")

    @contextlib.contextmanager
    def session(self, consistency: str = "ONE"):
        from cassandra import ConsistencyLevel
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile

        profile = ExecutionProfile(
            consistency_level=getattr(ConsistencyLevel, consistency), request_timeout=20
        )
        cluster = Cluster(self.hosts, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        try:
            yield cluster.connect()
        finally:
            cluster.shutdown()

    def nodes_up(self) -> list[str]:
        """Addresses a fresh client finds up: every node the ring lists (system.peers of
        the control connection) to which it could open a connection."""
        with self.session() as session:
            hosts = session.cluster.metadata.all_hosts()
            deadline = time.monotonic() + 10
            while any(h.is_up is None for h in hosts) and time.monotonic() < deadline:
                time.sleep(0.2)
            return sorted(str(h.address) for h in hosts if h.is_up)


# --- The site ------------------------------------------------------------------------------------


class Site:
    """gunicorn (2 workers x 8 threads) and ``manage.py drain_outbox --follow``."""

    def __init__(self, name: str, cluster: LocalCluster, **extra_env: str) -> None:
        self.dir = FAULTS_DIR / "site" / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.url = f"http://127.0.0.1:{SITE_PORT}"
        self.env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "faults-" + uuid.uuid4().hex,
            # Plain HTTP on loopback: no HTTPS redirect, no Secure-only cookies.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_ENV_FILE": "",
            "DJANGO_SQLITE_PATH": str(self.dir / "db.sqlite3"),
            "OUTBOX_PATH": str(self.dir / "outbox.sqlite3"),
            "CASSANDRA_HOSTS": ",".join(cluster.hosts),
            "CASSANDRA_KEYSPACE": f"faults_{name}",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self.keyspace = self.env["CASSANDRA_KEYSPACE"]
        self.processes: list[subprocess.Popen] = []
        self.token = ""

    def manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=REPO,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self, *, schema: bool = True) -> None:
        """Users (a staff account: never rate-limited) and, when Cassandra is up, the schema."""
        self.manage("migrate", "--noinput", "--verbosity", "0")
        env_user = {
            **self.env,
            "DJANGO_SUPERUSER_USERNAME": STAFF,
            "DJANGO_SUPERUSER_PASSWORD": STAFF_PASSWORD,
            "DJANGO_SUPERUSER_EMAIL": "faults@example.org",
        }
        subprocess.run(
            [PYTHON, "manage.py", "createsuperuser", "--noinput"],
            cwd=REPO,
            env=env_user,
            capture_output=True,
            check=True,
        )
        self.token = self.manage("api_token", STAFF).strip().splitlines()[-1]
        if schema:
            # Schema changes wait for every node to agree: longer than a request may take
            # on a loaded 2-core machine running three nodes.
            self.manage("sync_cassandra", CASSANDRA_REQUEST_TIMEOUT_MS="30000")

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = (self.dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, close_fds=True
        )
        self.processes.append(process)
        return process

    def start(self) -> None:
        self._spawn(
            "gunicorn",
            [
                GUNICORN,
                "mnistsite.wsgi",
                "--bind",
                f"127.0.0.1:{SITE_PORT}",
                "--workers",
                "2",
                "--threads",
                "8",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
        )
        self._spawn("drainer", [PYTHON, "manage.py", "drain_outbox", "--follow"])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2).read()  # noqa: S310
                log(f"site answers on {self.url}")
                return
            time.sleep(0.5)
        raise RuntimeError(f"the site did not answer; see {self.dir}/gunicorn.log")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def readyz(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def wait_drained(self, timeout: float = 300) -> float:
        """Seconds until /readyz shows an empty outbox."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with contextlib.suppress(OSError, ValueError):
                _status, body = self.readyz()
                if body.get("outbox", {}).get("pending") == 0:
                    return time.monotonic() - started
            time.sleep(0.5)
        raise AssertionError(f"the outbox did not drain in {timeout} s; see {self.dir}")

    def log_text(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")


# --- The stream of predictions ----------------------------------------------------------------


def digit_png() -> bytes:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(140, 50), (135, 230)], fill=(0, 0, 0, 255), width=18)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Answer:
    sent_at: float
    seconds: float
    status: int | None
    id: str | None = None
    upload_time: str | None = None
    stored: bool | None = None
    queued: bool | None = None
    error: str | None = None


@dataclass
class Stream:
    """POST /api/v1/predict at ``rate`` a second, from a pool of client threads."""

    site: Site
    rate: float = 20.0
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._body = json.dumps(
            {"image": "data:image/png;base64," + base64.b64encode(digit_png()).decode()}
        ).encode()
        self._pool = ThreadPoolExecutor(max_workers=64)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = 0.0

    def _one(self) -> None:
        sent = time.monotonic()
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.site.url}/api/v1/predict",
            data=self._body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {self.site.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                body = json.loads(response.read())
                answer = Answer(
                    sent - self.started,
                    time.monotonic() - sent,
                    response.status,
                    body["id"],
                    body["upload_time"],
                    body["stored"],
                    body["queued"],
                )
        except urllib.error.HTTPError as exc:
            answer = Answer(sent - self.started, time.monotonic() - sent, exc.code, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - count every failure, whatever it is
            answer = Answer(sent - self.started, time.monotonic() - sent, None, error=repr(exc))
        with self._lock:
            self.answers.append(answer)

    def _run(self) -> None:
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                self._pool.submit(self._one)
            except RuntimeError:  # the test failed and the interpreter is shutting down
                return
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self) -> Stream:
        self.started = time.monotonic()
        self._thread.start()
        log(f"streaming predictions at {self.rate:.0f}/s")
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def sleep_until(self, second: float) -> None:
        time.sleep(max(0.0, second - self.elapsed()))

    def stop(self) -> list[Answer]:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)
        log(f"stream stopped: {len(self.answers)} sent")
        return self.answers


# --- Counting, id by id ---------------------------------------------------------------------------


def rows_per_id(cluster: LocalCluster, keyspace: str, answers: list[Answer]) -> dict[str, Counter]:
    """For each table, how many rows each acknowledged id has (read at QUORUM)."""
    acked = [a for a in answers if a.status == 200]
    ids = {uuid.UUID(a.id) for a in acked}
    counts: dict[str, Counter] = {"mnist1": Counter(), "by_user": Counter(), "by_day": Counter()}
    consistency = "QUORUM" if cluster.size > 1 else "ONE"
    with cluster.session(consistency) as session:
        select = session.prepare(f"SELECT id, user_id FROM {keyspace}.mnist1 WHERE id = ?")
        user_ids = set()
        for record_id in ids:
            found = session.execute(select, (record_id,)).all()
            counts["mnist1"][str(record_id)] += len(found)
            user_ids |= {row.user_id for row in found}
        days = {datetime.fromisoformat(a.upload_time.replace("Z", "+00:00")).date() for a in acked}
        months = {a.upload_time[:7] for a in acked}
        for day in days:
            for row in session.execute(
                f"SELECT id FROM {keyspace}.predictions_by_day WHERE day = %s", (day,)
            ):
                if row.id in ids:
                    counts["by_day"][str(row.id)] += 1
        for user_id in user_ids:
            for month in months:
                for row in session.execute(
                    f"SELECT id FROM {keyspace}.predictions_by_user "
                    "WHERE user_id = %s AND month = %s",
                    (user_id, month),
                ):
                    if row.id in ids:
                        counts["by_user"][str(row.id)] += 1
    return counts


@dataclass
class Figures:
    fault: str
    sent: int
    acked: int
    queued: int
    errors: int
    stored: int
    lost: int
    duplicates: int
    slowest_answer_s: float
    drain_s: float | None
    notes: dict = field(default_factory=dict)

    def line(self) -> str:
        drain = "-" if self.drain_s is None else f"{self.drain_s:.1f} s"
        text = (
            f"{self.fault}: sent {self.sent}, acknowledged {self.acked} "
            f"({self.queued} queued), errors {self.errors}, stored {self.stored}, "
            f"lost {self.lost}, duplicates {self.duplicates}, "
            f"slowest answer {self.slowest_answer_s:.2f} s, drain {drain}"
        )
        if self.notes:
            text += " | " + ", ".join(f"{k} {v}" for k, v in self.notes.items())
        return text


def count(
    fault: str,
    cluster: LocalCluster,
    site: Site,
    answers: list[Answer],
    drain_s: float | None,
    **notes,
) -> Figures:
    per_table = rows_per_id(cluster, site.keyspace, answers)
    acked = [a for a in answers if a.status == 200]
    ids = [a.id for a in acked]
    exactly_once = [
        i for i in ids if all(per_table[table][i] == 1 for table in ("mnist1", "by_day", "by_user"))
    ]
    lost = [i for i in ids if per_table["mnist1"][i] == 0 or per_table["by_day"][i] == 0]
    duplicates = [i for i in ids if per_table["by_day"][i] > 1 or per_table["by_user"][i] > 1]
    duplicates += [i for i, n in Counter(ids).items() if n > 1]  # the same id answered twice
    figures = Figures(
        fault=fault,
        sent=len(answers),
        acked=len(acked),
        queued=sum(1 for a in acked if a.queued),
        errors=len(answers) - len(acked),
        stored=len(exactly_once),
        lost=len(lost),
        duplicates=len(duplicates),
        slowest_answer_s=max((a.seconds for a in answers), default=0.0),
        drain_s=drain_s,
        notes=notes,
    )
    log(figures.line())
    record_figures(figures)
    return figures


def record_figures(figures: Figures) -> None:
    """Keep the last run's figures (var/faults/figures.json) for docs/RELIABILITY.md."""
    path = FAULTS_DIR / "figures.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(path.read_text()) if path.is_file() else {}
    known[figures.fault] = {**figures.__dict__, "at": time.strftime("%Y-%m-%d %H:%M:%S UTC")}
    path.write_text(json.dumps(known, indent=2, default=str) + "\n")
