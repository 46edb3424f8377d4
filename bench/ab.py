"""A/B in one sitting: the site of this working tree against the site of a git revision, by
CPU per answer, so that a change can be judged on a machine other work keeps busy.

    .venv/bin/python -m bench.ab [--base main] [--rate 40] [--seconds 15] [--rounds 3]

The revision is exported (``git archive``) into var/ab/<sha>/ and served beside this tree:
both under gunicorn with gunicorn.conf.py's worker model, production settings, one SQLite
file, one keyspace and one staff token. Then, alternating and swapping the order each round:

1. open-loop steps of vegeta at ``--rate`` for ``--seconds``: the workers' CPU ms and
   Cassandra's CPU ms per answered 200, p50/p99, and new ``mnist1`` rows against the 200s;
2. ``--serial`` drawings one at a time: the ``Server-Timing`` stages and the round trip.

Both are sent the drawings as the page uploads them; ``--base-canvas`` sends the base whole
280x280 canvases instead (what the page uploaded before it scaled big drawings down), so
``--base HEAD --base-canvas`` measures the upload itself on the same code.

Absolute rates mean little on a shared machine; the CPU per answer of the two, measured
through the same minutes, is the figure to compare. Nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from bench.designs import Design, first_prediction, predict_body
from bench.docs import percentile
from bench.load import run_step, server_time
from bench.site import KEYSPACE, ROOT, bench_environment, cassandra_host
from bench.site import gunicorn as gunicorn_server
from bench.vegeta import find_vegeta, write_targets
from training.strokes import drawn_digit, render_strokes, upload_png


def export_revision(revision: str) -> Path:
    """The tree of ``revision`` in var/ab/<sha>/ (exported once, then reused)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    target = ROOT / "var" / "ab" / sha[:12]
    if not (target / "manage.py").is_file():
        archive = subprocess.run(
            ["git", "archive", "--format=tar", sha], cwd=ROOT, check=True, capture_output=True
        ).stdout
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the git revision to compare against")
    parser.add_argument("--rate", type=float, default=40.0, help="requests/s in each step")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serial", type=int, default=200, help="requests one at a time, each")
    parser.add_argument("--port", type=int, default=8600, help="this and the next port")
    parser.add_argument(
        "--base-canvas", action="store_true", help="send the base whole 280x280 canvases"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 10 or not 1 <= args.seconds <= 60 or not 1 <= args.rate <= 500:
        raise SystemExit("--rounds 1..10, --seconds 1..60 and --rate 1..500 keep the run bounded")
    vegeta = find_vegeta()
    trees = {"base": export_revision(args.base), "head": ROOT}
    rng = np.random.default_rng(11)
    drawn = [drawn_digit(i % 10, rng) for i in range(100)]
    uploads = [predict_body(upload_png(s)) for s in drawn]
    base = [predict_body(render_strokes(s)) for s in drawn] if args.base_canvas else uploads
    bodies = {"base": base, "head": uploads}
    with ExitStack() as stack:
        bench = stack.enter_context(bench_environment(keyspace=KEYSPACE))
        from cassandra.cluster import Cluster

        cluster = Cluster([cassandra_host(bench.env)])
        stack.callback(cluster.shutdown)
        session = cluster.connect(KEYSPACE)

        def count_rows() -> int:
            return session.execute("SELECT COUNT(*) FROM mnist1", timeout=120).one()[0]

        designs = []
        for index, (name, tree) in enumerate(trees.items()):
            design = Design(
                name=name,
                app="mnistsite.wsgi",
                worker_class="gthread",
                workers=2,
                threads=4,
                port=args.port + index,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Token {bench.token}",
                },
            )
            print(f"Starting {name} from {tree}...", flush=True)
            design.server = stack.enter_context(
                gunicorn_server(
                    design.app, port=design.port, env=bench.env, args=design.gunicorn_args(),
                    ready_path=None, name=f"ab-{name}", cwd=tree,
                )
            )  # fmt: skip
            first_prediction(design, bodies[name][0])
            design.targets = bench.workdir / f"targets-ab-{name}.jsonl"
            write_targets(
                design.targets, f"{design.server.url}/api/v1/predict", bodies[name], design.headers
            )
            designs.append(design)

        steps = {d.name: [] for d in designs}
        for round_ in range(1, args.rounds + 1):
            order = designs if round_ % 2 else list(reversed(designs))
            for design in order:
                step = run_step(
                    design, vegeta, rate=args.rate, seconds=args.seconds, round_=round_,
                    count_rows=count_rows,
                )  # fmt: skip
                steps[design.name].append(step)
                print(
                    f"  r{round_} {design.name}: {step.ok_per_s:.1f} ok/s, p50 {step.p50:.1f} "
                    f"p99 {step.p99:.1f} ms, errors {step.errors}, rows {step.new_rows}/{step.ok}, "
                    f"CPU ms/answer workers {step.cpu_ms_per_answer(sum(step.worker_cpu)):.2f} "
                    f"Cassandra {step.cpu_ms_per_answer(step.cassandra_cpu):.2f}, "
                    f"others {step.others_cpu:.0f}%",
                    flush=True,
                )
        print(f"Serial: {args.serial} requests to each, alternating...", flush=True)
        serial = {
            name: [sent[i % len(sent)] for i in range(args.serial)] for name, sent in bodies.items()
        }
        timing = server_time(designs, serial, {})["designs"]

    print(f"\nA/B at {args.rate:g}/s, {args.rounds} x {args.seconds:g} s each (medians of rounds):")
    print(f"{'':>6} {'workers ms/ans':>15} {'Cassandra ms/ans':>17} {'p50 ms':>8} {'p99 ms':>8}")
    for name, runs in steps.items():
        worker = statistics.median(s.cpu_ms_per_answer(sum(s.worker_cpu)) for s in runs)
        cassandra = statistics.median(s.cpu_ms_per_answer(s.cassandra_cpu) for s in runs)
        p50 = statistics.median(s.p50 for s in runs)
        p99 = statistics.median(s.p99 for s in runs)
        lost = sum(s.ok - s.new_rows for s in runs)
        note = f"  ({lost} answers without a row!)" if lost else ""
        print(f"{name:>6} {worker:15.2f} {cassandra:17.2f} {p50:8.1f} {p99:8.1f}{note}")
    print("\nServer-Timing p50 / p99 ms, one request at a time:")
    for name, stages in timing.items():
        parts = [
            f"{stage} {percentile(v, 50):.2f}/{percentile(v, 99):.2f}"
            for stage, v in stages.items()
        ]
        print(f"{name:>6}: " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
