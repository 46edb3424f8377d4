"""Speed under load: this site against the 2019 prototype's design, side by side in one run.

    make bench                       # installs vegeta, then runs this with the defaults
    .venv/bin/python -m bench.load [--designs site,seed] [--rounds 2] [--step-seconds 10]
    .venv/bin/python -m bench.load --designs site:gthread,site:sync,site:gevent,seed

Both designs run under gunicorn on 127.0.0.1 with the same worker class and count, the same
model file and the same local Cassandra keyspace (``BENCH_KEYSPACE``, created and dropped),
the site with production settings and a staff user's API token. ``seed`` is
``bench/seed_app.py``: per request it writes the PNG to disk, resizes the whole canvas to 28x28,
calls ``model.predict`` and runs one un-prepared INSERT.

1. First prediction: from launching gunicorn to the first answered prediction. Then a warm-up,
   not measured: each design under steady load for ``--warm-up-seconds``, because a Cassandra
   node just started spends up to half a core compiling its request path (the JVM's JIT) in
   its first minutes under load, which would otherwise fall on the first measured steps.
2. Server time: drawings sent one at a time, the designs taking turns in blocks of 50; the site's
   stages come from its ``Server-Timing`` header, and decoding is split from the geometry
   in-process.
3. Load: vegeta sends real drawn digits (PNG data URLs, as the page uploads them) in an
   OPEN loop at fixed rates - requests leave on schedule whether or not earlier ones were
   answered, so a slow server cannot slow the clock and hide its tail. The rate climbs until the
   design saturates (under 90% of the offered rate answered 200, over 1% errors, or p99 over
   2 s); steps alternate between the designs, and the ladder runs ``--rounds`` times (the later
   rounds finer, around the first round's peak). Each step reports requests/s, p50/p95/p99,
   errors, new ``mnist1`` rows (which must equal the 200s), each worker's CPU and resident
   memory, Cassandra's and vegeta's CPU, and how busy the rest of the machine was.
4. Half load: each site design at half of its own peak throughput for 60 s, for p99: over
   the whole step, and per 20 s so that a slow window (the node flushing or compacting on
   the same cores) shows as what it is.
5. Closed loop, issue 12's own measure: 8 clients (``--clients``) that each post their next
   drawing, a whole 280x280 canvas, as soon as the last is answered, 15 s a step, the designs
   alternating A/B then B/A (``--closed-rounds``). Its ratio is beside the open loop's.
6. Page weight and static-file headers, as a browser with a session sees them.

Every loop is bounded in count and time; all traffic stays on 127.0.0.1. Writes the "Serving",
"Load" and "Page weight" sections of docs/PERFORMANCE.md (and "Worker model" when several site
designs ran), and the raw figures to var/bench/.

What the serving benchmarks share lives beside it: ``bench.designs`` (the designs and how to
post to them), ``bench.vegeta`` (the load generator) and ``bench.meters`` (CPU and memory
of processes).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import statistics
import sys
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
from PIL import Image

from bench import image_limits
from bench.designs import Design, first_prediction, make_designs, post, predict_body
from bench.docs import percentile, write_section
from bench.meters import Meter, cassandra_pids, process_cpu_from_children
from bench.site import (
    KEYSPACE,
    ROOT,
    USERNAME,
    BenchEnvironment,
    bench_environment,
    cassandra_host,
)
from bench.site import gunicorn as gunicorn_server
from bench.vegeta import (
    VEGETA_VERSION,
    attack,
    attack_args,
    find_vegeta,
    results,
    window_p99s,
    write_targets,
)
from recognizer.preprocessing import UPLOAD_INK_SIDE
from training.strokes import drawn_digit, render_strokes, upload_png

MODEL = ROOT / "recognizer" / "ml" / "mnist_cnn.keras"
# A step past any of these is saturated: the ladder stops climbing for that design.
MIN_ANSWERED_SHARE = 0.90
MAX_ERROR_SHARE = 0.01
MAX_P99_MS = 2000.0
MAX_STEPS = 12
# A slow design's step lasts long enough for this many requests, so its peak is not a guess
# from a handful of answers (the seed's design manages a few per second).
MIN_REQUESTS_PER_STEP = 40
MAX_STEP_SECONDS = 40
LIMITS_PROSE = (
    "past 2048 px a side, 4,000,000 pixels, or 8 MB once decoded (2 M pixels of RGBA; 2 MB "
    "for a progressive JPEG, which libjpeg decodes whole) an upload is refused (413) from its "
    "header, before a pixel is decoded; what is accepted is shrunk while decoding to at most "
    "1024 px a side (a baseline JPEG by libjpeg's DCT scaling through Pillow's `draft`, a PNG "
    "by a box `reduce` after inflating). The API refuses bodies over 2 MB before reading them. "
    "CPU time is what an upload costs the server; wall time also says how busy the machine was."
)
# The server-time phase: each design answers this many drawings in a row, after a pause.
SERIAL_BLOCK = 50
SERIAL_PAUSE_S = 1.0
# The warm-up's rates: steady load, well under each design's peak.
WARM_UP_RATE_SITE = 100.0
WARM_UP_RATE_SEED = 8.0
# The half-load step is long enough to hold several of the node's background jobs (a memtable
# flush every 20-40 s, a compaction about every minute), and its p99 is also given per window
# of this many seconds, so that one job falling in one window shows as what it is.
HALF_LOAD_SECONDS = 60.0
WINDOW_SECONDS = 20.0
# Issue 12's own measure: `hey` with 8 concurrent clients posting a 280x280 drawing for 15 s,
# the designs alternating (here A/B, then B/A).
CLOSED_CLIENTS = 8
CLOSED_SECONDS = 15.0
CLOSED_ROUNDS = 2


@dataclass
class Step:
    design: str
    round: int
    rate: float  # offered requests/s (0 in a closed loop)
    seconds: float
    span: float = 0.0  # first send to last answer
    requests: int = 0
    ok: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    window_p99: list[float] = field(default_factory=list)  # ms, per WINDOW_SECONDS of sends
    new_rows: int = 0
    worker_cpu: list[float] = field(default_factory=list)  # % of one core, per worker
    worker_rss: list[float] = field(default_factory=list)  # MB, peak
    master_cpu: float = 0.0
    cassandra_cpu: float = 0.0
    vegeta_cpu: float = 0.0
    others_cpu: float = 0.0  # the rest of the machine: other engineers, the bench itself
    machine_busy: float = 0.0  # % of all cores
    wall: float = 0.0  # seconds the CPU figures were measured over
    clients: int = 0  # a closed loop of this many clients; 0: an open loop at ``rate``

    def cpu_ms_per_answer(self, percent: float) -> float:
        """CPU milliseconds per 200 of a process group that used ``percent`` of one core."""
        return percent / 100 * self.wall / max(self.ok, 1) * 1000

    @property
    def ok_per_s(self) -> float:
        """Throughput: 200s over the time from the first send to the last answer, so answers
        that trail in after the step (a queue building up) do not count as keeping up."""
        return self.ok / max(self.span, self.seconds)

    @property
    def errors(self) -> int:
        return self.requests - self.ok

    @property
    def saturated(self) -> bool:
        return (
            self.ok_per_s < MIN_ANSWERED_SHARE * self.rate
            or self.errors > MAX_ERROR_SHARE * max(self.requests, 1)
            or self.p99 > MAX_P99_MS
        )


def warm_up(designs: list[Design], vegeta: str, *, seconds: float) -> None:
    """Steady load on each design in turn, answers not kept: the Cassandra node's JIT and the
    servers' caches reach the state a running deployment is in."""
    for design in designs:
        assert design.targets is not None
        rate = WARM_UP_RATE_SITE if design.is_site else WARM_UP_RATE_SEED
        print(f"  {design.name} at {rate:g}/s for {seconds:g} s", flush=True)
        out = design.targets.with_suffix(".warm-up.bin")
        attack(attack_args(vegeta, design.targets, rate=rate, seconds=seconds, out=out),
               seconds=seconds)  # fmt: skip
        out.unlink(missing_ok=True)


