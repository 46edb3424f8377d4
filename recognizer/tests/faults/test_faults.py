"""Fault tests: real Cassandra processes killed and frozen under a real gunicorn site.

    make faults                                   # all of them (~6 min on 2 cores)
    .venv/bin/python -m pytest -m faults -s recognizer/tests/faults -k "not cluster"

Deselected from the default run (``-m "not faults"`` in pyproject). Each prints its
figures (sent, acknowledged, stored, lost, duplicates, slowest answer, drain time) and
keeps them in var/faults/figures.json; docs/RELIABILITY.md quotes the last run.
"""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from recognizer.tests.faults.harness import LocalCluster, Site, Stream, count, digit_png, log

pytestmark = pytest.mark.faults

# The single-node faults (127.0.0.21) and the three-node cluster (127.0.0.31-33).
SINGLE = LocalCluster("faults1", 20, 1)
TRIO = LocalCluster("faults3", 30, 3)

FAULT_AT = 5.0  # seconds into the stream
FAULT_FOR = 20.0


@pytest.fixture(scope="module")
def single():
    SINGLE.wipe()
    SINGLE.start(1)
    yield SINGLE
    with contextlib.suppress(OSError, ValueError):  # never leave a frozen node behind
        SINGLE.signal(1, signal.SIGCONT)
    SINGLE.stop_all()


@pytest.fixture
def site_factory():
    sites: list[Site] = []

    def make(name: str, cluster: LocalCluster, *, schema: bool = True, **env: str) -> Site:
        site = Site(name, cluster, **env)
        site.prepare(schema=schema)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.stop()


def assert_nothing_lost(figures, answers) -> None:
    assert figures.errors == 0, [a for a in answers if a.status != 200][:5]
    assert figures.lost == 0
    assert figures.duplicates == 0
    assert figures.stored == figures.acked


def test_kill_9_mid_stream_then_restart(single, site_factory):
    site = site_factory("kill9", single)
    site.start()
    stream = Stream(site).start()
    stream.sleep_until(FAULT_AT)
    single.kill9(1)
    stream.sleep_until(FAULT_AT + FAULT_FOR)
    restart_s = single.start(1)  # the same command line as the first start
    back = time.monotonic()
    stream.sleep_until(stream.elapsed() + 5)
    answers = stream.stop()
    site.wait_drained()
    drain = time.monotonic() - back

    figures = count("kill -9", single, site, answers, drain, restart_s=round(restart_s, 1))

    assert_nothing_lost(figures, answers)
    assert figures.queued > 0  # the outage was real
    log_text = site.log_text("gunicorn")
    assert "outbox: Cassandra cannot take writes" in log_text
    assert "outbox: Cassandra takes writes again" in log_text


def test_sigstop_for_20_s_then_sigcont(single, site_factory):
    site = site_factory("freeze", single)
    site.start()
    stream = Stream(site).start()
    stream.sleep_until(FAULT_AT)
    single.signal(1, signal.SIGSTOP)
    try:
        stream.sleep_until(FAULT_AT + FAULT_FOR / 2)
        status, body = site.readyz()
        stream.sleep_until(FAULT_AT + FAULT_FOR)
    finally:
        single.signal(1, signal.SIGCONT)
    back = time.monotonic()
    stream.sleep_until(stream.elapsed() + 10)
    answers = stream.stop()
    site.wait_drained()
    drain = time.monotonic() - back

    figures = count(
        "SIGSTOP 20 s", single, site, answers, drain, readyz_while_frozen=body.get("status")
    )

    assert_nothing_lost(figures, answers)
    assert figures.queued > 0
    assert figures.slowest_answer_s < 5.0
    assert (status, body["status"]) == (200, "degraded")


def test_the_site_starts_while_cassandra_is_down_and_stores_once_it_is_up(single, site_factory):
    site = site_factory("startdown", single)  # the schema exists from an earlier deployment
    single.stop_all()
    site.start()
    status, body = site.readyz()
    assert (status, body["status"]) == (200, "degraded")
    stream = Stream(site, rate=10).start()
    stream.sleep_until(10)
    single.start(1)
    back = time.monotonic()
    stream.sleep_until(stream.elapsed() + 8)
    answers = stream.stop()
    site.wait_drained()
    drain = time.monotonic() - back

    figures = count("started while Cassandra is down", single, site, answers, drain)

    assert_nothing_lost(figures, answers)
    assert answers[0].queued
    # Stored directly again once Cassandra is up, with no restart of the site.
    assert [a.stored for a in sorted(answers, key=lambda a: a.sent_at)[-10:]] == [True] * 10


@pytest.mark.parametrize("model", ["missing", "corrupt"])
def test_a_missing_or_corrupt_model_is_one_clear_line_and_readyz_503(model, site_factory, tmp_path):
    path = tmp_path / "mnist_cnn.keras"
    if model == "corrupt":
        path.write_bytes(b"not a keras file")
    site = site_factory(f"model{model}", SINGLE, schema=False, MNIST_MODEL_PATH=str(path))
    site.start()
    status, body = site.readyz()
    site.stop()

    assert status == 503
    assert body["status"] == "unavailable"
    assert "train_mnist" in body["model"]
    text = site.log_text("gunicorn")
    assert "Traceback" not in text
    # One error line per serving process, naming the file and the fix.
    lines = [line for line in text.splitlines() if " ERROR " in line and str(path) in line]
    assert lines and all("train_mnist" in line for line in lines)
    log(f"model {model}: /readyz {status}; log says: {lines[0]}")


def test_a_record_held_nowhere_is_a_503_never_a_200(site_factory):
    # Nothing listens on 127.0.0.29, and the outbox's directory cannot be made.
    nowhere = LocalCluster("nowhere", 28, 1)
    site = site_factory(
        "nowhere", nowhere, schema=False, OUTBOX_PATH="/proc/no-such-dir/outbox.sqlite3"
    )
    site.start()
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{site.url}/api/v1/predict",
        data=json.dumps(
            {"image": "data:image/png;base64," + base64.b64encode(digit_png()).decode()}
        ).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {site.token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310
    status, body = site.readyz()

    assert info.value.code == 503
    assert "could not be kept" in json.loads(info.value.read())["error"]
    assert status == 503


@pytest.mark.cluster
def test_one_node_of_three_killed_nothing_lost_nothing_queued_and_it_rejoins(site_factory):
    TRIO.wipe()
    try:
        TRIO.start_all()
        assert TRIO.nodes_up() == TRIO.hosts
        site = site_factory(
            "trio",
            TRIO,
            CASSANDRA_REPLICATION='{"class": "NetworkTopologyStrategy", "datacenter1": 3}',
        )
        site.start()
        stream = Stream(site).start()
        stream.sleep_until(FAULT_AT)
        TRIO.kill9(2)
        stream.sleep_until(FAULT_AT + FAULT_FOR)
        restart_s = TRIO.start(2)
        stream.sleep_until(stream.elapsed() + 5)
        answers = stream.stop()
        rejoined = time.monotonic()
        while TRIO.nodes_up() != TRIO.hosts and time.monotonic() - rejoined < 60:
            time.sleep(1)
        up = TRIO.nodes_up()

        figures = count(
            "one node of three killed",
            TRIO,
            site,
            answers,
            None,
            restart_s=round(restart_s, 1),
            nodes_up_after=len(up),
        )

        assert_nothing_lost(figures, answers)
        assert figures.queued == 0
        assert up == TRIO.hosts
    finally:
        TRIO.stop_all()
