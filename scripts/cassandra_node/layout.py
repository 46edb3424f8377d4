"""Where a node lives: its cluster, address, ports and directories; the jar cache."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from scripts.cassandra_node.common import (
    CLUSTER_NAME,
    DEFAULT_NATIVE_PORT,
    EXIT_ENV,
    JMX_BASE_PORT,
    REPO,
    ScriptError,
)

DEV = "dev"


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Nodes that know each other. ``dev`` is the development node(s): node N on 127.0.0.N,
    in var/cassandra/nodeN, JMX on 7199 + 100*(N-1). Any other name is a cluster of its
    own, which never gossips with dev: its own cluster_name, node N on
    127.0.0.(address_offset+N), seeded by its own node 1, JMX ports shifted by the offset,
    directories in var/cassandra/<name>/nodeN (or ``root``/nodeN)."""

    name: str = DEV
    address_offset: int = 0
    root: Path | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", self.name):
            raise ScriptError(f"cluster name {self.name!r}: use a-z, 0-9 and -", EXIT_ENV)
        if not 0 <= self.address_offset <= 240:
            raise ScriptError(f"address offset {self.address_offset}: use 0..240", EXIT_ENV)
        if self.name != DEV and self.address_offset == 0:
            # Node 1 would be 127.0.0.1 and join the development node's cluster.
            raise ScriptError(f"cluster {self.name!r} needs an address offset above 0", EXIT_ENV)

    @property
    def cluster_name(self) -> str:
        return CLUSTER_NAME if self.name == DEV else f"mnistsite-{self.name}"

    def address(self, number: int) -> str:
        return f"127.0.0.{self.address_offset + number}"

    @property
    def seed(self) -> str:
        return self.address(1)


DEV_CLUSTER = Cluster()


@dataclasses.dataclass(frozen=True)
class Node:
    number: int = 1
    repo: Path = REPO
    native_port: int = DEFAULT_NATIVE_PORT
    cluster: Cluster = DEV_CLUSTER

    @property
    def address(self) -> str:
        return self.cluster.address(self.number)

    @property
    def label(self) -> str:
        name = f"node{self.number}"
        return name if self.cluster.name == DEV else f"{self.cluster.name}/{name}"

    @property
    def jmx_port(self) -> int:
        return JMX_BASE_PORT + 100 * (self.number - 1) + self.cluster.address_offset

    @property
    def home(self) -> Path:
        if self.cluster.root is not None:
            root = self.cluster.root
        elif self.cluster.name == DEV:
            root = self.repo / "var" / "cassandra"
        else:
            root = self.repo / "var" / "cassandra" / self.cluster.name
        return root / f"node{self.number}"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def yaml_path(self) -> Path:
        return self.conf_dir / "cassandra.yaml"

    @property
    def yaml_uri(self) -> str:
        return self.yaml_path.resolve().as_uri()  # Cassandra wants a URI: file:///abs/path

    @property
    def logback_path(self) -> Path:
        return self.conf_dir / "logback.xml"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def stdout_log(self) -> Path:
        return self.log_dir / "stdout.log"

    @property
    def system_log(self) -> Path:
        return self.log_dir / "system.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "cassandra.pid"

    @property
    def lock_file(self) -> Path:
        return self.home / ".lock"


@dataclasses.dataclass(frozen=True)
class Cache:
    repo: Path
    version: str

    @property
    def root(self) -> Path:
        return self.repo / ".cache" / "cassandra" / self.version

    @property
    def lib(self) -> Path:
        return self.root / "lib"

    @property
    def partial(self) -> Path:
        return self.root / "lib.partial"

    @property
    def marker(self) -> Path:
        return self.root / "COMPLETE"

    @property
    def mvn_log(self) -> Path:
        return self.root / "mvn.log"

    def is_complete(self) -> bool:
        """Only a download that finished (marker written last) and still has its jars counts."""
        return (
            self.marker.is_file()
            and (self.lib / f"cassandra-all-{self.version}.jar").is_file()
            and find_jamm(self.lib) is not None
        )


def external_hosts(node: Node) -> list[str] | None:
    """Hosts from CASSANDRA_HOSTS, or None when it is unset or names only this local node.

    A cluster of its own ignores CASSANDRA_HOSTS: it is started on purpose, beside whatever
    the site is pointed at."""
    if node.cluster.name != DEV:
        return None
    hosts = [h.strip() for h in os.environ.get("CASSANDRA_HOSTS", "").split(",") if h.strip()]
    if not hosts or hosts in ([node.address], ["localhost"]):
        return None
    return hosts


def find_jamm(lib: Path) -> Path | None:
    jars = sorted(lib.glob("jamm-*.jar"))
    return jars[-1] if jars else None