# --- phases --------------------------------------------------------------------------------------


def server_time(
    designs: list[Design], bodies: dict[str, list[bytes]], drawings: dict[str, list[bytes]]
) -> dict:
    """Requests one at a time; stages from Server-Timing. The designs take turns in blocks of
    ``SERIAL_BLOCK`` drawings, with a pause between blocks: taking turns request by request,
    the site's server time came out twice what it is alone (9.3 against 4.7 ms p50), the seed's
    TensorFlow process still busy on the two cores after its own answers."""
    from recognizer import preprocessing

    results: dict[str, dict[str, list[float]]] = {d.name: {"round_trip": []} for d in designs}
    connections = {d.name: None for d in designs}
    count = min(len(sent) for sent in bodies.values())
    for first in range(0, count, SERIAL_BLOCK):
        for design in designs:
            assert design.server is not None
            time.sleep(SERIAL_PAUSE_S)
            # The server may have closed the idle connection while the others had their turn.
            if connections[design.name] is not None:
                connections[design.name].close()
                connections[design.name] = None
            url = design.server.url + ("/api/v1/predict" if design.is_site else "/")
            for body in bodies[design.name][first : first + SERIAL_BLOCK]:
                started = time.perf_counter()
                status, headers, _, connections[design.name] = post(
                    url, body, design.headers, connections[design.name]
                )
                results[design.name]["round_trip"].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise SystemExit(
                        f"{design.name} answered {status} during the server-time phase"
                    )
                timing = headers.get("Server-Timing")
                if timing:
                    total = 0.0
                    for part in timing.split(","):
                        name, _, duration = part.strip().partition(";dur=")
                        results[design.name].setdefault(name, []).append(float(duration))
                        total += float(duration)
                    results[design.name].setdefault("server total", []).append(total)
        done = min(first + SERIAL_BLOCK, count)
        print(f"  server time: {done}/{count} drawings", flush=True)
    # Decoding against geometry, in this process on the same drawings (not in Server-Timing).
    split: dict[str, list[float]] = {}
    for label, pngs in drawings.items():
        for png in pngs * 2:
            t0 = time.perf_counter()
            page = preprocessing.page_from_image(preprocessing.decode_image(png))
            t1 = time.perf_counter()
            preprocessing.field_from_page(page)
            t2 = time.perf_counter()
            split.setdefault(f"decode, {label}", []).append((t1 - t0) * 1000)
            split.setdefault(f"geometry, {label}", []).append((t2 - t1) * 1000)
    return {"designs": results, "in_process": split}


