"""What each commitlog_sync mode costs per write, on a node of its own.

    .venv/bin/python -m bench.commitlog_sync [--writes 2000]

For each of periodic, group (15 ms window) and batch it starts a one-node cluster
(``scripts/cassandra --cluster commitlog``, 127.0.0.41, never the development node),
writes record-sized rows (a 28x28 PNG, ten probabilities) one after another and then
64 at a time, prints the latency and throughput, and stops the node.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "cassandra"
CLUSTER = ["--cluster", "commitlog", "--address-offset", "40"]
HOST = "127.0.0.41"
MODES = ("periodic", "group", "batch")


def node(command: str, mode: str) -> None:
    env = {**os.environ, "CASSANDRA_COMMITLOG_SYNC": mode, "CASSANDRA_HEAP": "512m"}
    subprocess.run([sys.executable, str(SCRIPT), *CLUSTER, command], env=env, check=True)


def measure(writes: int) -> dict[str, float]:
    from cassandra.cluster import Cluster
    from cassandra.concurrent import execute_concurrent_with_args

    cluster = Cluster([HOST], connect_timeout=5)
    session = cluster.connect()
    session.execute(
        "CREATE KEYSPACE IF NOT EXISTS bench WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    )
    session.execute(
        "CREATE TABLE IF NOT EXISTS bench.records (id uuid PRIMARY KEY, digits text, "
        "upload_time timestamp, probabilities list<float>, image blob)"
    )
    insert = session.prepare(
        "INSERT INTO bench.records (id, digits, upload_time, probabilities, image) "
        "VALUES (?, ?, ?, ?, ?)"
    )
    image = os.urandom(300)
    probabilities = [0.1] * 10

    def row() -> tuple:
        return (uuid.uuid4(), "7", datetime.now(UTC), probabilities, image)

    for _ in range(200):  # warm up the JIT and the connection
        session.execute(insert, row())
    latencies = []
    for _ in range(writes):
        started = time.perf_counter()
        session.execute(insert, row())
        latencies.append((time.perf_counter() - started) * 1000)
    rows = [row() for _ in range(writes * 2)]
    started = time.perf_counter()
    execute_concurrent_with_args(session, insert, rows, concurrency=64)
    elapsed = time.perf_counter() - started
    cluster.shutdown()
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "mean_ms": statistics.fmean(latencies),
        "concurrent_per_s": len(rows) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args()
    results = {}
    for mode in args.modes:
        node("start", mode)
        try:
            results[mode] = measure(args.writes)
        finally:
            node("stop", mode)
        print(mode, {k: round(v, 2) for k, v in results[mode].items()}, flush=True)
    print("\n| commitlog_sync | one at a time p50 | p99 | mean | 64 in flight |")
    print("| --- | --- | --- | --- | --- |")
    for mode, r in results.items():
        print(
            f"| {mode} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['mean_ms']:.2f} ms "
            f"| {r['concurrent_per_s']:.0f} writes/s |"
        )


if __name__ == "__main__":
    main()
