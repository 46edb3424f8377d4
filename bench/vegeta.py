"""vegeta, the load generator of the serving benchmarks: its command for one step, running it,
and reading back what it recorded.

An open loop at a fixed rate (requests leave on schedule whether or not earlier ones were
answered), or a closed loop of N clients (each sends its next request once its last is
answered). ``make bench`` installs vegeta (``make vegeta``).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.docs import percentile

VEGETA_VERSION = "v12.13.0"  # the Makefile's, which installs it
REQUEST_TIMEOUT_S = 10


def find_vegeta() -> str:
    found = shutil.which("vegeta") or str(Path.home() / "go" / "bin" / "vegeta")
    if not Path(found).is_file():
        raise SystemExit(
            "vegeta is not installed: `make bench` installs it "
            f"(go install github.com/tsenart/vegeta/v12@{VEGETA_VERSION})."
        )
    return found


def attack_args(
    vegeta: str,
    targets: Path,
    *,
    seconds: float,
    out: Path,
    rate: float | None = None,
    clients: int | None = None,
) -> list[str]:
    """vegeta's command for one step: an open loop at ``rate`` requests/s, or a closed loop of
    ``clients`` that each send their next request as soon as the last is answered."""
    if (rate is None) == (clients is None):
        raise ValueError("a step is paced by a rate or by a number of clients")
    if (rate is not None and round(rate) < 1) or (clients is not None and clients < 1):
        # vegeta reads -rate=0 as no limit at all.
        raise ValueError(f"a step needs a rate or clients of at least 1, not {rate or clients}")
    if clients is None:
        pace = [f"-rate={round(rate)}/1s", "-max-workers=2000"]
    else:
        pace = ["-rate=0", f"-workers={clients}", f"-max-workers={clients}"]
    return [
        vegeta, "attack", "-format=json", f"-targets={targets}", *pace,
        f"-duration={seconds:g}s", f"-timeout={REQUEST_TIMEOUT_S}s", f"-output={out}",
    ]  # fmt: skip


def attack(command: list[str], *, seconds: float) -> None:
    """Run one step's vegeta ``command`` (``attack_args``), which lasts ``seconds``."""
    process = subprocess.run(
        command,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=seconds + REQUEST_TIMEOUT_S + 30,
    )  # fmt: skip
    if process.returncode != 0:
        raise SystemExit(f"vegeta failed: {process.stderr.decode()[-2000:]}")


def _epoch_seconds(timestamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 timestamp with nanoseconds (vegeta's)."""
    # Python reads at most microseconds: the digits after the sixth are dropped.
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", timestamp)
    return datetime.fromisoformat(trimmed.replace("Z", "+00:00")).timestamp()


@dataclass
class Results:
    latencies: list[float]  # ms, from the scheduled send
    sent: list[float]  # s, each request's scheduled send after the step's first
    codes: dict[str, int]
    span: float  # s, from the first send to the last answer (what throughput is measured over)


def parse_results(lines: list[bytes]) -> Results:
    """vegeta's results as JSON lines: latencies, send times, status codes and the span."""
    latencies, sends, codes, first, last = [], [], {}, float("inf"), 0.0
    for line in lines:
        result = json.loads(line)
        latencies.append(result["latency"] / 1e6)
        code = str(result["code"]) if result["code"] else "no answer"
        codes[code] = codes.get(code, 0) + 1
        sent = _epoch_seconds(result["timestamp"])
        sends.append(sent)
        first, last = min(first, sent), max(last, sent + result["latency"] / 1e9)
    return Results(
        latencies=latencies,
        sent=[round(s - first, 6) for s in sends],
        codes=codes,
        span=max(last - first, 1e-9),
    )


def results(vegeta: str, out: Path) -> Results:
    """What vegeta recorded in ``out`` (which is deleted)."""
    encoded = subprocess.run(
        [vegeta, "encode", "--to", "json", str(out)], capture_output=True, check=True, timeout=60
    ).stdout
    out.unlink(missing_ok=True)
    return parse_results(encoded.splitlines())


def window_p99s(sent: list[float], latencies: list[float], *, width: float) -> list[float]:
    """p99 of the answers to the requests sent in each ``width`` seconds of a step, in order.

    A last, shorter window counts when the step's sends reach three quarters of the way
    into it; a window no request was sent in is left out. Empty when the sends span less
    than 1.75 windows (then the step's own p99 says it all)."""
    if not sent:
        return []
    duration = max(sent)
    count = int(duration // width) + (duration % width >= 0.75 * width)
    if count < 2:
        return []
    windows: list[list[float]] = [[] for _ in range(count)]
    for when, latency in zip(sent, latencies, strict=True):
        index = int(when // width)
        if index < count:
            windows[index].append(latency)
    return [percentile(w, 99) for w in windows if w]


def write_targets(path: Path, url: str, bodies: list[bytes], headers: dict[str, str]) -> None:
    with path.open("w") as handle:
        for body in bodies:
            target = {
                "method": "POST",
                "url": url,
                "body": base64.b64encode(body).decode(),
                "header": {name: [value] for name, value in headers.items()},
            }
            handle.write(json.dumps(target) + "\n")