def run_step(
    design: Design,
    vegeta: str,
    *,
    seconds: float,
    round_: int,
    count_rows,
    rate: float | None = None,
    clients: int | None = None,
    targets: Path | None = None,
) -> Step:
    """One step at ``rate`` requests/s, or of ``clients`` in a closed loop, posting ``targets``
    (the design's own if None)."""
    targets = targets or design.targets
    assert design.server is not None and targets is not None
    step = Step(
        design=design.name, round=round_, rate=rate or 0.0, seconds=seconds, clients=clients or 0
    )
    rows_before = count_rows()
    groups = {
        "workers": design.server.workers(),
        "master": [design.server.pid],
        "cassandra": cassandra_pids(
            int(os.environ.get("CASSANDRA_PORT", "9042")), cassandra_host()
        ),
    }
    out = targets.with_suffix(".bin")
    process_cpu_from_children()
    with Meter(groups) as meter:
        command = attack_args(vegeta, targets, seconds=seconds, out=out, rate=rate, clients=clients)
        attack(command, seconds=seconds)
        vegeta_cpu = process_cpu_from_children()
    recorded = results(vegeta, out)
    latencies, codes, step.span = recorded.latencies, recorded.codes, recorded.span
    step.window_p99 = window_p99s(recorded.sent, latencies, width=WINDOW_SECONDS)
    # Timed-out requests may still be finishing on the server: let them land before counting.
    if codes.get("no answer"):
        time.sleep(3)
    step.new_rows = count_rows() - rows_before
    step.requests = len(latencies)
    step.ok = codes.get("200", 0)
    step.codes = codes
    step.p50, step.p95, step.p99 = (percentile(latencies, q) for q in (50, 95, 99))
    wall = step.wall = meter.wall
    step.worker_cpu = [100 * meter.cpu[pid] / wall for pid in groups["workers"]]
    step.worker_rss = [meter.peak_rss.get(pid, 0.0) for pid in groups["workers"]]
    step.master_cpu = 100 * meter.group_cpu("master") / wall
    step.cassandra_cpu = 100 * meter.group_cpu("cassandra") / wall
    step.vegeta_cpu = 100 * vegeta_cpu / wall
    ours = sum(meter.cpu.values()) + vegeta_cpu
    step.others_cpu = 100 * max(0.0, meter.machine_busy - ours) / wall
    step.machine_busy = 100 * meter.machine_busy / (wall * meter.machine_cores)
    return step


def windows_prose(step: Step) -> str:
    if not step.window_p99:
        return ""
    each = ", ".join(f"{p:.1f}" for p in step.window_p99)
    return f" (p99 of each {WINDOW_SECONDS:g} s: {each} ms)"


def describe(step: Step) -> str:
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(step.codes.items()) if k != "200")
    offered = f"{step.clients} clients" if step.clients else f"{step.rate:7.1f}/s"
    return (
        f"{step.design:>12} r{step.round} {offered} -> {step.ok_per_s:7.1f} ok/s  "
        f"p50 {step.p50:7.1f}  p95 {step.p95:7.1f}  p99 {step.p99:7.1f} ms{windows_prose(step)}  "
        f"errors {step.errors}{' (' + codes + ')' if codes else ''}  "
        f"rows {step.new_rows}/{step.ok}  "
        f"workers CPU {'+'.join(f'{c:.0f}' for c in step.worker_cpu)}%  "
        f"RSS {'/'.join(f'{m:.0f}' for m in step.worker_rss)} MB  "
        f"({step.cpu_ms_per_answer(sum(step.worker_cpu)):.1f} ms/answer)  "
        f"Cassandra {step.cassandra_cpu:.0f}%  vegeta {step.vegeta_cpu:.0f}%  "
        f"others {step.others_cpu:.0f}%"
        f"{'  SATURATED' if step.saturated and not step.clients else ''}"
    )


