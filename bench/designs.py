"""The designs a serving benchmark compares: this site and the 2019 prototype's
(``bench/seed_app.py``), each served by gunicorn with a worker class and count; how to post a
drawing to one, and how long a fresh one takes to answer its first prediction.

A design is named ``site`` or ``seed``, optionally with ``:worker_class[:threads[:workers]]``
(``site:sync::4``); the defaults are the repository's ``gunicorn.conf.py``.
"""

from __future__ import annotations

import base64
import http.client
import json
import runpy
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from bench.meters import rss_mb
from bench.site import ROOT, Server


@dataclass
class Design:
    name: str  # "site", "site:sync", "seed", ...
    app: str
    worker_class: str
    workers: int
    threads: int
    port: int
    headers: dict[str, str]
    server: Server | None = None
    targets: Path | None = None
    canvas_targets: Path | None = None  # whole 280x280 canvases, for the closed loop
    first_prediction_s: float = float("nan")
    first_request_ms: float = float("nan")
    worker_boot_rss: list[float] = field(default_factory=list)

    @property
    def is_site(self) -> bool:
        return self.app == "mnistsite.wsgi"

    def gunicorn_args(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        if self.worker_class == "gevent":
            args += ["--worker-connections", "200"]
        if not self.is_site:
            args += ["--config", str(ROOT / "bench" / "seed_gunicorn.conf.py"), "--timeout", "120"]
        return args


def site_config() -> dict[str, object]:
    """The worker settings of the repository's gunicorn.conf.py (the seed is served the same)."""
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {k: values[k] for k in ("workers", "worker_class", "threads")}


def make_designs(names: list[str], token: str, base_port: int) -> list[Design]:
    config = site_config()
    designs = []
    for index, name in enumerate(names):
        kind, _, worker = name.partition(":")
        worker_class, _, rest = worker.partition(":")
        threads, _, workers = rest.partition(":")
        if kind not in ("site", "seed"):
            raise SystemExit(f"unknown design {name!r}: use site[:class] or seed[:class]")
        designs.append(
            Design(
                name=name,
                app="mnistsite.wsgi" if kind == "site" else "bench.seed_app:application",
                worker_class=worker_class or str(config["worker_class"]),
                workers=int(workers or config["workers"]),
                threads=int(threads or config["threads"]),
                port=base_port + index,
                headers={"Content-Type": "application/json"}
                | ({"Authorization": f"Token {token}"} if kind == "site" else {}),
            )
        )
    return designs


def post(url: str, body: bytes, headers: dict[str, str], connection=None):
    """POST on a kept-alive connection; (status, headers, body, connection)."""
    parts = urllib.parse.urlsplit(url)
    if connection is None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("POST", parts.path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    if response.getheader("Connection", "").lower() == "close":
        connection.close()
        connection = None
    return response.status, dict(response.getheaders()), payload, connection


def predict_body(png: bytes) -> bytes:
    """The JSON the page posts to /api/v1/predict for a drawing."""
    return json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()


def first_prediction(design: Design, body: bytes, deadline_s: float = 120) -> None:
    """Seconds from launching gunicorn to the first answered prediction, polling every 20 ms."""
    assert design.server is not None
    url = design.server.url + ("/api/v1/predict" if design.is_site else "/")
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        if design.server.process.poll() is not None:
            raise SystemExit(f"{design.name}: gunicorn exited; see {design.server.log}")
        sent = time.monotonic()
        try:
            status, _, _, connection = post(url, body, design.headers)
        except OSError:
            time.sleep(0.02)
            continue
        if connection is not None:
            connection.close()
        if status == 200:
            design.first_prediction_s = time.monotonic() - design.server.started
            design.first_request_ms = (time.monotonic() - sent) * 1000
            design.worker_boot_rss = [rss_mb(pid) for pid in design.server.workers()]
            return
        time.sleep(0.02)
    raise SystemExit(f"{design.name} answered no prediction within {deadline_s:.0f} s")
