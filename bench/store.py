"""What one record's store costs, in this process: ways of writing the four tables side by side.

    .venv/bin/python -m bench.store [--records 600] [--block 50]

Each variant writes the same kind of record (a 28x28 PNG, ten probabilities, a user) to a
keyspace of its own making (``BENCH_KEYSPACE``, dropped afterwards), one record at a time,
in blocks that alternate between the variants so that the machine's other work falls on all
of them alike. Per record: wall time (p50, p99), this process's CPU (the driver's Python and
its reactor thread) and Cassandra's CPU. Nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from bench.docs import percentile
from bench.meters import cassandra_pids, cpu_seconds
from bench.site import KEYSPACE, bench_environment, cassandra_host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=600, help="per variant")
    parser.add_argument("--block", type=int, default=50)
    args = parser.parse_args(argv)
    if not 10 <= args.records <= 5000:
        raise SystemExit("--records 10..5000 keeps the run bounded")
    with bench_environment(keyspace=KEYSPACE) as bench:
        os.environ.update(bench.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mnistsite.settings")
        import django

        django.setup()
        return run(args)


def run(args: argparse.Namespace) -> int:
    from recognizer.records import cql
    from recognizer.records.record import PredictionRecord
    from recognizer.services import now_utc

    variants: dict[str, Callable[[cql.Operation], object]] = {"writer": cql.operation_apply}
    variants.update(extra_variants())
    image = open(__file__.replace("store.py", "seed_app.py"), "rb").read()[:300]  # noqa: SIM115

    def operation() -> cql.Operation:
        record = PredictionRecord(
            id=uuid.uuid4(),
            digits="7",
            upload_time=now_utc(),
            user_id=1,
            username="bench",
            confidence=0.99,
            unsure=False,
            probabilities=tuple(0.001 * d for d in range(10)),
            image=image,
            model_version="bench",
            source="api",
        )
        return cql.Operation(kind="save", record=record, write_time=cql.write_time_now())

    cassandra = cassandra_pids(int(os.environ.get("CASSANDRA_PORT", "9042")), cassandra_host())
    for apply in variants.values():  # prepare, connect
        apply(operation())
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu = dict.fromkeys(variants, 0.0)
    node = dict.fromkeys(variants, 0.0)
    done = 0
    while done < args.records:
        count = min(args.block, args.records - done)
        for name, apply in variants.items():
            ops = [operation() for _ in range(count)]
            cpu0, node0 = time.process_time(), sum(cpu_seconds(p) for p in cassandra)
            for op in ops:
                t0 = time.perf_counter()
                apply(op)
                wall[name].append((time.perf_counter() - t0) * 1000)
            cpu[name] += time.process_time() - cpu0
            node[name] += sum(cpu_seconds(p) for p in cassandra) - node0
        done += count
    print(f"\n{args.records} records per variant, one at a time, {datetime.now(UTC):%H:%M} UTC")
    print(
        f"{'variant':>22} {'p50 ms':>7} {'p99 ms':>7} {'our CPU ms':>11} {'Cassandra CPU ms':>17}"
    )
    for name in variants:
        n = len(wall[name])
        print(
            f"{name:>22} {statistics.median(wall[name]):7.2f} {percentile(wall[name], 99):7.2f} "
            f"{1000 * cpu[name] / n:11.2f} {1000 * node[name] / n:17.2f}"
        )
    return 0


def extra_variants() -> dict[str, Callable]:
    """Other ways to write the same rows, for comparison with the writer."""
    from cassandra.cluster import Cluster
    from cassandra.query import BatchStatement, BatchType
    from django.db import connections

    from recognizer.db import cassandra_keyspace, cassandra_session
    from recognizer.records import cql, keys

    def bound(session, op: cql.Operation, *, month_row: bool = True) -> list:
        s = cql._statements(session, cassandra_keyspace())
        r, stamp = op.record, op.write_time
        data = cql._data(r)
        month = keys.month_bucket(r.upload_time)
        out = [
            (s.insert_mnist1, [r.id, r.upload_time, r.user_id, r.username, *data, stamp]),
            (s.insert_by_user, [r.user_id, month, r.created, r.id, r.upload_time, *data, stamp]),
            (
                s.insert_by_day,
                [keys.day_bucket(r.upload_time), r.created, r.id, r.upload_time, r.user_id,
                 r.username, *data, stamp],
            ),
        ]  # fmt: skip
        if month_row:
            out.append((s.insert_month, [r.user_id, month, stamp]))
        return out

    def parallel(op, *, session=None, month_row=True):
        session = session or cassandra_session()
        futures = [
            session.execute_async(st, v) for st, v in bound(session, op, month_row=month_row)
        ]
        for f in futures:
            f.result()

    def batch(op, *, month_row=True):
        session = cassandra_session()
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        for st, v in bound(session, op, month_row=month_row):
            batch.add(st, v)
        batch.is_idempotent = True
        session.execute(batch)

    # The same node and settings through protocol v4, which has no v5 segment framing (its
    # CRCs are computed in Python).
    options = connections["cassandra"].settings_dict["OPTIONS"]["connection"]
    v4 = Cluster(
        os.environ.get("CASSANDRA_HOSTS", "127.0.0.1").split(","),
        protocol_version=4,
        **{k: v for k, v in options.items() if k not in ("lazy_connect", "retry_connect")},
    )
    v4_session = v4.connect()

    from cassandra.io.asyncioreactor import AsyncioConnection

    aio = Cluster(
        os.environ.get("CASSANDRA_HOSTS", "127.0.0.1").split(","),
        connection_class=AsyncioConnection,
        **{k: v for k, v in options.items() if k not in ("lazy_connect", "retry_connect")},
    )
    aio_session = aio.connect()

    def batch_on(session, op):
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        for st, v in bound(session, op):
            batch.add(st, v)
        batch.is_idempotent = True
        session.execute(batch)

    return {
        "batch, asyncio reactor": lambda op: batch_on(aio_session, op),
        "four parallel requests": parallel,
        "batch, no month row": lambda op: batch(op, month_row=False),
        "protocol v4": lambda op: parallel(op, session=v4_session),
    }


if __name__ == "__main__":
    sys.exit(main())