def ladders(designs, vegeta, args, count_rows) -> list[Step]:
    """Alternate designs step by step, climbing each design's rate until it saturates."""
    steps: list[Step] = []
    start = {d.name: round(args.site_start if d.is_site else args.seed_start) for d in designs}
    for round_ in range(1, args.rounds + 1):
        if round_ == 1:
            rates = {d.name: start[d.name] for d in designs}
            factor = 1.5
        else:
            # Finer steps around what the earlier rounds found.
            best = {d.name: max(s.ok_per_s for s in steps if s.design == d.name) for d in designs}
            rates = {name: max(start[name], round(0.7 * best[name])) for name in best}
            factor = 1.15
        climbing = list(designs)
        # A design that has saturated keeps running at its best rate so far, step for step with
        # those still climbing: every design is then measured through the same stretch of time,
        # so a quieter (or busier) minute on this shared machine cannot favour one of them.
        pacing: list[Design] = []
        for index in range(MAX_STEPS):
            if not climbing:
                break
            for design in [d for d in designs if d in climbing or d in pacing]:
                if design in climbing:
                    rate = rates[design.name]
                else:
                    best = max(s.ok_per_s for s in steps if s.design == design.name)
                    rate = max(1, round(best))
                seconds = min(
                    MAX_STEP_SECONDS, max(args.step_seconds, MIN_REQUESTS_PER_STEP / rate)
                )
                state = "" if design in climbing else " (saturated: pacing at its best)"
                print(
                    f"  round {round_}/{args.rounds}, step {index + 1}: {design.name} at "
                    f"{rate:g}/s for {seconds:g} s{state}...",
                    flush=True,
                )
                step = run_step(
                    design,
                    vegeta,
                    rate=rate,
                    seconds=seconds,
                    round_=round_,
                    count_rows=count_rows,
                )
                steps.append(step)
                print("   " + describe(step), flush=True)
                if design in climbing and step.saturated:
                    climbing.remove(design)
                    pacing.append(design)
                elif design in climbing:
                    rates[design.name] = max(rate + 1, round(rate * factor))
            if index == MAX_STEPS - 1 and climbing:
                print(f"  stopped after {MAX_STEPS} steps without saturating: {climbing}")
    return steps


def peak(steps: list[Step], design: str) -> Step:
    return max((s for s in steps if s.design == design), key=lambda s: s.ok_per_s)


def sustained(steps: list[Step], design: str) -> Step | None:
    good = [s for s in steps if s.design == design and not s.saturated]
    return max(good, key=lambda s: s.rate) if good else None


def closed_loop(designs, vegeta, args, count_rows) -> list[Step]:
    """Issue 12's own measure: ``--clients`` clients in a closed loop posting whole 280x280
    canvases for CLOSED_SECONDS a step, the designs alternating, the order swapped each round."""
    steps: list[Step] = []
    for round_ in range(1, args.closed_rounds + 1):
        for design in designs if round_ % 2 else designs[::-1]:
            print(
                f"  round {round_}/{args.closed_rounds}: {design.name}, {args.clients} clients "
                f"for {CLOSED_SECONDS:g} s...",
                flush=True,
            )
            assert design.canvas_targets is not None
            step = run_step(
                design, vegeta, clients=args.clients, seconds=CLOSED_SECONDS, round_=round_,
                count_rows=count_rows, targets=design.canvas_targets,
            )  # fmt: skip
            steps.append(step)
            print("   " + describe(step), flush=True)
    return steps


def closed_loop_ratio(steps: list[Step], site: str, seed: str) -> float | None:
    """The site's closed-loop 200s/s over the seed's, each the median of its rounds; None
    when the seed answered nothing."""

    def median_rate(name: str) -> float:
        rates = [s.ok_per_s for s in steps if s.design == name and s.clients]
        return statistics.median(rates) if rates else 0.0

    seed_rate = median_rate(seed)
    return median_rate(site) / seed_rate if seed_rate else None


# --- page weight ---------------------------------------------------------------------------------


def page_weight(url: str, password: str) -> dict:
    """The canvas page's first load (HTML, CSS, JS) as a browser with a session fetches it."""
    parts = urllib.parse.urlsplit(url)

    def get(path: str, cookies: str = "", encoding: str = "br, gzip") -> http.client.HTTPResponse:
        # A connection per request: a kept-alive one may be closed by the server between two.
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", path, headers={"Accept-Encoding": encoding, "Cookie": cookies})
        return connection.getresponse()

    response = get("/accounts/login/", encoding="identity")
    html = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    token = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    cookie = f"csrftoken={token.group(1)}"
    body = urllib.parse.urlencode(
        {"username": USERNAME, "password": password, "csrfmiddlewaretoken": csrf}
    )
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST", "/accounts/login/", body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                 "Referer": url + "/accounts/login/"},
    )  # fmt: skip
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    if response.status != 302 or session is None:
        raise SystemExit(f"could not log in for the page-weight check ({response.status})")
    cookies = f"{cookie}; sessionid={session.group(1)}"
    files = []
    response = get("/", cookies)
    page = response.read()
    files.append(("/ (HTML)", len(page), response.getheader("Content-Encoding") or "none", ""))
    plain = get("/", cookies, encoding="identity")
    html = plain.read().decode()
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        response = get(path)
        files.append(
            (
                path,
                len(response.read()),
                response.getheader("Content-Encoding") or "none",
                response.getheader("Cache-Control") or "",
            )
        )
    return {"files": files, "total": sum(size for _, size, _, _ in files)}


# --- the report ----------------------------------------------------------------------------------


