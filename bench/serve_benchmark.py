"""Server time per prediction under gunicorn, against the 2019 prototype's serving path.

    .venv/bin/python -m bench.serve_benchmark [--requests 300] [--port 8765]

Needs the local Cassandra (``scripts/cassandra start``). It runs gunicorn on 127.0.0.1 with
its own SQLite file and its own keyspace (dropped afterwards), sends drawn digits one at a
time with an API token, and reads each answer's ``Server-Timing`` header (decode and
preprocess, infer, store). In the same run it times the prototype's path in-process on the
same drawings: the whole canvas resized to 28x28, ``model.predict`` per request and a plain
INSERT. Writes the "Serving" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np

from bench.docs import percentile, write_section
from bench.drawn_digits import MODEL, seed_preprocess
from bench.site import KEYSPACE, ROOT, RunningSite, running_site
from training.strokes import drawn_digit_png


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def server_timing(header: str) -> dict[str, float]:
    timings = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        timings[name] = float(duration)
    return timings


def ours(pngs: list[bytes], site: RunningSite) -> dict[str, object]:
    stages: dict[str, list[float]] = {"preprocess": [], "infer": [], "store": []}
    totals, round_trips = [], []
    for index, png in enumerate(pngs):
        body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()})
        request = urllib.request.Request(  # noqa: S310
            f"{site.url}/api/v1/predict",
            data=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {site.token}"},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.loads(response.read())
            timing = server_timing(response.headers["Server-Timing"])
        round_trips.append((time.perf_counter() - started) * 1000)
        assert answer["stored"], answer
        for name in stages:
            stages[name].append(timing[name])
        totals.append(sum(timing.values()))
        if (index + 1) % 100 == 0:
            print(f"  gunicorn: {index + 1}/{len(pngs)} requests", flush=True)
    memory = [rss_mb(pid) for pid in children(site.pid)]
    return {"stages": stages, "totals": totals, "round_trips": round_trips, "rss": memory}


def prototype(pngs: list[bytes], env: dict[str, str]) -> dict[str, list[float]]:
    """The seed's serving path, in-process: resize, ``model.predict``, INSERT."""
    import keras
    from cassandra.cluster import Cluster

    model = keras.models.load_model(MODEL, compile=False)
    cluster = Cluster(["127.0.0.1"], port=int(env.get("CASSANDRA_PORT", "9042")))
    session = cluster.connect(KEYSPACE)
    insert = session.prepare("INSERT INTO mnist1 (id, digits, upload_time) VALUES (?, ?, ?)")
    stages: dict[str, list[float]] = {"preprocess": [], "infer": [], "store": []}
    try:
        for index, png in enumerate(pngs):
            t0 = time.perf_counter()
            x = seed_preprocess(png).reshape(1, 28, 28, 1)
            t1 = time.perf_counter()
            digit = int(np.argmax(model.predict(x, verbose=0)))
            t2 = time.perf_counter()
            session.execute(insert, (uuid.uuid4(), f"[{digit}]", time.time_ns() // 1_000_000))
            t3 = time.perf_counter()
            for name, ms in zip(stages, ((t1 - t0), (t2 - t1), (t3 - t2)), strict=True):
                stages[name].append(ms * 1000)
            if (index + 1) % 100 == 0:
                print(f"  prototype: {index + 1}/{len(pngs)} requests", flush=True)
    finally:
        cluster.shutdown()
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(11)
    pngs = [drawn_digit_png(i % 10, rng, scale=2.0) for i in range(args.requests)]
    with running_site(port=args.port) as site:
        print(f"This site under gunicorn, {args.requests} requests...", flush=True)
        measured = ours(pngs, site)
        print(f"The prototype's path, {args.requests} requests...", flush=True)
        seed = prototype(pngs, site.env)

    def row(name: str, values: list[float]) -> str:
        return f"| {name} | {percentile(values, 50):.2f} | {percentile(values, 99):.2f} |"

    seed_total = [sum(parts) for parts in zip(*seed.values(), strict=True)]
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.serve_benchmark "
            f"--requests {args.requests}` on this 2-core machine: gunicorn (2 workers x 2 "
            "threads) on 127.0.0.1, the local single-node Cassandra, drawn digits at 2x device "
            "pixels (560x560 PNG) sent one at a time. Server stages come from each answer's "
            "`Server-Timing` header; the prototype's path (whole canvas resized to 28x28, "
            "`model.predict` per request, plain INSERT) is timed in-process on the same drawings.",
            "",
            "| this site, ms | p50 | p99 |",
            "| --- | --- | --- |",
            row("decode + preprocess", measured["stages"]["preprocess"]),
            row("infer (LiteRT)", measured["stages"]["infer"]),
            row("store (Cassandra, LOCAL_QUORUM)", measured["stages"]["store"]),
            row("**server total**", measured["totals"]),
            row("round trip seen by the client", measured["round_trips"]),
            "",
            "| the 2019 prototype's path, ms | p50 | p99 |",
            "| --- | --- | --- |",
            row("resize", seed["preprocess"]),
            row("infer (`model.predict`)", seed["infer"]),
            row("store (INSERT)", seed["store"]),
            row("**total**", seed_total),
            "",
            "Worker memory (RSS after the run): "
            + ", ".join(f"{mb:.0f} MB" for mb in measured["rss"]),
        ]
    )
    path = write_section("PERFORMANCE.md", "Serving", body, title="Performance")
    print(body)
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
