"""Admin history pages at 100,000 predictions: first page, filtered pages, statistics.

Seeds its own keyspace (``wt_issue10_bench`` by default; kept between runs, reseeded with
``--reseed``) with N predictions spread evenly over D days and U users, written to every
table with prepared statements and ``execute_concurrent`` exactly as the writer lays them
out, then times each page in-process through Django's test client as a staff user (the
whole request: middleware, session, Cassandra reads, template). Writes the figures to the
"Admin" section of docs/PERFORMANCE.md.

    python -m bench.admin_benchmark            # needs the local Cassandra on 127.0.0.1
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = 20  # timed requests per page (after one warm-up)


def _setup_django(keyspace: str) -> None:
    workdir = ROOT / "var" / "bench-admin"
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "CASSANDRA_KEYSPACE": keyspace,
            "DJANGO_SQLITE_PATH": str(workdir / "db.sqlite3"),
            "DJANGO_DEBUG": "0",
            # Production settings, plain HTTP inside the process: no redirect to HTTPS.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "mnistsite.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("sync_cassandra", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)


def _thumbnails() -> list[bytes]:
    from PIL import Image, ImageDraw

    from recognizer.tests.images import png_bytes

    images = []
    for digit in range(10):
        image = Image.new("L", (28, 28), 0)
        ImageDraw.Draw(image).text((10, 8), str(digit), fill=255)
        images.append(png_bytes(image))
    return images


def seed(*, count: int, days: int, users: int, seed_value: int = 10) -> dict:
    """Write ``count`` records over the ``days`` days up to today, then mark each day changed
    (the writer's last statement). Returns what was seeded, for the figures."""
    from cassandra.concurrent import execute_concurrent_with_args
    from django.contrib.auth import get_user_model

    from recognizer.db import cassandra_keyspace, cassandra_session
    from recognizer.records import keys
    from recognizer.records.day_stats import day_stats_mark_changed

    rng = random.Random(seed_value)
    people = []
    User = get_user_model()  # noqa: N806
    for n in range(users):
        user, _ = User.objects.get_or_create(username=f"user{n:02d}")
        people.append(user)
    session = cassandra_session()
    ks = cassandra_keyspace()
    # A seed that stopped half-way leaves rows behind: start from empty tables.
    for name in ("mnist1", "predictions_by_day", "predictions_by_user",
                 "prediction_months_by_user", "prediction_day_stats"):  # fmt: skip
        session.execute(f"TRUNCATE {ks}.{name}", timeout=120)
    columns = (
        "digits, upload_time, confidence, unsure, probabilities, image, model_version, "
        "source, corrected_label, corrected_at"
    )
    inserts = [
        session.prepare(
            f"INSERT INTO {ks}.mnist1 (id, user_id, username, {columns}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        session.prepare(
            f"INSERT INTO {ks}.predictions_by_day (day, created, id, user_id, username, "  # noqa: S608
            f"{columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        session.prepare(
            f"INSERT INTO {ks}.predictions_by_user (user_id, month, created, id, "  # noqa: S608
            f"{columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
    ]
    month_insert = session.prepare(
        f"INSERT INTO {ks}.prediction_months_by_user (user_id, month) VALUES (?, ?)"  # noqa: S608
    )
    images = _thumbnails()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = today - timedelta(days=days - 1)
    span = days * 86400
    versions = ["3f2a9c1d0b7e" + "0" * 52, "8b41e6aa2c90" + "1" * 52]
    start = time.perf_counter()
    batch = 5000
    written = 0
    months = set()
    while written < count:
        rows = []
        for _ in range(min(batch, count - written)):
            when = first_day + timedelta(seconds=rng.uniform(0, span))
            when = when.replace(microsecond=when.microsecond // 1000 * 1000)
            user = rng.choice(people)
            digit = rng.randrange(10)
            unsure = rng.random() < 0.03
            confidence = rng.uniform(0.5, 0.97) if unsure else rng.uniform(0.977, 1.0)
            rest = (1 - confidence) / 9
            probabilities = [confidence if d == digit else rest for d in range(10)]
            corrected = None
            if rng.random() < 0.05:
                # Half of the feedback confirms, half corrects to another digit.
                corrected = digit if rng.random() < 0.5 else rng.randrange(10)
            record_id = uuid.uuid4()
            created = keys.created_timeuuid(upload_time=when, record_id=record_id)
            version = versions[0] if when < first_day + timedelta(days=days // 2) else versions[1]
            values = (
                str(digit),
                when,
                confidence,
                unsure,
                probabilities,
                images[digit],
                version,
                rng.choice(("page", "page", "page", "api", "upload")),
                corrected,
                when if corrected is not None else None,
            )
            month = keys.month_bucket(when)
            months.add((user.pk, month))
            rows.append(
                (
                    (record_id, user.pk, user.username, *values),
                    (keys.day_bucket(when), created, record_id, user.pk, user.username, *values),
                    (user.pk, month, created, record_id, *values),
                )
            )
        for statement, index in zip(inserts, range(3), strict=True):
            results = execute_concurrent_with_args(
                session, statement, [row[index] for row in rows], concurrency=64
            )
            failures = [r for ok, r in results if not ok]
            if failures:
                raise SystemExit(f"seeding failed: {failures[0]}")
        written += len(rows)
        rate = written / (time.perf_counter() - start)
        print(f"  seeded {written:,}/{count:,} records ({rate:,.0f} records/s)", flush=True)
    execute_concurrent_with_args(session, month_insert, sorted(months), concurrency=64)
    for n in range(days):
        day_stats_mark_changed(day=(first_day + timedelta(days=n)).date())
    return {
        "seconds": time.perf_counter() - start,
        "since": first_day.date(),
        "until": today.date(),
    }


def _count(keyspace: str) -> int:
    from recognizer.db import cassandra_session

    # A count of the stats cache's days, not of rows: cheap, and enough to know a seed ran.
    rows = cassandra_session().execute(
        f"SELECT count(*) AS n FROM {keyspace}.prediction_day_stats"  # noqa: S608
    )
    return rows.one()["n"]


def time_page(client, url: str, *, repeat: int = PAGES) -> tuple[list[float], str]:
    response = client.get(url)  # warm-up: prepared statements, template loading
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        body = response.content
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times, body.decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keyspace", default="wt_issue10_bench")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--reseed", action="store_true", help="drop the keyspace and seed again")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args(argv)

    if args.reseed:
        from cassandra.cluster import Cluster

        from bench.site import cassandra_host

        cluster = Cluster([cassandra_host()])
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {args.keyspace}", timeout=60)
        cluster.shutdown()
    _setup_django(args.keyspace)

    from django.contrib.auth import get_user_model
    from django.test import Client

    from recognizer.records.day_stats import day_stats_mark_changed

    if _count(args.keyspace) < args.days:
        print(f"Seeding {args.records:,} predictions over {args.days} days, {args.users} users")
        seeded = seed(count=args.records, days=args.days, users=args.users)
        print(f"Seeded in {seeded['seconds']:.0f} s", flush=True)
    else:
        print(f"Reusing the seeded keyspace {args.keyspace} (--reseed to start again)")

    staff, _ = get_user_model().objects.get_or_create(username="bench-staff", is_staff=True)
    client = Client()
    client.force_login(staff)
    today = datetime.now(UTC).date()
    since = today - timedelta(days=args.days - 1)
    full = f"since={since}&until={today}"
    pages = [
        ("first page (default: last 30 days)", "/admin/predictions/"),
        ("filtered: digit 7", "/admin/predictions/?digit=7"),
        ("filtered: one user (predictions_by_user)", "/admin/predictions/?user=user17"),
        (
            "filtered: digit 7 and corrected (rare, stops at the 2,000-row budget)",
            "/admin/predictions/?digit=7&corrected=yes",
        ),
        (f"statistics, {args.days} days, cache fresh", f"/admin/prediction-statistics/?{full}"),
    ]
    load_before = os.getloadavg()[0]
    results = []
    for name, url in pages:
        times, body = time_page(client, url)
        rows = body.count('class="thumb"') if "/predictions/" in url else "—"
        results.append((name, url, times, rows))
        print(f"{name}: p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms", flush=True)

    # The worst case of the statistics: every day marked changed, so every day is recounted.
    cold = []
    for _ in range(3):
        for n in range(args.days):
            day_stats_mark_changed(day=since + timedelta(days=n))
        start = time.perf_counter()
        assert client.get(f"/admin/prediction-statistics/?{full}").status_code == 200
        cold.append((time.perf_counter() - start) * 1000)
    print(f"statistics, every day recounted: p50 {statistics.median(cold):.0f} ms", flush=True)
    # One day changed (the usual case: new predictions today).
    one_day = []
    for _ in range(5):
        day_stats_mark_changed(day=today)
        start = time.perf_counter()
        assert client.get(f"/admin/prediction-statistics/?{full}").status_code == 200
        one_day.append((time.perf_counter() - start) * 1000)
    print(f"statistics, today recounted: p50 {statistics.median(one_day):.0f} ms", flush=True)

    load = (load_before, os.getloadavg()[0])
    print(f"load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after", flush=True)
    if not args.no_docs:
        _write_docs(args, results, cold, one_day, load)
    return 0


def _write_docs(args, results, cold, one_day, load) -> None:
    import platform

    from bench.docs import write_section

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `python -m bench.admin_benchmark` on this "
        "2-core machine (shared with other work while it ran), "
        f"Python {platform.python_version()}, "
        f"the local single-node Cassandra 5.0: {args.records:,} predictions over {args.days} days "
        f"and {args.users} users in every table (about {args.records // args.days:,} per day "
        "partition), two model versions, 5% with feedback, 3% not sure. Each page is requested "
        f"once to warm up, then {PAGES} times through Django's test client as a staff user: "
        "the whole request in-process (session, staff check, Cassandra reads, template), "
        "not the network. The machine was busy with other builds and tests: load average "
        f"{load[0]:.1f} before and {load[1]:.1f} after the timing on 2 cores, so the tails (p95, "
        "max) are mostly waiting for a core; p50 is the figure to compare.",
        "",
        "| page | rows shown | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, url, times, rows in results:
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        lines.append(
            f"| {name} (`{url}`) | {rows} | {statistics.median(times):.1f} | {p95:.1f} "
            f"| {max(times):.1f} |"
        )
    lines += [
        "",
        "The statistics page reads one cached row per day (`prediction_day_stats`). A day the "
        "writer has marked changed since is recounted from its partition first:",
        "",
        f"- only today changed (the usual case): p50 {statistics.median(one_day):.0f} ms "
        f"over {len(one_day)} requests;",
        f"- every one of the {args.days} days changed (the worst case, e.g. after a bulk "
        f"import): p50 {statistics.median(cold):.0f} ms over {len(cold)} requests, "
        f"{statistics.median(cold) / args.days:.0f} ms per recounted day; the next request "
        "is back to the cached figure.",
    ]
    path = write_section("PERFORMANCE.md", "Admin", "\n".join(lines), title="Performance")
    print(f"Wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