def fmt_ms(values: list[float]) -> str:
    return f"{percentile(values, 50):.2f} | {percentile(values, 99):.2f}"


def machine_line(steps: list[Step]) -> str:
    busy = [s.machine_busy for s in steps]
    others = [s.others_cpu for s in steps]
    load = Path("/proc/loadavg").read_text().split()[:3]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, shared while it ran: the rest of the machine (other "
        f"work, not this benchmark's servers, Cassandra or vegeta) used {np.median(others):.0f}% "
        f"of one core in the median step ({min(others):.0f}-{max(others):.0f}%); whole machine "
        f"busy {np.median(busy):.0f}% in the median step; load average at the end "
        f"{' '.join(load)}."
    )


def sent_as(args: argparse.Namespace, *, short: bool = False) -> str:
    """What the benchmark posts: the page's uploads, or (``--canvas-scale``) whole canvases."""
    if args.canvas_scale is not None:
        side = round(280 * args.canvas_scale)
        return f"{side}x{side} PNG" if short else f"drawn digits as whole {side}x{side} canvases"
    sides = sorted(args.upload_sides)
    span = f"{sides[0]}-{sides[-1]} px, median {sides[len(sides) // 2]}"
    if short:
        return f"PNG as the page uploads it, {span}"
    return (
        "drawn digits as the page uploads them (PNG data URLs: the canvas scaled down whole "
        f"until the ink is at most {UPLOAD_INK_SIDE} px across, {span} a side)"
    )


def command_of(args: argparse.Namespace) -> str:
    return "python -m bench.load " + " ".join(args.argv) if args.argv else "make bench"


def closed_loop_lines(closed: list[Step], designs: list[Design], args) -> list[str]:
    """The "Load" section's part on the closed loop, issue 12's own way of measuring."""
    if not closed:
        return []
    seed = next((d for d in designs if not d.is_site), None)
    lines = [
        f"**Closed loop, as issue 12 measured:** {args.clients} clients, each posting its next "
        "drawing as soon as its last was answered (as `hey -c "
        f"{args.clients}` does), whole 280x280 canvases, {CLOSED_SECONDS:g} s a step, the "
        "designs alternating"
        + (", the order swapped each round." if args.closed_rounds > 1 else "."),
    ]
    if seed is not None:
        rates = {(s.design, s.round): s.ok_per_s for s in closed}
        for design in (d for d in designs if d.is_site):
            ratio = closed_loop_ratio(closed, design.name, seed.name)
            if ratio is None:
                continue
            by_round = [
                f"{rates[design.name, r] / rates[seed.name, r]:.1f}x"
                for r in sorted({s.round for s in closed})
                if rates.get((seed.name, r)) and (design.name, r) in rates
            ]
            lines[0] += (
                f" **{design.name}: {ratio:.1f}x the seed's design** (the medians of the rounds;"
                f" round by round {', '.join(by_round)})."
            )
    lines += [
        "",
        "| design | round | 200s /s | p50 ms | p99 ms | errors | new rows / 200s | CPU ms per "
        "answer: workers / Cassandra |",
        "|" + " --- |" * 8,
        *(
            f"| {s.design} | {s.round} | {s.ok_per_s:.1f} | {s.p50:.0f} | {s.p99:.0f} | "
            f"{s.errors} | {s.new_rows} / {s.ok} | {s.cpu_ms_per_answer(sum(s.worker_cpu)):.1f} / "
            f"{s.cpu_ms_per_answer(s.cassandra_cpu):.1f} |"
            for s in closed
        ),
        "",
    ]
    return lines


