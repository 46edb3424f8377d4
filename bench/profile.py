"""Where a site worker's time goes under load: py-spy flame graphs of every worker while vegeta
sends drawn digits at a fixed rate.

    .venv/bin/python -m bench.profile [--rate 40] [--seconds 20]

Writes var/bench/flame-<pid>.svg (open in a browser) and prints the functions that take the
largest share of the workers' samples (inclusive), so the lessons can go to docs/PERFORMANCE.md.
Also prints the local Cassandra node's CPU over the same seconds, by JVM thread group (its
request stages, commit log, JIT compiler, garbage collector), from /proc.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.designs import predict_body
from bench.meters import cassandra_pids, cpu_seconds
from bench.site import KEYSPACE, ROOT, bench_environment, gunicorn
from bench.vegeta import find_vegeta, write_targets
from training.strokes import drawn_digit, render_strokes, upload_png


def py_spy() -> str:
    path = Path(sys.executable).parent / "py-spy"
    if not path.is_file():
        raise SystemExit("py-spy is not installed: pip install -r requirements-dev.txt")
    return str(path)


def inclusive_shares(raw: Path, *, top: int) -> list[tuple[float, str]]:
    """Share of samples in which each function is on the stack (idle waits excluded)."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")
        if not any("handle_request" in f for f in frames):
            continue  # the worker waiting for a request
        total += int(number)
        seen = set()
        for frame in frames:
            name, _, where = frame.partition(" (")
            label = f"{name} ({where.split(':')[0].split('/')[-1]}"
            if label not in seen:
                seen.add(label)
                counts[label] += int(number)
    return [(100 * n / max(total, 1), label + ")") for label, n in counts.most_common(top)]


# Cassandra's request stages share one pool of threads, and a thread takes the name of the
# stage it last worked for, so they are counted together.
SHARED_POOL_STAGES = ("Native-Transpor", "MutationStage", "ReadStage", "RequestResponseS")


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Each of ``pid``'s threads: its name without the number ("MutationStage-7" ->
    "MutationStage") and its CPU seconds so far."""
    threads = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue  # the thread ended
        if name.startswith(SHARED_POOL_STAGES):
            name = "request stages (shared pool)"
        tid = int(task.name)
        threads[tid] = (re.sub(r"[-:#\s\d]+$", "", name), cpu_seconds(pid, tid))
    return threads


def cpu_by_group(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each group of threads used between two ``thread_cpu`` readings."""
    used: collections.Counter[str] = collections.Counter()
    for tid, (name, seconds) in after.items():
        used[name] += max(0.0, seconds - before.get(tid, (name, 0.0))[1])
    return dict(used)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=8609)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--native", action="store_true", help="also sample C frames")
    parser.add_argument(
        "--gil",
        action="store_true",
        help="sample only the thread holding the GIL: shares of CPU, not of threads waiting for it",
    )
    parser.add_argument(
        "--no-spy",
        action="store_true",
        help="only the Cassandra node's threads: py-spy's own CPU makes the node's thread "
        "pools spin less, so its figures differ with py-spy running",
    )
    parser.add_argument(
        "--canvas-scale",
        type=float,
        default=None,
        help="send whole canvases of 280 px times this, not the page's uploads",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 120 or not 1 <= args.rate <= 1000:
        raise SystemExit("--seconds 1..120 and --rate 1..1000 keep the run bounded")
    vegeta, spy = find_vegeta(), (None if args.no_spy else py_spy())
    started = time.time()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    drawn = [drawn_digit(i % 10, rng) for i in range(100)]
    pngs = [
        upload_png(s) if args.canvas_scale is None else render_strokes(s, scale=args.canvas_scale)
        for s in drawn
    ]
    bodies = [predict_body(png) for png in pngs]
    with (
        bench_environment(keyspace=KEYSPACE) as bench,
        gunicorn("mnistsite.wsgi", port=args.port, env=bench.env, ready_path="/readyz") as server,
    ):
        targets = out / "targets-profile.jsonl"
        headers = {"Content-Type": "application/json", "Authorization": f"Token {bench.token}"}
        write_targets(targets, f"{server.url}/api/v1/predict", bodies, headers)
        watched = "" if args.no_spy else f", py-spy on {server.workers()}"
        print(f"vegeta at {args.rate}/s for {args.seconds} s{watched}...")
        attack = subprocess.Popen(
            [vegeta, "attack", "-format=json", f"-targets={targets}", f"-rate={args.rate}/1s",
             f"-duration={args.seconds + 4}s", "-timeout=10s", f"-output={out / 'profile.bin'}"],
        )  # fmt: skip
        time.sleep(2)
        nodes = cassandra_pids()
        if args.no_spy and not nodes:
            raise SystemExit("--no-spy measures the local Cassandra node, and none answers")
        node_before, node_started = (thread_cpu(nodes[0]), time.monotonic()) if nodes else ({}, 0)
        spies = []
        for pid in [] if args.no_spy else server.workers():
            for fmt in ("raw", "flamegraph"):
                suffix = "txt" if fmt == "raw" else "svg"
                command = [spy, "record", "--pid", str(pid), "--duration", str(args.seconds),
                           "--rate", "250", "--format", fmt, "--nonblocking",
                           "--output", str(out / f"flame-{pid}.{suffix}")]  # fmt: skip
                if args.native:
                    command.append("--native")
                if args.gil:
                    command.append("--gil")
                spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        if nodes:  # over the seconds profiled, while vegeta is still sending
            time.sleep(max(0.0, node_started + args.seconds - time.monotonic()))
            node_after, seconds = thread_cpu(nodes[0]), time.monotonic() - node_started
        for process in spies:
            process.wait(timeout=args.seconds + 60)
        attack.wait(timeout=args.seconds + 60)
    for raw in sorted(out.glob("flame-*.txt")):
        if raw.stat().st_mtime < started:
            continue
        print(f"\n{raw.name}: share of busy samples (inclusive)")
        for share, label in inclusive_shares(raw, top=args.top):
            print(f"  {share:5.1f}%  {label}")
    if nodes:
        used = cpu_by_group(node_before, node_after)
        total = sum(used.values())
        print(
            f"\nCassandra (pid {nodes[0]}) over {seconds:.0f} s: {100 * total / seconds:.0f}% of a "
            f"core, {1000 * total / seconds / args.rate:.2f} ms per request sent"
        )
        for name, cpu in sorted(used.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {100 * cpu / seconds:5.1f}%  {name}")
    graphs = [p for p in out.glob("flame-*.svg") if p.stat().st_mtime >= started]
    if graphs:
        print(f"\nflame graphs: {', '.join(str(p.relative_to(ROOT)) for p in graphs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
