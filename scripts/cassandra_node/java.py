"""Finding a usable Java and the JVM command line of a node."""

from __future__ import annotations

import os
import re
import shutil
import subprocess  # noqa: S404 - we run java by absolute path, never through a shell
from pathlib import Path

from scripts.cassandra_node.common import (
    ALTERNATIVES,
    DAEMON_CLASS,
    EXIT_ENV,
    JAVA17_ADD_EXPORTS,
    JAVA17_ADD_OPENS,
    MAX_JAVA,
    MIN_JAVA,
    ScriptError,
    say,
)
from scripts.cassandra_node.layout import Node, find_jamm


def find_java() -> Path:
    java_home = os.environ.get("JAVA_HOME", "").strip()
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        say(f"warning: JAVA_HOME={java_home} has no bin/java; trying `java` on PATH")
    found = shutil.which("java")
    if not found:
        raise ScriptError(
            f"Java 11 or 17 is needed to run Cassandra and was found neither in JAVA_HOME nor on "
            f"PATH: install it (apt-get install openjdk-17-jre-headless), or {ALTERNATIVES}.",
            EXIT_ENV,
        )
    return Path(found)


def parse_java_major(version_output: str) -> int | None:
    """Major version from `java -version` output: '1.8.0_392' -> 8, '17.0.15' -> 17, '21' -> 21."""
    match = re.search(r'version "([0-9]+)(?:\.([0-9]+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def check_java_major(major: int | None, java: Path) -> None:
    if major is None:
        raise ScriptError(f"could not tell the version of {java}", EXIT_ENV)
    if major < MIN_JAVA or major > MAX_JAVA:
        raise ScriptError(
            f"{java} is Java {major}; Cassandra 5.0 needs Java 11 or 17 (not < {MIN_JAVA}, "
            f"not >= {MAX_JAVA + 1}): set JAVA_HOME to one, or {ALTERNATIVES}.",
            EXIT_ENV,
        )
    if major not in (11, 17):
        say(f"warning: Java {major} is not one Cassandra 5.0 supports (11, 17); trying anyway")


def java_major(java: Path) -> int | None:
    result = subprocess.run(  # noqa: S603
        [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    return parse_java_major(result.stderr + result.stdout)


def heap_size() -> str:
    heap = os.environ.get("CASSANDRA_HEAP", "").strip() or "1g"
    if not re.fullmatch(r"[0-9]+[mMgG]", heap):
        raise ScriptError(f"CASSANDRA_HEAP={heap!r}: use e.g. 768m or 1g", EXIT_ENV)
    return heap


def build_jvm_args(java: Path, java_version: int, lib: Path, node: Node, heap: str) -> list[str]:
    jamm = find_jamm(lib)
    if jamm is None:
        raise ScriptError(f"no jamm-*.jar in {lib}: delete {lib.parent} and start again")
    home = node.home.resolve()
    args = [
        str(java),
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-Xss256k",
        "-XX:+UseG1GC",
        # Cassandra's own options ask G1 for 300 ms; at 100 predictions/s its young pauses
        # were 45-87 ms, each one a slow spell for every request in flight on this 2-core
        # machine. Asked for 20 ms they were 14 ms (median) and at most 39, and the node's CPU
        # per answer stayed the same (docs/PERFORMANCE.md, "Sixth look").
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ParallelRefProcEnabled",
        "-XX:+PerfDisableSharedMem",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        # As Cassandra's own jvm options do: every pause, for reading latency spikes.
        f"-Xlog:gc:file={node.log_dir.resolve() / 'gc.log'}:time,uptime:filecount=3,filesize=10m",
        f"-javaagent:{jamm.resolve()}",
        f"-Dcassandra.config={node.yaml_uri}",
        "-Dcassandra-foreground=yes",  # otherwise Cassandra closes stdout/stderr after start
        f"-Dcassandra.storagedir={home}",
        f"-Dcassandra.logdir={node.log_dir.resolve()}",
        f"-Dlogback.configurationFile={node.logback_path.resolve().as_uri()}",
        f"-Dcassandra.jmx.local.port={node.jmx_port}",
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Djava.net.preferIPv4Stack=true",
        "-Djdk.attach.allowAttachSelf=true",
        "-Dio.netty.tryReflectionSetAccessible=true",
    ]
    if java_version >= 18:  # the SecurityManager is off by default from Java 18 on
        args.append("-Djava.security.manager=allow")
    if java_version >= 17:
        args += [f"--add-exports={m}=ALL-UNNAMED" for m in JAVA17_ADD_EXPORTS]
        args += [f"--add-opens={m}=ALL-UNNAMED" for m in JAVA17_ADD_OPENS]
    args += ["-cp", f"{lib.resolve()}/*", DAEMON_CLASS]
    return args