def report(args, designs, timing, steps, half, closed, pages, started, failed) -> None:
    site_designs = [d for d in designs if d.is_site]
    seeds = [d for d in designs if not d.is_site]
    primary = site_designs[0]
    seed = seeds[0] if seeds else None
    command = command_of(args)
    peaks = {d.name: peak(steps, d.name) for d in designs}

    def ladder_rows(name: str) -> list[str]:
        return [
            f"| {s.round} | {s.rate:g} | {s.ok_per_s:.1f} | {s.p50:.0f} | {s.p95:.0f} | "
            f"{s.p99:.0f} | {s.errors} | {s.new_rows} / {s.ok} | "
            f"{' + '.join(f'{c:.0f}' for c in s.worker_cpu)} | "
            f"{' / '.join(f'{m:.0f}' for m in s.worker_rss)} | {s.cassandra_cpu:.0f} | "
            f"{s.vegeta_cpu:.0f} | {s.others_cpu:.0f} | "
            f"{s.cpu_ms_per_answer(sum(s.worker_cpu)):.1f} / "
            f"{s.cpu_ms_per_answer(s.cassandra_cpu):.1f} | {'yes' if s.saturated else ''} |"
            for s in steps
            if s.design == name
        ]

    header = (
        "| round | offered /s | 200s /s | p50 ms | p95 ms | p99 ms | errors | new rows / 200s "
        "| workers CPU % | workers RSS MB | Cassandra CPU % | vegeta CPU % | rest of machine "
        "CPU % | CPU ms per answer: workers / Cassandra | saturated |\n"
        "|" + " --- |" * 15
    )
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))} with `{command}` "
        f"({(time.time() - started) / 60:.0f} min). {machine_line(steps)}",
        "",
        f"Both designs under gunicorn on 127.0.0.1 ({primary.workers} workers, "
        f"{primary.worker_class}"
        + (f" x {primary.threads} threads" if primary.worker_class == "gthread" else "")
        + "), the same model file, the local single-node Cassandra, and vegeta "
        f"{VEGETA_VERSION} on the same 2 cores sending {sent_as(args)} in an open loop at "
        "fixed rates, "
        f"{args.step_seconds:g} s a step (longer for a slow design, so that a step holds at least "
        f"{MIN_REQUESTS_PER_STEP} requests), steps alternating between the designs. "
        "The seed's design (`bench/seed_app.py`): per request, write the PNG to disk, resize "
        "the whole canvas to 28x28, `model.predict`, one un-prepared INSERT. Latency is from "
        "the scheduled send to the answer; a step is saturated when under 90% of the offered "
        "rate is answered 200, over 1% fail, or p99 passes 2 s; a saturated design keeps "
        "running at its best rate, step for step, while the others climb, so every design is "
        "measured through the same minutes. Before any of it, each design ran "
        f"{args.warm_up_seconds:g} s of steady load, not measured (the Cassandra node's JIT "
        "compiles its request path in its first minutes under load).",
        "",
    ]
    if seed is not None:
        for design in site_designs:
            ratio = peaks[design.name].ok_per_s / peaks[seed.name].ok_per_s
            lines.append(
                f"**{design.name}: {peaks[design.name].ok_per_s:.0f} requests/s at peak against "
                f"the seed's design's {peaks[seed.name].ok_per_s:.1f}: {ratio:.1f}x.**"
            )
        lines.append("")
    for design in site_designs:
        if design.name in half:
            h = half[design.name]
            lines.append(
                f"{design.name} at half its peak ({h.rate:g}/s for {h.seconds:g} s): "
                f"p50 {h.p50:.1f} ms, p95 {h.p95:.1f} ms, **p99 {h.p99:.1f} ms**"
                f"{windows_prose(h)}, {h.errors} errors, {h.new_rows} new rows for {h.ok} answers."
            )
    lines.append("")
    lines += closed_loop_lines(closed, designs, args)
    for name, reason in failed:
        lines += [f"{name} was left out: {reason}", ""]
    for design in designs:
        lines += [f"#### {design.name}", "", header, *ladder_rows(design.name), ""]
    lines += [
        "First prediction of a fresh server (from launching gunicorn to the first answered "
        "prediction; workers load the model and open Cassandra before taking requests):",
        "",
        "| design | first prediction s | that request ms | worker RSS after it, MB |",
        "| --- | --- | --- | --- |",
        *(
            f"| {d.name} | {d.first_prediction_s:.2f} | {d.first_request_ms:.0f} | "
            f"{' / '.join(f'{m:.0f}' for m in d.worker_boot_rss)} |"
            for d in designs
        ),
    ]
    write_section("PERFORMANCE.md", "Load", "\n".join(lines), title="Performance")

    split = timing["in_process"]
    serving = [
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime(started))} with `{command}`: "
        f"{len(timing['designs'][primary.name]['round_trip'])} drawn digits "
        f"({sent_as(args, short=True)}) "
        f"sent one at a time, the designs taking turns in blocks of {SERIAL_BLOCK} after a "
        f"{SERIAL_PAUSE_S:g} s pause (taking turns request by request, the site's server time "
        "came out twice what it is alone: the seed's TensorFlow process was still busy on the "
        "two cores). Stages come from each answer's `Server-Timing` header; decode and "
        "geometry are split in-process on the same drawings.",
        "",
        "| ms | p50 | p99 |",
        "| --- | --- | --- |",
    ]
    for design in site_designs:
        stages = timing["designs"][design.name]
        for name, values in stages.items():
            if name != "round_trip":
                serving.append(f"| {design.name}: {name} | {fmt_ms(values)} |")
        serving.append(f"| {design.name}: round trip | {fmt_ms(stages['round_trip'])} |")
    serving += [f"| in-process: {name} | {fmt_ms(values)} |" for name, values in split.items()]
    for design in seeds:
        round_trip = timing["designs"][design.name]["round_trip"]
        serving.append(f"| {design.name}: round trip | {fmt_ms(round_trip)} |")
    write_section("PERFORMANCE.md", "Serving", "\n".join(serving), title="Performance")

    if len(site_designs) > 1:
        rows = [
            "| worker model | peak 200s/s | saturated above /s | p99 at half peak ms | worker "
            "CPU at peak % | worker RSS MB | first prediction s |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for design in site_designs:
            p, s = peaks[design.name], sustained(steps, design.name)
            h = half.get(design.name)
            rows.append(
                f"| {design.name} ({design.worker_class}) | {p.ok_per_s:.0f} | "
                f"{s.rate if s else 0:g} | {h.p99 if h else float('nan'):.0f} | "
                f"{' + '.join(f'{c:.0f}' for c in p.worker_cpu)} | "
                f"{' / '.join(f'{m:.0f}' for m in p.worker_rss)} | "
                f"{design.first_prediction_s:.2f} |"
            )
        write_section(
            "PERFORMANCE.md",
            "Worker model: measured",
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))} with "
            f"`{command}`.\n\n" + "\n".join(rows),
            title="Performance",
        )

    if pages:
        rows = [
            "| file | bytes sent | Content-Encoding | Cache-Control |",
            "| --- | --- | --- | --- |",
        ]
        rows += [f"| `{p}` | {n:,} | {e} | {c} |" for p, n, e, c in pages["files"]]
        write_section(
            "PERFORMANCE.md",
            "Page weight",
            f"Measured with `{command}`: the canvas page's first load as a signed-in browser "
            "fetches it (`Accept-Encoding: br, gzip`), DEBUG off, whitenoise's compressed "
            f"manifest storage. **{pages['total'] / 1024:.1f} KB in all.**\n\n" + "\n".join(rows),
            title="Performance",
        )


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--designs",
        default="site,seed",
        help="site[:worker class[:threads[:workers]]], seed[:...]",
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument(
        "--half-seconds",
        type=float,
        default=HALF_LOAD_SECONDS,
        help=f"the half-load step; its p99 is also given per {WINDOW_SECONDS:g} s",
    )
    parser.add_argument("--site-start", type=float, default=20.0, help="first rate, requests/s")
    parser.add_argument("--seed-start", type=float, default=2.0, help="first rate, requests/s")
    parser.add_argument("--serial", type=int, default=200, help="requests in the server-time phase")
    parser.add_argument(
        "--warm-up-seconds", type=float, default=45.0, help="per design, before measuring"
    )
    parser.add_argument("--drawings", type=int, default=100)
    parser.add_argument(
        "--canvas-scale",
        type=float,
        default=None,
        help="send the whole canvas at 280 px times this, not the page's upload (which scales "
        "a big drawing down to the ink preprocessing uses)",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=CLOSED_CLIENTS,
        help="clients of the closed-loop steps (issue 12's own measure)",
    )
    parser.add_argument(
        "--closed-rounds",
        type=int,
        default=CLOSED_ROUNDS,
        help="closed-loop rounds, the designs alternating; 0 leaves them out",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8600")))
    parser.add_argument("--no-docs", action="store_true", help="print, but do not write docs/")
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    if not 1 <= args.rounds <= 4 or not 1 <= args.step_seconds <= 60:
        raise SystemExit("--rounds 1..4 and --step-seconds 1..60 keep the run bounded")
    if not 1 <= args.warm_up_seconds <= 300 or not 1 <= args.half_seconds <= 300:
        raise SystemExit("--warm-up-seconds and --half-seconds 1..300 keep the run bounded")
    if not 1 <= args.clients <= 64 or not 0 <= args.closed_rounds <= 4:
        raise SystemExit("--clients 1..64 and --closed-rounds 0..4 keep the run bounded")
    started = time.time()
    vegeta = find_vegeta()

    rng = np.random.default_rng(11)
    drawn = [drawn_digit(i % 10, rng) for i in range(args.drawings)]
    if args.canvas_scale is None:
        pngs = [upload_png(strokes) for strokes in drawn]
    else:
        pngs = [render_strokes(strokes, scale=args.canvas_scale) for strokes in drawn]
    args.upload_sides = [Image.open(io.BytesIO(png)).width for png in pngs]
    bodies = [predict_body(png) for png in pngs]
    # Whole 280x280 canvases: the closed loop posts them, the server-time phase decodes some.
    canvas_pngs = [render_strokes(strokes) for strokes in drawn]
    canvas_bodies = [predict_body(png) for png in canvas_pngs]
    names = [name.strip() for name in args.designs.split(",") if name.strip()]
    if not any(name.startswith("site") for name in names):
        raise SystemExit("--designs needs at least one site design")
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        bench: BenchEnvironment = stack.enter_context(bench_environment(keyspace=KEYSPACE))
        designs = make_designs(names, bench.token, args.port)
        env = {
            **bench.env,
            "SEED_MODEL_PATH": str(MODEL),
            "SEED_UPLOAD_DIR": str(bench.workdir / "seed-uploads"),
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        from cassandra.cluster import Cluster

        cluster = Cluster([cassandra_host(env)], port=int(env.get("CASSANDRA_PORT", "9042")))
        stack.callback(cluster.shutdown)
        session = cluster.connect(KEYSPACE)

        def count_rows() -> int:
            return session.execute("SELECT COUNT(*) FROM mnist1", timeout=120).one()[0]

        # 1. Start each server and time its first prediction, one at a time.
        failed: list[tuple[str, str]] = []
        for design in designs:
            print(f"Starting {design.name} ({design.gunicorn_args()})...", flush=True)
            design.server = stack.enter_context(
                gunicorn_server(
                    design.app,
                    port=design.port,
                    env=env,
                    args=design.gunicorn_args(),
                    ready_path=None,
                    name=design.name.replace(":", "-"),
                )
            )
            try:
                first_prediction(design, bodies[0])
            except SystemExit as exc:
                print(f"  left out: {exc}", flush=True)
                failed.append((design.name, str(exc)))
                continue
            print(
                f"  first prediction {design.first_prediction_s:.2f} s after launch "
                f"(that request {design.first_request_ms:.0f} ms)",
                flush=True,
            )
            url = design.server.url + ("/api/v1/predict" if design.is_site else "/")
            design.targets = workdir / f"targets-{design.name.replace(':', '-')}.jsonl"
            write_targets(design.targets, url, bodies, design.headers)
            design.canvas_targets = design.targets.with_suffix(".canvas.jsonl")
            write_targets(design.canvas_targets, url, canvas_bodies, design.headers)

        designs = [d for d in designs if d.targets is not None]
        if not any(d.is_site for d in designs):
            raise SystemExit("no site design answered")

        print("Warm-up (not measured)...", flush=True)
        warm_up(designs, vegeta, seconds=args.warm_up_seconds)

        # 2. Server time, one request at a time.
        print(
            f"Server time: {args.serial} requests to each design, in turns of {SERIAL_BLOCK}...",
            flush=True,
        )
        serial_bodies = [bodies[i % len(bodies)] for i in range(args.serial)]
        canvases = {
            "as sent": pngs[:50],
            "the whole 280x280 canvas": canvas_pngs[:50],
            "a 560x560 (2x) canvas": [render_strokes(s, scale=2.0) for s in drawn[:50]],
        }
        timing = server_time(designs, {d.name: serial_bodies for d in designs}, canvases)

        # 3. The open-loop ladders.
        print("Load: open-loop steps, alternating designs...", flush=True)
        process_cpu_from_children()
        steps = ladders(designs, vegeta, args, count_rows)

        # 4. Half of each site design's own peak.
        half: dict[str, Step] = {}
        for design in designs:
            if design.is_site:
                rate = max(1, round(peak(steps, design.name).ok_per_s / 2))
                print(f"Half load: {design.name} at {rate:g}/s for {args.half_seconds:g} s...")
                half[design.name] = run_step(
                    design, vegeta, rate=rate, seconds=args.half_seconds, round_=0,
                    count_rows=count_rows,
                )  # fmt: skip
                print("   " + describe(half[design.name]), flush=True)

        # 5. The issue's own measure: a closed loop of clients posting whole canvases.
        closed: list[Step] = []
        if args.closed_rounds:
            print("Closed loop: whole 280x280 canvases, alternating designs...", flush=True)
            closed = closed_loop(designs, vegeta, args, count_rows)

        # 6. Page weight.
        primary = next(d for d in designs if d.is_site)
        assert primary.server is not None
        pages = page_weight(primary.server.url, bench.password)
        print(f"Page weight: {pages['total']:,} bytes", flush=True)

        raw = {
            "designs": [
                {
                    f.name: getattr(d, f.name)
                    for f in fields(d)
                    if f.name not in ("server", "targets", "canvas_targets")
                }
                for d in designs
            ],
            "serial": timing,
            "steps": [asdict(s) | {"saturated": s.saturated} for s in steps],
            "half": {k: asdict(v) for k, v in half.items()},
            "closed": [asdict(s) for s in closed],
            "pages": pages,
            "failed": failed,
        }
        raw_path = workdir / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
        raw_path.write_text(json.dumps(raw, indent=1, default=str))

    print("Image limits: the largest uploads, in this process...", flush=True)
    limits = image_limits.measure()
    print(image_limits.table(limits))
    if not args.no_docs:
        report(args, designs, timing, steps, half, closed, pages, started, failed)
        write_section(
            "PERFORMANCE.md",
            "Image limits",
            f"Measured with `{command_of(args)}`, in the benchmark's own process after the load: "
            + LIMITS_PROSE
            + "\n\n"
            + image_limits.table(limits),
            title="Performance",
        )
    seeds = [d for d in designs if not d.is_site]
    print()
    for design in designs:
        best = peak(steps, design.name)
        line = f"{design.name:>12}: peak {best.ok_per_s:.1f} 200s/s (offered {best.rate:g}/s)"
        if seeds and design.is_site:
            ratio = best.ok_per_s / peak(steps, seeds[0].name).ok_per_s
            line += f", {ratio:.1f}x the seed's design"
        if design.name in half:
            line += f"; at half load p99 {half[design.name].p99:.1f} ms"
        if (
            seeds
            and design.is_site
            and (ratio := closed_loop_ratio(closed, design.name, seeds[0].name))
        ):
            line += f"; {args.clients} clients, whole canvases: {ratio:.1f}x the seed's design"
        print(line)
    print(f"raw figures: {raw_path.relative_to(ROOT)}")
    if not args.no_docs:
        print("written to docs/PERFORMANCE.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
