"""Cassandra's jars, fetched once from Maven Central into .cache/cassandra/<version>/lib."""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404 - we run mvn by absolute path, never through a shell
import time
from pathlib import Path

from scripts.cassandra_node.common import (
    ALTERNATIVES,
    APPROX_DOWNLOAD_MB,
    EXIT_ENV,
    POM,
    ScriptError,
    rel,
    say,
)
from scripts.cassandra_node.config import write_atomically
from scripts.cassandra_node.layout import Cache, find_jamm


def is_harmless_mvn_line(line: str) -> bool:
    """Maven prints `[ERROR] ... systemPath ${jmc5.path}` for a profile of a dependency's pom."""
    return "systemPath" in line or "jmc5.path" in line or not line.strip("\x1b[0m \t")


def ensure_jars(cache: Cache) -> Path:
    if cache.is_complete():
        return cache.lib
    mvn = shutil.which("mvn")
    if not mvn:
        raise ScriptError(
            f"Maven (`mvn`) is needed once to fetch Cassandra's jars and is not on PATH: "
            f"install it (apt-get install maven), or {ALTERNATIVES}.",
            EXIT_ENV,
        )
    say(
        f"resolving Cassandra {cache.version} from Maven Central "
        f"(once, ~{APPROX_DOWNLOAD_MB} MB) into {rel(cache.lib)} ..."
    )
    cache.root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(cache.partial, ignore_errors=True)  # an earlier half-finished download
    shutil.rmtree(cache.lib, ignore_errors=True)
    cache.marker.unlink(missing_ok=True)
    argv = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(POM),
        f"-Dcassandra.version={cache.version}",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={cache.partial}",
    ]
    started = time.monotonic()
    with cache.mvn_log.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        next_note = started + 10
        while proc.poll() is None:
            time.sleep(0.5)
            if time.monotonic() >= next_note:
                next_note += 10
                say(f"  ... still resolving, {time.monotonic() - started:.0f} s")
    elapsed = time.monotonic() - started
    output = cache.mvn_log.read_text(encoding="utf-8", errors="replace").splitlines()
    problems = [line for line in output if not is_harmless_mvn_line(line)]
    jar = cache.partial / f"cassandra-all-{cache.version}.jar"
    if proc.returncode != 0 or not jar.is_file() or find_jamm(cache.partial) is None:
        for line in problems[-20:]:
            say(f"  mvn: {line}")
        raise ScriptError(
            f"could not fetch Cassandra {cache.version} from Maven Central "
            f"(mvn exit {proc.returncode}; full log: {rel(cache.mvn_log)}); "
            f"check CASSANDRA_VERSION and the network, or {ALTERNATIVES}"
        )
    cache.partial.rename(cache.lib)
    jars = sorted(cache.lib.glob("*.jar"))
    size_mb = sum(j.stat().st_size for j in jars) / 1e6
    write_atomically(
        cache.marker, f"cassandra-all {cache.version}: {len(jars)} jars, {size_mb:.0f} MB\n"
    )
    say(f"resolved {len(jars)} jars ({size_mb:.0f} MB) in {elapsed:.1f} s")
    return cache.lib
