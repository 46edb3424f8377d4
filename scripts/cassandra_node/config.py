"""The node's cassandra.yaml and logback.xml, written on every start."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from scripts.cassandra_node.common import EXIT_ENV, STORAGE_PORT, ScriptError
from scripts.cassandra_node.layout import DEV, Node

COMMITLOG_MODES = ("batch", "group", "periodic")
COMMITLOG_ACCESS = ("direct", "legacy")


def commitlog_sync() -> str:
    """CASSANDRA_COMMITLOG_SYNC: batch (the default), group or periodic (to measure them)."""
    mode = os.environ.get("CASSANDRA_COMMITLOG_SYNC", "").strip() or "batch"
    if mode not in COMMITLOG_MODES:
        raise ScriptError(
            f"CASSANDRA_COMMITLOG_SYNC={mode!r}: use one of {', '.join(COMMITLOG_MODES)}",
            EXIT_ENV,
        )
    return mode


def takes_direct_io(directory: Path) -> bool:
    """Whether files in ``directory`` can be opened with O_DIRECT (ext4 and xfs can; tmpfs
    before Linux 6.6 cannot, and Cassandra's direct commit log would fail there)."""
    if not hasattr(os, "O_DIRECT"):
        return False
    probe = directory / ".direct-io-probe"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600))
    except OSError:
        return False
    finally:
        # A filesystem that refuses O_DIRECT may still have made the file.
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return True


def commitlog_access(directory: Path) -> str:
    """CASSANDRA_COMMITLOG_ACCESS: direct or legacy (to measure them); by default direct
    where the commit log's disk takes O_DIRECT. Direct writes skip the page cache's copy and
    still fsync each batch before the write is acknowledged (docs/PERFORMANCE.md)."""
    mode = os.environ.get("CASSANDRA_COMMITLOG_ACCESS", "").strip()
    if not mode:
        return "direct" if takes_direct_io(directory) else "legacy"
    if mode not in COMMITLOG_ACCESS:
        raise ScriptError(
            f"CASSANDRA_COMMITLOG_ACCESS={mode!r}: use one of {', '.join(COMMITLOG_ACCESS)}",
            EXIT_ENV,
        )
    return mode


def _commitlog_lines(mode: str) -> list[str]:
    lines = [f"commitlog_sync: {mode}"]
    if mode == "group":
        lines.append("commitlog_sync_group_window: 15ms")
    elif mode == "periodic":
        lines.append("commitlog_sync_period: 1000ms")
    return lines


def render_yaml(node: Node) -> str:
    q = json.dumps  # a JSON string is a valid double-quoted YAML scalar
    home = node.home.resolve()
    lines = [
        "# Written by scripts/cassandra on every start; edit the script, not this file.",
        "# Cassandra refuses unknown keys, so only keys that 5.0 accepts belong here.",
        f"cluster_name: {q(node.cluster.cluster_name)}",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "num_tokens: 1",
        "",
        f"listen_address: {node.address}",
        f"rpc_address: {node.address}",
        f"storage_port: {STORAGE_PORT}",
        "start_native_transport: true",
        f"native_transport_port: {node.native_port}",
        "endpoint_snitch: SimpleSnitch  # datacenter name: datacenter1",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        f'      - seeds: "{node.cluster.seed}:{STORAGE_PORT}"',
        "",
        *(
            []
            if node.cluster.name == DEV
            else [
                "# A cluster of its own is made empty, all nodes first, schema after: nothing",
                "# to stream, so a node joins at once instead of bootstrapping.",
                "auto_bootstrap: false",
                "",
            ]
        ),
        "data_file_directories:",
        f"  - {q(str(home / 'data'))}",
        f"commitlog_directory: {q(str(home / 'commitlog'))}",
        f"saved_caches_directory: {q(str(home / 'saved_caches'))}",
        f"hints_directory: {q(str(home / 'hints'))}",
        f"cdc_raw_directory: {q(str(home / 'cdc_raw'))}",
        "",
        "# Durability (docs/RELIABILITY.md): `batch` acknowledges a write only once the",
        "# commit log holding it is fsynced, so an acknowledged write survives kill -9 and a",
        "# power cut. `periodic` acknowledges first and fsyncs every period: a crash loses up",
        "# to that period of acknowledged writes. Measured cost of batch over periodic here:",
        "# see docs/RELIABILITY.md (CASSANDRA_COMMITLOG_SYNC=periodic|group to compare).",
        *_commitlog_lines(commitlog_sync()),
        f"commitlog_disk_access_mode: {commitlog_access(home / 'commitlog')}",
        "commitlog_segment_size: 32MiB",
        "commitlog_total_space: 512MiB",
        "",
        "# Tests: TRUNCATE and DROP would otherwise snapshot every table first.",
        "auto_snapshot: false",
        "# Plain reads instead of mmap: keeps the resident memory easy to read and bounded.",
        "disk_access_mode: standard",
        "",
        "# Small memory: this machine also trains models and runs browsers.",
        "memtable_heap_space: 128MiB",
        "memtable_offheap_space: 128MiB",
        "key_cache_size: 16MiB",
        "counter_cache_size: 4MiB",
        "file_cache_size: 64MiB",
        "concurrent_reads: 8",
        "concurrent_writes: 8",
        "concurrent_counter_writes: 8",
        "concurrent_compactors: 1",
        "native_transport_max_threads: 32",
        "",
    ]
    return "\n".join(lines)


def render_logback(node: Node) -> str:
    log = xml_escape(str(node.system_log.resolve()))
    pattern = "%-5level [%thread] %date{ISO8601} %logger{0} - %msg%n"
    return f"""<!-- Written by scripts/cassandra: INFO+ to system.log, WARN+ to stdout. -->
<configuration scan="false" debug="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>{log}</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>{log}.%i.zip</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder><pattern>{pattern}</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
    <encoder><pattern>{pattern}</pattern></encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="SYSTEMLOG"/>
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>
"""


def write_config(node: Node) -> None:
    for sub in ("conf", "logs", "data", "commitlog", "saved_caches", "hints", "cdc_raw"):
        (node.home / sub).mkdir(parents=True, exist_ok=True)
    write_atomically(node.yaml_path, render_yaml(node))
    write_atomically(node.logback_path, render_logback(node))


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
